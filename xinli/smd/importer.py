"""Import an existing SMD register from an Excel workbook (patients and their last follow-up).

First sheet, header row, one patient per row:

    id_number, name, org_unit_code, diagnosis, diagnosed_by, diagnosed_on, source, residence, guardian_name,
    guardian_phone, consent, last_follow_up, mode, risk, insight, adherence

``diagnosis``: F20/F25/F22/F31/F06/F7x or the Chinese name; ``source``: hospital/community/transfer (医院报告/社区发现/
转入); ``residence``: home/institution (居家/机构); ``consent``: 是/否; dates as Excel dates or YYYY-MM-DD; the last
follow-up columns may be empty (the patient is then due a first follow-up). A person not yet in the archive of the
importer's area is registered with ``name`` and ``org_unit_code``; an ID number the archive holds outside that area
is refused with the archive's neutral text and a duplicate request for the officers above (issue 15), recorded even
though the batch is rolled back. Every row goes through the same services as the pages (scope,
validation, classification, schedule, audit). Each row is reported with its line number; by default nothing is written
if any row is bad; with ``skip_invalid`` the valid rows are written and the rest reported.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from xinli.archives.normalize import normalize_id_number
from xinli.archives.selectors import visible_persons
from xinli.archives.services import record_review_requests, register_person, review_request_of
from xinli.core.fields import blind_index
from xinli.core.uploads import too_many_rows, workbook_problem
from xinli.regions.models import OrgUnit

from . import services
from .models import Diagnosis

COLUMNS = ("id_number", "name", "org_unit_code", "diagnosis", "diagnosed_by", "diagnosed_on", "source", "residence",
           "guardian_name", "guardian_phone", "consent", "last_follow_up", "mode", "risk", "insight", "adherence")
REQUIRED = ("id_number", "diagnosis", "diagnosed_by", "diagnosed_on", "source")
DIAGNOSIS_NAMES = {"精神分裂症": "F20", "分裂情感性障碍": "F25", "偏执性精神病": "F22", "双相情感障碍": "F31", "双相障碍": "F31",
                   "癫痫所致精神障碍": "F06", "精神发育迟滞伴发精神障碍": "F7x"}
SOURCES = {"医院报告": "hospital", "社区发现": "community", "转入": "transfer"}
RESIDENCES = {"居家": "home", "机构": "institution"}
MODES = {"门诊": "clinic", "家庭访视": "home", "入户": "home", "电话": "phone"}


class _Rollback(Exception):
    pass


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value).strip())


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def import_workbook(actor, path, *, skip_invalid: bool = False) -> ImportReport:
    from openpyxl import load_workbook

    report = ImportReport()
    problem = workbook_problem(path)
    if problem:
        report.errors.append((0, problem))
        return report
    try:
        ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # noqa: BLE001 — any unreadable file is one clear error
        report.errors.append((0, f"文件无法读取 / cannot read the workbook: {exc}"))
        return report
    rows = ws.iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, f"表头缺少 / header is missing: {', '.join(missing)}"))
        return report
    reviews = []  # duplicate ID-number requests raised by refused rows: rolled back with their row, recorded after
    try:
        with transaction.atomic():
            for line, values in enumerate(rows, start=2):
                if too_many_rows(line):
                    report.errors.append((line, too_many_rows(line)))
                    break
                row = dict(zip(header, values, strict=False))
                if not any(v not in (None, "") for v in row.values()):
                    continue
                try:
                    with transaction.atomic():
                        _import_row(actor, row)
                    report.created += 1
                except ValidationError as exc:
                    if review_request_of(exc) is not None:
                        reviews.append(review_request_of(exc))
                    report.errors.append((line, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                                          if hasattr(exc, "error_dict") else " ".join(exc.messages)))
                except PermissionDenied:
                    report.errors.append((line, "不在您的管辖范围内 / outside your area"))
                except (ValueError, TypeError) as exc:
                    report.errors.append((line, f"格式错误 / bad value: {exc}"))
            if report.errors and not skip_invalid:
                raise _Rollback
    except _Rollback:
        report.created = 0
    finally:
        # Outside the batch's transaction: the officers see the request even when the batch is rolled back.
        record_review_requests(reviews)
    return report


def _import_row(actor, row: dict) -> None:
    idn = _text(row.get("id_number")).upper()
    # Only a person of the importer's area is taken as found; a number held elsewhere goes the way of a new person,
    # whom the archive refuses with its neutral text and a duplicate request (issue 15: no existence oracle).
    person = visible_persons(actor).filter(id_number_bidx=blind_index("id_number", idn, normalize_id_number) or "-").first()
    if person is None:
        unit = OrgUnit.objects.filter(code=_text(row.get("org_unit_code")), valid_to__isnull=True).first()
        if unit is None:
            raise ValidationError({"org_unit_code": ["未知的区划代码：您辖区的档案中没有此人，请填写其居住地的区划代码 / "
                                                     "unknown org unit code: the person is not in your area's archive; "
                                                     "give the code of the unit where they live"]})
        person = register_person(actor, {"name": _text(row.get("name")), "id_number": idn, "org_unit": unit},
                                 consents=[{"purpose": "archive", "legal_basis": "statutory"}]).person
    diagnosis = _text(row.get("diagnosis"))
    diagnosis = DIAGNOSIS_NAMES.get(diagnosis, diagnosis)
    if diagnosis not in Diagnosis.values:
        raise ValidationError({"diagnosis": [f"未知诊断 / unknown diagnosis '{diagnosis}'"]})
    consent = _text(row.get("consent")) in ("是", "yes", "1", "true", "True")
    patient = services.register_patient(actor, person, {
        "diagnosis": diagnosis, "diagnosed_by": _text(row.get("diagnosed_by")), "diagnosed_on": _date(row.get("diagnosed_on")),
        "source": SOURCES.get(_text(row.get("source")), _text(row.get("source"))),
        "residence": RESIDENCES.get(_text(row.get("residence")), _text(row.get("residence")) or "home"),
        "guardian_name": _text(row.get("guardian_name")), "guardian_phone": _text(row.get("guardian_phone")),
        "consent_community": consent})
    last = _date(row.get("last_follow_up"))
    if last is not None:
        risk = row.get("risk")
        services.record_follow_up(actor, patient, {
            "date": last, "mode": MODES.get(_text(row.get("mode")), _text(row.get("mode")) or "clinic"),
            "risk": int(risk) if risk not in (None, "") else None, "insight": _text(row.get("insight")),
            "adherence": _text(row.get("adherence")), "referral_institution": _text(row.get("diagnosed_by"))})
