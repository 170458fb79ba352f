"""What counselling hands over when a resident moves (``xinli.archives.transfers``): the active personalised plan and
open counselling cases. The accepting counsellor becomes the plan's worker and the case's counsellor (sessions and
their confidential notes stay with the case; the supervisor link is cleared, the new unit names its own)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import COUNSELLING_WORK
from xinli.core.scoping import path_in_scope

from .models import Case, Plan


def describe_plans(person) -> list[transfers.Held]:
    return [transfers.Held(p.pk, p.org_path, {"review_on": p.review_on.isoformat()})
            for p in Plan.objects.filter(person=person, state=Plan.State.ACTIVE)]


def describe_cases(person) -> list[transfers.Held]:
    return [transfers.Held(c.pk, c.org_path, {"sessions": c.sessions.count()})
            for c in Case.objects.filter(person=person, state=Case.State.OPEN)]


def move_plan(actor, object_id: int, to_unit, receiver) -> None:
    plan = Plan.objects.select_for_update().get(pk=object_id)
    plan.place_under(to_unit)
    Plan.objects.filter(pk=plan.pk).update(org_path=plan.org_path, county_code=plan.county_code, worker=receiver or plan.worker_id,
                                           reminded_on=None)
    audit.record(actor, audit.Action.UPDATE, obj=plan, person=plan.person, org_path=plan.org_path,
                 detail={"transferred_to": to_unit.pk, "worker": getattr(receiver, "pk", None)})


def move_case(actor, object_id: int, to_unit, receiver) -> None:
    case = Case.objects.select_for_update().get(pk=object_id)
    case.place_under(to_unit)
    Case.objects.filter(pk=case.pk).update(org_path=case.org_path, county_code=case.county_code,
                                           counsellor=receiver or case.counsellor_id, supervisor=None, site=None)
    case.sessions.update(county_code=case.county_code)
    audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, org_path=case.org_path,
                 detail={"transferred_to": to_unit.pk, "counsellor": getattr(receiver, "pk", None)})


def plan_label(detail: dict) -> str:
    return _("Personalised plan, next review %(day)s") % {"day": detail.get("review_on", "")}


def case_label(detail: dict) -> str:
    return _("Open counselling case, %(n)s sessions") % {"n": detail.get("sessions", 0)}


# --- to another city running the platform (xinli.archives.citytransfer) --------------------------------------------

def pack_plans(person) -> list[dict]:
    return [{"goals": p.goals, "interventions": p.interventions, "partners": list(p.partners or []),
             "review_on": p.review_on.isoformat(), "created_at": p.created_at.isoformat()}
            for p in Plan.objects.filter(person=person, state=Plan.State.ACTIVE)]


def pack_cases(person) -> list[dict]:
    """Open cases without their confidential session notes: the reason, when opened, and the sessions' number and
    dates (the notes stay in the sending city)."""
    out = []
    for c in Case.objects.filter(person=person, state=Case.State.OPEN).order_by("opened_at", "pk"):
        dates = [d.isoformat() for d in c.sessions.order_by("date").values_list("date", flat=True)]
        out.append({"reason": c.reason, "opened_at": c.opened_at.isoformat(), "sessions": len(dates), "session_dates": dates})
    return out


def _worker(actor, unit):
    """Who takes an imported plan or case: the importing user when they counsel there, else the counsellors nearest
    above the unit (the first by name), else the importing user until a counsellor is named."""
    if path_in_scope(actor, COUNSELLING_WORK, unit.path):
        return actor
    found = sorted(transfers.receivers(unit, {COUNSELLING_WORK}), key=lambda u: u.username)
    return found[0] if found else actor


def unpack_plans(actor, person, unit, rows) -> int:
    import datetime

    worker = _worker(actor, unit)
    today = timezone.localdate()
    n = 0
    for row in rows[:1]:  # one active plan per person
        if Plan.objects.filter(person=person, state=Plan.State.ACTIVE).exists():
            break
        review_on = max(datetime.date.fromisoformat(row["review_on"]), today + datetime.timedelta(days=1))
        plan = Plan(person=person, goals=row["goals"], interventions=row["interventions"], partners=list(row.get("partners") or []),
                    worker=worker, review_on=review_on).place_under(unit)
        plan.save()
        audit.record(actor, audit.Action.CREATE, obj=plan, person=person, org_path=plan.org_path,
                     detail={"transferred_in": True, "worker": worker.pk})
        n += 1
    return n


def unpack_cases(actor, person, unit, rows) -> int:
    counsellor = _worker(actor, unit)
    for row in rows:
        # Stored data, in the platform's language (like a worker's words), not a page text.
        note = (f"（外市迁入：原城市于 {str(row.get('opened_at', ''))[:10]} 开案，已会谈 {int(row.get('sessions') or 0)} 次；"
                "会谈记录留在原城市）")
        case = Case(person=person, counsellor=counsellor, reason=f"{row.get('reason', '')}\n{note}".strip()).place_under(unit)
        case.save()
        audit.record(actor, audit.Action.CREATE, obj=case, person=person, org_path=case.org_path,
                     detail={"transferred_in": True, "counsellor": counsellor.pk})
    return len(rows)


def close_plans(actor, person, reason, on) -> int:
    rows = list(Plan.objects.filter(person=person, state=Plan.State.ACTIVE))
    for plan in rows:
        Plan.objects.filter(pk=plan.pk).update(state=Plan.State.CLOSED, closed_at=timezone.now())
        audit.record(actor, audit.Action.UPDATE, obj=plan, person=person, org_path=plan.org_path,
                     detail={"state": "closed", "moved_out": True})
    return len(rows)


def close_cases(actor, person, reason, on) -> int:
    rows = list(Case.objects.filter(person=person, state=Case.State.OPEN))
    for case in rows:
        Case.objects.filter(pk=case.pk).update(state=Case.State.CLOSED, closed_at=timezone.now())
        case.refresh_from_db()
        case.closing_summary = reason
        case.save(update_fields=["closing_summary"])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=person, org_path=case.org_path,
                     detail={"state": "closed", "moved_out": True})
    return len(rows)


transfers.register(transfers.Holder("counselling.plan", COUNSELLING_WORK, describe_plans, move_plan, plan_label, order=20,
                                    name=gettext_lazy("personalised plan"),
                                    pack=pack_plans, unpack=unpack_plans, close=close_plans))
transfers.register(transfers.Holder("counselling.case", COUNSELLING_WORK, describe_cases, move_case, case_label, order=30,
                                    name=gettext_lazy("counselling case"),
                                    pack=pack_cases, unpack=unpack_cases, close=close_cases))
