"""The work-order kinds loaded by migration ``governance.0002`` (data: a region edits deadlines and shared fields in
the database, or adds kinds; no page yet). Deadlines where no national norm fixes one: acceptance within 24 hours for disputes and
safety, 48 hours otherwise (the common practice of the 12345 citizen hotlines); completion 7–20 days by kind, the
15 working-day answer period of the 信访工作条例 (2022) taken as the default. Person fields: the least the
receiving department needs to act (docs/governance.md)."""

from __future__ import annotations

# (code, Chinese name, English name, department code, hours to accept, days to complete, person fields, sort)
DEFAULTS = [
    ("dispute_mediation", "矛盾纠纷调解", "Dispute mediation", "justice", 24, 15, ["name", "phone", "address"], 10),
    ("hardship_aid", "困难救助", "Hardship assistance", "civil_affairs", 48, 15, ["name", "phone", "address", "id_number"], 20),
    ("disability_support", "残疾人帮扶", "Disability support", "disability", 48, 20, ["name", "phone", "address"], 30),
    ("medical_insurance", "医疗保障救助", "Medical insurance help", "medical_insurance", 48, 15, ["name", "phone", "id_number"], 40),
    ("employment_help", "就业帮扶", "Employment help", "hrss", 48, 20, ["name", "phone"], 50),
    ("school_referral", "学生心理转介", "Student referral for mental health care", "health", 24, 7,
     ["name", "sex", "birth_date", "phone"], 60),
    ("women_children", "妇女儿童权益维护", "Women's and children's rights", "women", 48, 15, ["name", "phone", "address"], 70),
    ("safety_watch", "重点人员稳控", "Safety follow-up of a person at risk", "public_security", 24, 7,
     ["name", "phone", "address"], 80),
    ("citizen_hotline", "12345 热线工单", "12345 citizen-hotline order", "zongzhi", 24, 15, ["name", "phone"], 90),
    ("other", "其他协办事项", "Other request", "zongzhi", 48, 15, ["name", "phone"], 100),
]


def ensure_defaults(OrderKind=None, Department=None) -> None:
    """Create the default work-order kinds that are missing (and their departments): migration ``governance.0002``,
    the demo seed and test fixtures after a flush."""
    from xinli.regions.departments import ensure_defaults as departments

    if OrderKind is None:
        from xinli.regions.models import Department

        from .models import OrderKind
    departments(Department)
    by_code = {d.code: d for d in Department.objects.all()}
    for code, name, name_en, dept, hours, days, fields, sort in DEFAULTS:
        OrderKind.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "department": by_code[dept], "accept_hours": hours, "complete_days": days,
            "person_fields": fields, "sort": sort})
