"""What crisis intervention hands over when a resident moves (``xinli.archives.transfers``): open crisis cases, and
closed high-risk cases whose scheduled follow-up contacts are still pending (the contacts move with the case)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import ALERTS_WORK

from .models import CrisisAction, CrisisCase, FollowUp


def describe(person) -> list[transfers.Held]:
    rows = CrisisCase.objects.filter(person=person).filter(
        Q(state=CrisisCase.State.OPEN) | Q(follow_ups__done_at__isnull=True, follow_ups__isnull=False)).distinct()
    return [transfers.Held(c.pk, c.org_path, {"open": c.state == CrisisCase.State.OPEN,
                                              "follow_ups": c.follow_ups.filter(done_at__isnull=True).count()}) for c in rows]


def move(actor, object_id: int, to_unit, receiver) -> None:
    case = CrisisCase.objects.select_for_update().get(pk=object_id)
    case.place_under(to_unit)
    CrisisCase.objects.filter(pk=case.pk).update(org_path=case.org_path, county_code=case.county_code)
    FollowUp.objects.filter(case=case, done_at__isnull=True).update(org_path=case.org_path, county_code=case.county_code)
    CrisisAction.objects.filter(case=case).update(county_code=case.county_code)
    audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, org_path=case.org_path,
                 detail={"transferred_to": to_unit.pk})


def label(detail: dict) -> str:
    text = _("Crisis case in progress") if detail.get("open") else _("Closed crisis case")
    if detail.get("follow_ups"):
        text += _(", %(n)s follow-up contacts pending") % {"n": detail["follow_ups"]}
    return text


transfers.register(transfers.Holder("alerts.crisis_case", ALERTS_WORK, describe, move, label, order=40,
                                    name=gettext_lazy("crisis case")))
