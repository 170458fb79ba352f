"""Excel import and export of the network register (institutions, sites, staff).

Import: one workbook with any of the sheets ``institutions``, ``sites`` and ``staff`` (header row, one record per
row; columns below). Every row goes through the services (scope, validation, audit). Each bad row is reported as
``sheet line: message``; by default nothing is written if any row is bad, with ``skip_invalid`` the good rows are.

* institutions: org_unit_code, name, kind, hospital_level, students, psychology_teachers, employees, above_size, credit_code,
  psychiatric_department (是/否: a general hospital with a psychiatric department or clinic, T18)
* sites: org_unit_code, name, kind, institution (name, in the same org unit or above), opened_on, address, hours, phone, purchased
* staff: org_unit_code, name, profession, education, employer (institution name), full_time, cert_kind, cert_number,
  cert_issuer, cert_valid_from, cert_valid_to

Export: the same three sheets for the user's area (``network.manage``); staff names are included (the register of
professionals), so every export is audited with its row counts.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from xinli.core import audit
from xinli.core.policy import NETWORK_MANAGE
from xinli.core.scoping import has_capability, scope_q
from xinli.core.uploads import too_many_rows, workbook_problem
from xinli.core.xlsx import new_workbook
from xinli.regions.models import OrgUnit

from . import services
from .models import Institution, Site, Staff

SHEETS = {
    "institutions": ["org_unit_code", "name", "kind", "hospital_level", "students", "psychology_teachers", "employees", "above_size", "credit_code",
                     "psychiatric_department"],
    "sites": ["org_unit_code", "name", "kind", "institution", "opened_on", "address", "hours", "phone", "purchased"],
    "staff": ["org_unit_code", "name", "profession", "education", "employer", "full_time", "cert_kind", "cert_number", "cert_issuer",
              "cert_valid_from", "cert_valid_to"],
}


class _Rollback(Exception):
    pass


@dataclass
class Report:
    created: dict = field(default_factory=dict)
    errors: list[tuple[str, int, str]] = field(default_factory=list)


def _text(v) -> str:
    return "" if v is None else str(v).strip()


def _int(v):
    return None if v in (None, "") else int(v)


def _bool(v) -> bool:
    return _text(v) in ("1", "是", "yes", "true", "True", "TRUE")


def _date(v):
    if v in (None, ""):
        return None
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    return datetime.date.fromisoformat(_text(v))


def _unit(code) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=_text(code), valid_to__isnull=True).first()
    if unit is None:
        raise ValidationError({"org_unit_code": ["未知的区划代码 / unknown org unit code"]})
    return unit


def _institution(name, unit) -> Institution | None:
    if not _text(name):
        return None
    inst = Institution.objects.filter(name=_text(name), org_unit__path__in=[p for p in _ancestor_paths(unit)]).first()
    if inst is None:
        raise ValidationError({"institution": [f"未找到机构 / institution not found: {_text(name)}"]})
    return inst


def _ancestor_paths(unit) -> list[str]:
    parts = unit.path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _row(actor, sheet: str, r: dict) -> None:
    unit = _unit(r.get("org_unit_code"))
    if sheet == "institutions":
        services.create_institution(actor, org_unit=unit, name=_text(r.get("name")), kind=_text(r.get("kind")),
                                    hospital_level=_text(r.get("hospital_level")), students=_int(r.get("students")),
                                    psychology_teachers=_int(r.get("psychology_teachers")), employees=_int(r.get("employees")),
                                    above_size=_bool(r.get("above_size")), credit_code=_text(r.get("credit_code")),
                                    psychiatric_department=_bool(r.get("psychiatric_department")))
    elif sheet == "sites":
        services.create_site(actor, org_unit=unit, name=_text(r.get("name")), kind=_text(r.get("kind")),
                             institution=_institution(r.get("institution"), unit), opened_on=_date(r.get("opened_on")),
                             address=_text(r.get("address")), hours=_text(r.get("hours")), phone=_text(r.get("phone")),
                             purchased=_bool(r.get("purchased")))
    else:
        certs = []
        if _text(r.get("cert_kind")):
            certs.append({"kind": _text(r.get("cert_kind")), "number": _text(r.get("cert_number")), "issuer": _text(r.get("cert_issuer")),
                          "valid_from": _date(r.get("cert_valid_from")), "valid_to": _date(r.get("cert_valid_to"))})
        services.create_staff(actor, org_unit=unit, name=_text(r.get("name")), profession=_text(r.get("profession")),
                              education=_text(r.get("education")), employer=_institution(r.get("employer"), unit),
                              full_time=_bool(r.get("full_time")) if r.get("full_time") not in (None, "") else True, certificates=certs)


def import_workbook(actor, path, *, skip_invalid: bool = False) -> Report:
    from openpyxl import load_workbook

    report = Report()
    problem = workbook_problem(path)
    if problem:
        report.errors.append(("file", 0, problem))
        return report
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — any unreadable file is one clear error
        report.errors.append(("file", 0, f"文件无法读取 / cannot read the workbook: {exc}"))
        return report
    sheets = [s for s in SHEETS if s in wb.sheetnames]
    if not sheets:
        report.errors.append(("file", 0, "工作簿须包含 institutions、sites 或 staff 工作表 / the workbook needs a sheet institutions, sites or staff"))
        return report
    try:
        with transaction.atomic():
            for sheet in sheets:  # institutions first, so that sites and staff can name them
                rows = wb[sheet].iter_rows(values_only=True)
                header = [_text(h) for h in next(rows, [])]
                missing = [c for c in ("org_unit_code", "name") if c not in header]
                if missing:
                    report.errors.append((sheet, 1, f"表头缺少 / header is missing: {', '.join(missing)}"))
                    continue
                report.created[sheet] = 0
                for line, values in enumerate(rows, start=2):
                    if too_many_rows(line):
                        report.errors.append((sheet, line, too_many_rows(line)))
                        break
                    r = dict(zip(header, values, strict=False))
                    if not any(v not in (None, "") for v in r.values()):
                        continue
                    try:
                        with transaction.atomic():
                            _row(actor, sheet, r)
                        report.created[sheet] += 1
                    except ValidationError as exc:
                        msg = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) if hasattr(exc, "error_dict") else " ".join(exc.messages)
                        report.errors.append((sheet, line, msg))
                    except PermissionDenied:
                        report.errors.append((sheet, line, "不在您的管辖范围内 / outside your area"))
                    except (ValueError, TypeError) as exc:
                        report.errors.append((sheet, line, f"格式错误 / bad value: {exc}"))
            if report.errors and not skip_invalid:
                raise _Rollback
    except _Rollback:
        report.created = {k: 0 for k in report.created}
    return report


def export_workbook(user) -> bytes:
    if not has_capability(user, NETWORK_MANAGE):
        raise PermissionDenied
    q = scope_q(user, NETWORK_MANAGE)
    institutions = list(Institution.objects.filter(q).select_related("org_unit"))
    sites = list(Site.objects.filter(q).select_related("org_unit", "institution"))
    staff = list(Staff.objects.filter(q).select_related("org_unit", "employer").prefetch_related("certificates"))
    buf = io.BytesIO()
    wb = new_workbook(buf)
    ws = wb.add_worksheet("institutions")
    ws.write_row(0, 0, SHEETS["institutions"])
    for i, x in enumerate(institutions, 1):
        ws.write_row(i, 0, [x.org_unit.code, x.name, x.kind, x.hospital_level, x.students, x.psychology_teachers, x.employees,
                            "是" if x.above_size else "否", x.credit_code, "是" if x.psychiatric_department else "否"])
    ws = wb.add_worksheet("sites")
    ws.write_row(0, 0, SHEETS["sites"])
    for i, x in enumerate(sites, 1):
        first = x.statuses.order_by("start").first()
        ws.write_row(i, 0, [x.org_unit.code, x.name, x.kind, x.institution.name if x.institution else "", first.start.isoformat() if first else "",
                            x.address, x.hours, x.phone, "是" if x.purchased else "否"])
    ws = wb.add_worksheet("staff")
    ws.write_row(0, 0, SHEETS["staff"])
    for i, x in enumerate(staff, 1):
        c = next(iter(x.certificates.all()), None)
        ws.write_row(i, 0, [x.org_unit.code, x.name, x.profession, x.education, x.employer.name if x.employer else "", "是" if x.full_time else "否",
                            c.kind if c else "", c.number if c else "", c.issuer if c else "", c.valid_from.isoformat() if c else "",
                            c.valid_to.isoformat() if c and c.valid_to else ""])
    wb.close()
    audit.record(user, audit.Action.EXPORT, object_type="network", object_id="register",
                 detail={"institutions": len(institutions), "sites": len(sites), "staff": len(staff)})
    return buf.getvalue()
