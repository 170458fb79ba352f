"""What the field app hands over when a resident moves (``xinli.archives.transfers``): open scheduled home visits.

An open visit follows the person: when a field worker of the receiving unit accepts it, it is placed under the
receiving unit and assigned to them (it leaves the sending worker's pack, enters theirs; the day and purpose stay).
Returned, it stays with the sending unit, whose worker may cancel it. To another city (``citytransfer``) the visit is
not carried (no ``pack``): the person's record is then "moved out" and the task pack leaves out visits of persons who
are no longer residents (the receiving city schedules its own)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinli.archives import transfers
from xinli.core import audit
from xinli.core.policy import FIELD_SYNC

from .models import ScheduledVisit


def describe(person) -> list[transfers.Held]:
    return [transfers.Held(v.pk, v.org_path, {"visit_on": v.visit_on.isoformat()})
            for v in ScheduledVisit.objects.filter(person=person, state=ScheduledVisit.State.OPEN)]


def move(actor, object_id: int, to_unit, receiver) -> None:
    visit = ScheduledVisit.objects.select_for_update().get(pk=object_id)
    visit.place_under(to_unit)
    ScheduledVisit.objects.filter(pk=visit.pk).update(org_path=visit.org_path, county_code=visit.county_code,
                                                      assigned_to=receiver or visit.assigned_to_id)
    audit.record(actor, audit.Action.UPDATE, obj=visit, person=visit.person, org_path=visit.org_path,
                 detail={"transferred_to": to_unit.pk, "assigned_to": getattr(receiver, "pk", None)})


def label(detail: dict) -> str:
    return _("Scheduled home visit on %(day)s") % {"day": detail.get("visit_on", "")}


transfers.register(transfers.Holder("field.scheduledvisit", FIELD_SYNC, describe, move, label, order=60,
                                    name=gettext_lazy("scheduled home visit")))
