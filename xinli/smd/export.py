"""Excel export of the register for treating roles: de-identified by default (no name, ID number, address or phone;
a stable export number instead), identified only on request with a stated purpose. Every export is audited with the
number of patients and whether it was identified."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied

from xinli.core import audit, xlsx
from xinli.core.policy import SMD_VIEW
from xinli.core.scoping import has_capability

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
    wb = xlsx.new_workbook(buf)
    ws = xlsx.add_worksheet(wb, "register")
    xlsx.write_row(ws, 0, HEADER_IDENTIFIED if identified else HEADER_DEIDENTIFIED)
    for row, p in enumerate(patients, start=1):
        person = p.person
        common = [person.birth_year or "", person.get_sex_display(), person.org_unit.name,
                  p.get_diagnosis_display(), p.get_status_display(), p.get_residence_display(),
                  p.get_classification_display(), "" if p.risk is None else p.risk,
                  p.last_follow_up.isoformat() if p.last_follow_up else ""]
        xlsx.write_row(ws, row, ([person.name, person.id_number or "", person.address or ""] if identified else [f"P{p.pk:06d}"]) + common)
    wb.close()
    if identified:  # each person named in the file is an audited read
        audit.record_person_reads(user, [p.person for p in patients], action=audit.Action.EXPORT, purpose=purpose)
    audit.record(user, audit.Action.EXPORT, object_type="smd.patient", object_id="register",
                 purpose=purpose[:60], detail={"patients": len(patients), "identified": identified})
    return buf.getvalue()
