"""Qualification rules (the 2025 work summary, DOMAIN.md §2), evaluated — not just stored.

* A **counsellor** is qualified on a day when their education is a bachelor's degree or above and they hold a
  psychological-counsellor certificate valid that day.
* A **social psychological service organisation** complies when it employs at least two active, full-time,
  qualified counsellors.
"""

from __future__ import annotations

import datetime

from .models import Certificate, Education, InstitutionKind, Profession

DEGREES = (Education.BACHELOR, Education.MASTER, Education.DOCTOR)


def counsellor_qualified(staff, day: datetime.date) -> bool:
    return (staff.profession == Profession.COUNSELLOR and staff.education in DEGREES
            and any(c.kind == Certificate.Kind.COUNSELLOR and c.valid_on(day) for c in staff.certificates.all()))


def counsellor_problems(staff, day: datetime.date) -> list[str]:
    """Why a counsellor is not qualified (empty when qualified), for the compliance flag."""
    problems = []
    if staff.education not in DEGREES:
        problems.append("education")
    if not any(c.kind == Certificate.Kind.COUNSELLOR and c.valid_on(day) for c in staff.certificates.all()):
        problems.append("certificate")
    return problems


def organisation_compliant(institution, day: datetime.date) -> bool:
    if institution.kind != InstitutionKind.SOCIAL_ORG:
        return True
    staff = institution.staff.filter(active=True, full_time=True, profession=Profession.COUNSELLOR).prefetch_related("certificates")
    return sum(counsellor_qualified(s, day) for s in staff) >= 2
