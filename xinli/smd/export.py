"""Excel export of the register for treating roles: de-identified by default (no name, ID number, address or phone;
a stable export number instead), identified only on request with a stated purpose. Every export is audited with the
number of patients and whether it was identified."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied

from xinli.core import audit
from xinli.core.policy import SMD_VIEW
from xinli.core.scoping import has_capability
from xinli.core.xlsx import new_workbook

from .selectors import clinical_patients

HEADER_DEIDENTIFIED = ["编号 No.", "出生年 Birth year", "性别 Sex", "区划 Org unit", "诊断 Diagnosis", "状态 Status",
                       "居住 Residence", "分类 Classification", "危险性 Risk", "末次随访 Last follow-up"]
HEADER_IDENTIFIED = ["姓名 Name", "身份证号 ID number", "住址 Address", *HEADER_DEIDENTIFIED[1:]]


def export_register(user, *, identified: bool = False, purpose: str = "") -> bytes:
    if not has_capability(user, SMD_VIEW):
        raise PermissionDenied
    if identified and not purpose.strip():
        raise ValueError("an identified export needs a purpose")
    patients = list(clinical_patients(user).select_related("person__org_unit").order_by("pk"))
    buf = io.BytesIO()
    wb = new_workbook(buf)
    ws = wb.add_worksheet("register")
    ws.write_row(0, 0, HEADER_IDENTIFIED if identified else HEADER_DEIDENTIFIED)
    for row, p in enumerate(patients, start=1):
        person = p.person
        common = [person.birth_year or "", person.get_sex_display(), person.org_unit.name,
                  p.get_diagnosis_display(), p.get_status_display(), p.get_residence_display(),
                  p.get_classification_display(), "" if p.risk is None else p.risk,
                  p.last_follow_up.isoformat() if p.last_follow_up else ""]
        ws.write_row(row, 0, ([person.name, person.id_number or "", person.address or ""] if identified else [f"P{p.pk:06d}"]) + common)
    wb.close()
    if identified:  # each person named in the file is an audited read
        audit.record_person_reads(user, [p.person for p in patients], action=audit.Action.EXPORT, purpose=purpose)
    audit.record(user, audit.Action.EXPORT, object_type="smd.patient", object_id="register",
                 purpose=purpose[:60], detail={"patients": len(patients), "identified": identified})
    return buf.getvalue()


# --- The upward register in the national information system's column order ----------------------------------------
# One column per entry: (header, value of the patient). The order and the code lists are documented in docs/smd.md
# ("National forms and the upward register"); a test checks that the header row equals the documented list. Values
# are the national labels (Chinese) whatever the reader's language: the file is for the national system.

SOURCE_ZH = {"hospital": "医院报告", "community": "社区筛查发现", "transfer": "转入"}
STATUS_ZH = {"in_register": "在册", "moved_out": "迁出", "died": "死亡", "removed": "注销"}
RESIDENCE_ZH = {"home": "居家", "institution": "机构（住院或托养）"}


def _national_columns():
    from .forms_pdf import CLASSIFICATION, DIAGNOSIS, ICD10, SEX, patient_number, responsible_unit

    sex = {c: label for c, _n, label in SEX}
    classification = {c: label for c, _n, label in CLASSIFICATION}

    def iso(d):
        return d.isoformat() if d else ""

    return [
        ("患者编号", lambda p: patient_number(p)),
        ("姓名", lambda p: p.person.name or ""),
        ("性别", lambda p: sex.get(p.person.sex, "")),
        ("出生日期", lambda p: iso(p.person.birth_date)),
        ("身份证号", lambda p: p.person.id_number or ""),
        ("联系电话", lambda p: p.person.phone or ""),
        ("现住址", lambda p: p.person.address or ""),
        ("户别", lambda p: "农村" if p.person.org_unit.is_rural else "城镇"),
        ("现住址区划代码", lambda p: p.person.org_unit.code),
        ("管理单位", lambda p: responsible_unit(p)),
        ("监护人姓名", lambda p: p.guardian_name or ""),
        ("监护人电话", lambda p: p.guardian_phone or ""),
        ("知情同意", lambda p: "同意参加管理" if p.consent_community else "不同意参加管理"),
        ("知情同意签字日期", lambda p: iso(p.consent_on)),
        ("诊断", lambda p: DIAGNOSIS.get(p.diagnosis, "")),
        ("ICD-10编码", lambda p: ICD10.get(p.diagnosis, "")),
        ("确诊医院", lambda p: p.diagnosed_by),
        ("确诊日期", lambda p: iso(p.diagnosed_on)),
        ("患者来源", lambda p: SOURCE_ZH.get(p.source, "")),
        ("纳入管理日期", lambda p: iso(p.registered_on)),
        ("管理状态", lambda p: STATUS_ZH.get(p.status, "")),
        ("居住情况", lambda p: RESIDENCE_ZH.get(p.residence, "")),
        ("经济状况", lambda p: "贫困" if p.poor else "非贫困"),
        ("参加医疗保险", lambda p: "是" if p.insured else "否"),
        ("个案管理级别", lambda p: p.management_level),
        ("危险性评估", lambda p: "" if p.risk is None else f"{p.risk}级"),
        ("病情分类", lambda p: classification.get(p.classification, "")),
        ("末次随访日期", lambda p: iso(p.last_follow_up)),
        ("责任医生", lambda p: str(p.doctor) if p.doctor else ""),
    ]


def national_header() -> list[str]:
    return [h for h, _f in _national_columns()]


def export_national(user, *, purpose: str) -> bytes:
    """The register in the national system's columns. Always identified (the national register is named): a purpose
    is required, each person in the file is an audited read, and the export itself is audited."""
    if not has_capability(user, SMD_VIEW):
        raise PermissionDenied
    if not purpose.strip():
        raise ValueError("the upward register needs a purpose")
    columns = _national_columns()
    patients = list(clinical_patients(user).select_related("person__org_unit").order_by("pk"))
    buf = io.BytesIO()
    wb = new_workbook(buf)
    ws = wb.add_worksheet("患者基本信息")
    ws.write_row(0, 0, [h for h, _f in columns])
    for row, p in enumerate(patients, start=1):
        ws.write_row(row, 0, [f(p) for _h, f in columns])
    wb.close()
    audit.record_person_reads(user, [p.person for p in patients], action=audit.Action.EXPORT, purpose=purpose)
    audit.record(user, audit.Action.EXPORT, object_type="smd.patient", object_id="register-national",
                 purpose=purpose[:60], detail={"patients": len(patients), "identified": True, "form": "national_register"})
    return buf.getvalue()
