"""Writes to the org-unit tree."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import bilingual
from xinli.core.ids import parse_id

from .codes import CODE_RE, code_problems, gbt2260_name, level_of, parse_kind, urban_rural_problems
from .models import OrgUnit


def create_unit(*, code: str, name: str, kind: str, parent: OrgUnit | None, valid_from=None, population=None, actor=None,
                urban_rural_code: str = "") -> OrgUnit:
    """Create one org unit under ``parent`` and set its materialised path. Callers validate codes first
    (``codes.code_problems``, ``codes.urban_rural_problems``); ``import_units`` and ``seed_demo`` do."""
    with transaction.atomic():
        unit = OrgUnit(
            code=code, name=name, kind=kind, level=level_of(code), parent=parent, urban_rural_code=urban_rural_code or "",
            valid_from=valid_from, population=population, path=f"tmp-{code}-{datetime.datetime.now().timestamp()}",
            depth=(parent.depth + 1) if parent else 0,
        )
        unit.save()
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
        if actor is not None:
            audit.record(actor, audit.Action.CREATE, obj=unit, detail={"code": code})
    return unit


REQUIRED_COLUMNS = ("code", "name", "parent_code", "kind")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_units(text: str, *, actor=None, valid_from: datetime.date | None = None) -> ImportReport:
    """Import org units from CSV text (columns code, name, parent_code, kind; optional population and
    urban_rural_code — the statistics bureau's 城乡划分代码 of a village or community).

    Every row is checked first: the 12-digit rules, kind against the digits, parent code against the code, parent
    present in the file or the database, no duplicate code. If any row is bad, every bad row is reported with its
    line number and nothing is written. Existing current units with the same code are updated in place (name,
    kind, population, urban_rural_code; an empty optional cell leaves the stored value) so an import can be re-run.
    """
    report = ImportReport()
    # newline="": the csv module itself recognises \r\n, \n and a lone \r as line ends.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _import_units(reader, report, actor=actor, valid_from=valid_from)
    except csv.Error as exc:  # e.g. a NUL byte or a field over the csv module's size limit
        report.errors.append((reader.line_num or 1, bilingual(
            _("file: cannot be read as CSV here ({error}); export the records again as a plain CSV file"), error=exc)))
        return report


def _import_units(reader, report: ImportReport, *, actor, valid_from) -> ImportReport:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        report.errors.append((1, bilingual(_("header: missing columns {columns}; the header must be code,name,parent_code,kind"), columns=", ".join(missing))))
        return report
    reader.fieldnames = header
    existing = {u.code: u for u in OrgUnit.objects.filter(valid_to__isnull=True)}
    rows: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        code, name, parent_code = row["code"], row["name"], row["parent_code"]
        kind = parse_kind(row["kind"])
        problems = []
        if not name:
            problems.append(bilingual(_("name: empty; give the unit's name")))
        if kind is None:
            problems.append(bilingual(_("kind: unknown value '{value}'; use 街道, 镇, 乡, 居委会, 村委会 (or 省, 市, 区, 县)"), value=row["kind"]))
        problems += code_problems(code, kind, parent_code or None)
        if code in seen:
            problems.append(bilingual(_("code: duplicate of line {line}; each code appears once"), line=seen[code]))
        population = row.get("population") or ""
        if population and parse_id(population) is None:
            problems.append(bilingual(_("population: not a whole number; write digits only")))
        urban_rural = row.get("urban_rural_code") or ""
        if urban_rural and CODE_RE.match(code):
            problems += urban_rural_problems(urban_rural, level_of(code))
        if not problems and len(code) == 12 and level_of(code) in ("province", "city", "county") and gbt2260_name(code[:6]) is None:
            report.warnings.append((line_no, bilingual(_("code {code}: not in the GB/T 2260 list; accepted as new or historical"), code=code)))
        seen.setdefault(code, line_no)
        for p in problems:
            report.errors.append((line_no, f"{code or '?'}: {p}"))
        rows.append((line_no, {"code": code, "name": name, "parent_code": parent_code, "kind": kind, "population": parse_id(population),
                               "urban_rural_code": urban_rural or None}))
    codes_in_file = {r["code"] for _, r in rows}
    for line_no, r in rows:
        pc = r["parent_code"]
        if pc and pc not in codes_in_file and pc not in existing:
            report.errors.append((line_no, f"{r['code']}: " + bilingual(_("parent_code: {parent} is neither in the file nor in the database; import the parent first"), parent=pc)))
    if report.errors:
        report.errors.sort()
        return report

    # Parents before children: sort by level depth, then code.
    order = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}
    rows.sort(key=lambda lr: (order[level_of(lr[1]["code"])], lr[1]["code"]))
    with transaction.atomic():
        by_code = dict(existing)
        for _line, r in rows:
            unit = by_code.get(r["code"])
            if unit is not None:
                changed = [f for f in ("name", "kind", "population", "urban_rural_code") if r[f] is not None and getattr(unit, f) != r[f]]
                if changed:
                    for f in changed:
                        setattr(unit, f, r[f])
                    unit.save(update_fields=changed)
                    report.updated += 1
                else:
                    report.unchanged += 1
                continue
            parent = by_code.get(r["parent_code"]) if r["parent_code"] else None
            by_code[r["code"]] = create_unit(
                code=r["code"], name=r["name"], kind=r["kind"], parent=parent, valid_from=valid_from, population=r["population"],
                urban_rural_code=r["urban_rural_code"] or "",
            )
            report.created += 1
        if actor is not None or report.created or report.updated:
            audit.record(actor, audit.Action.CREATE, object_type="regions.orgunit", object_id="import",
                         detail={"created": report.created, "updated": report.updated})
    return report


def set_parameter(actor, *, unit: OrgUnit, key: str, value, source: str):
    """Set a region parameter of ``unit`` (a new row; the earlier ones stay as history), audited. ``value`` is checked
    against the key's type and range (``parameters.KNOWN``), ``source`` names where the rule comes from (a document,
    a decision) and is required. Only holders of the key's capability over the unit may set it (PermissionDenied)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from xinli.core.i18n import field_error
    from xinli.core.scoping import path_in_scope

    from .models import RegionParameter
    from .parameters import KNOWN

    known = KNOWN.get(key)
    if known is None:
        raise field_error("key", _("Parameter: unknown name."))
    if not path_in_scope(actor, known.capability, unit.path):
        raise PermissionDenied
    errors = {}
    if known.kind is int:
        parsed = parse_id(str(value).strip()) if value is not None else None
        if parsed is None or (known.lowest is not None and parsed < known.lowest) or (known.highest is not None and parsed > known.highest):
            errors["value"] = [ValidationError(bilingual(_("{name}: a whole number from {lowest} to {highest}."), name=known.label,
                                                         lowest=known.lowest, highest=known.highest), code="invalid")]
    elif known.kind is str:
        parsed = str(value or "").strip()
        if parsed not in known.choices:
            errors["value"] = [ValidationError(bilingual(_("{name}: one of {choices}."), name=known.label,
                                                         choices=", ".join(known.choice_label(c) for c in known.choices)), code="invalid")]
    else:  # a list of choices, given as a list or as comma-separated text
        items = value if isinstance(value, list | tuple) else str(value or "").replace("，", ",").split(",")
        parsed = sorted({str(v).strip() for v in items if str(v).strip()})
        if not parsed or any(v not in known.choices for v in parsed):
            errors["value"] = [ValidationError(bilingual(_("{name}: one or more of {choices}, separated by commas."),
                                                         name=known.label, choices=", ".join(known.choice_label(c) for c in known.choices)), code="invalid")]
    source = (source or "").strip()
    if not source or len(source) > 200:
        errors["source"] = [ValidationError(bilingual(_("Source of the rule: say where the rule comes from (a document or "
                                                        "decision), at most 200 characters.")), code="invalid")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = RegionParameter.objects.create(org_unit=unit, key=key, value=parsed, source=source, set_by=actor)
        audit.record(actor, audit.Action.UPDATE, object_type="regions.regionparameter", object_id=f"{key}:{unit.code}",
                     org_path=unit.path, detail={"key": key, "value": parsed, "source": source})
    return row


DEPARTMENT_COLUMNS = ("department_code", "org_unit_code", "name")


def import_department_units(text: str, *, actor=None) -> ImportReport:
    """Register departments' offices from CSV text (issue 19): columns ``department_code``, ``org_unit_code``,
    ``name`` (the office's name, e.g. 市南区民政局), optional ``department_name`` to add a department the list does not
    have yet (its code must then be new). Every row is checked first; any bad row → every problem reported with its
    line and nothing written. An office already registered for the department at that unit is renamed (re-runnable)."""
    from .models import Department, DepartmentUnit

    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [c for c in DEPARTMENT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"缺少列 / missing columns: {', '.join(missing)}"))
        return report
    departments = {d.code: d for d in Department.objects.all()}
    units = {}
    rows = []
    seen = set()
    for line, row in enumerate(reader, start=2):
        code = (row.get("department_code") or "").strip()
        unit_code = (row.get("org_unit_code") or "").strip()
        name = (row.get("name") or "").strip()
        new_name = (row.get("department_name") or "").strip()
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,29}", code):
            problems.append("department_code：用小写字母、数字和下划线，如 civil_affairs / use lower-case letters, digits and _, e.g. civil_affairs")
        elif code not in departments and not new_name:
            problems.append(f"department_code：未知部门 {code}，新部门请填写 department_name / unknown department {code}; "
                            "give department_name to add it")
        if unit_code not in units:
            units[unit_code] = OrgUnit.objects.filter(code=unit_code, valid_to__isnull=True).first()
        if units[unit_code] is None:
            problems.append(f"org_unit_code：没有现行单位 {unit_code} / no current org unit {unit_code}")
        if not name or len(name) > 100:
            problems.append("name：必填，不超过 100 个字 / required, at most 100 characters")
        if (code, unit_code) in seen:
            problems.append("同一部门在同一单位重复 / the same department twice at one unit")
        seen.add((code, unit_code))
        report.errors += [(line, p) for p in problems]
        rows.append((code, new_name, unit_code, name))
    if not report.ok:
        return report
    with transaction.atomic():
        for code, new_name, unit_code, name in rows:
            department = departments.get(code)
            if department is None:
                department = departments[code] = Department.objects.create(code=code, name=new_name, sort=500)
            office, made = DepartmentUnit.objects.get_or_create(department=department, org_unit=units[unit_code],
                                                                defaults={"name": name})
            if made:
                report.created += 1
            elif office.name != name:
                DepartmentUnit.objects.filter(pk=office.pk).update(name=name)
                report.updated += 1
            else:
                report.unchanged += 1
        audit.record(actor, audit.Action.UPDATE, object_type="regions.departmentunit",
                     detail={"created": report.created, "updated": report.updated})
    return report
