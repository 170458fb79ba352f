"""What counselling hands over when a resident moves (``xinli.archives.transfers``): the active personalised plan and
open counselling cases. The accepting counsellor becomes the plan's worker and the case's counsellor (sessions and
their confidential notes stay with the case; the supervisor link is cleared, the new unit names its own)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import COUNSELLING_WORK

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


transfers.register(transfers.Holder("counselling.plan", COUNSELLING_WORK, describe_plans, move_plan, plan_label, order=20,
                                    name=gettext_lazy("personalised plan")))
transfers.register(transfers.Holder("counselling.case", COUNSELLING_WORK, describe_cases, move_case, case_label, order=30,
                                    name=gettext_lazy("counselling case")))
