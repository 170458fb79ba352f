"""The work-order kinds loaded by migration ``governance.0002`` (data: the system administrator edits deadlines and
shared fields, or adds kinds, on ``/orders/kinds/`` through :func:`save_kind`). Deadlines where no national norm fixes one: acceptance within 24 hours for disputes and
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


def save_kind(actor, *, kind=None, code: str = "", name: str, name_en: str = "", department, accept_hours, complete_days,
              person_fields=(), active: bool = True, sort: int = 100):
    """Create a work-order kind (``kind`` None) or change one. Who: holders of ``regions.manage`` (the system
    administrator, on the 综治 office's instruction; kinds are platform-wide data). New deadlines apply to orders sent
    from then on; an order keeps the deadlines it was given. Every problem names its field; nothing is written."""
    import re

    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext_lazy as _

    from xinli.core import audit
    from xinli.core.i18n import bilingual
    from xinli.core.policy import REGIONS_MANAGE
    from xinli.core.scoping import has_capability

    from .models import PERSON_FIELDS, OrderKind

    if not has_capability(actor, REGIONS_MANAGE):
        raise PermissionDenied
    errors = {}
    code = (code or "").strip() if kind is None else kind.code
    if kind is None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,29}", code):
            errors["code"] = _("Code: 2–30 lower-case letters, digits or _, starting with a letter (e.g. housing_aid).")
        elif OrderKind.objects.filter(code=code).exists():
            errors["code"] = _("Code: {code} is taken; pick another.")
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name or len(name) > 60:
        errors["name"] = _("Name: required, at most 60 characters.")
    if len(name_en) > 80:
        errors["name_en"] = _("English name: at most 80 characters.")
    if department is None or not department.active:
        errors["department"] = _("Department: required; pick the department that handles this kind.")
    if not isinstance(accept_hours, int) or not 1 <= accept_hours <= 720:
        errors["accept_hours"] = _("Hours to accept: a whole number from 1 to 720.")
    if not isinstance(complete_days, int) or not 1 <= complete_days <= 365:
        errors["complete_days"] = _("Days to complete: a whole number from 1 to 365.")
    fields = [f for f in PERSON_FIELDS if f in set(person_fields)]
    if set(person_fields) - set(PERSON_FIELDS):
        errors["person_fields"] = _("Person fields shared: pick from the listed fields.")
    if errors:
        raise ValidationError({k: [bilingual(v, code=code)] for k, v in errors.items()})
    values = {"name": name, "name_en": name_en, "department": department, "accept_hours": accept_hours,
              "complete_days": complete_days, "person_fields": fields, "active": bool(active), "sort": sort}
    with transaction.atomic():
        if kind is None:
            kind = OrderKind.objects.create(code=code, **values)
            changed = sorted(values)
        else:
            changed = sorted(k for k, v in values.items() if getattr(kind, k) != v)
            for k, v in values.items():
                setattr(kind, k, v)
            kind.save()
        audit.record(actor, audit.Action.UPDATE, obj=kind, detail={"fields": changed})
    return kind
