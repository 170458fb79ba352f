"""Closing duplicate ID-number requests (issue 15, the existence oracle): the write side of the officers' worklist.

A request is raised by ``services._check_id_free`` when someone enters an ID number the archive holds outside their
area; they were told only a neutral refusal. An officer of the common ancestor unit (``archives.edit`` over the
request's ``org_path``; never the requester) closes it with a note:

- ``transfer``: the existing record moves to the requesting unit through the archive's own move,
  ``services.update_person`` with the new residence unit — the person row with its consents and population tags;
  records managed by area in other apps (SMD register, plans, counselling and crisis cases) follow through the
  transfer that move opens (``xinli.archives.transfers``), accepted by the requesting unit;
- ``resolved``: the number stays where it is registered (the requester typed a wrong number, or the person is
  registered correctly elsewhere);
- ``rejected``.

The requester gets an inbox message naming only the requesting unit and the day they asked — no person, no other
unit. Everything is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, notices
from xinli.core.i18n import bilingual, field_error
from xinli.core.policy import ARCHIVES_EDIT
from xinli.core.scoping import path_in_scope

from . import selectors, services
from .models import DuplicateRequest

TRANSFER, RESOLVED, REJECTED = "transfer", "resolved", "rejected"
OUTCOMES = {
    TRANSFER: DuplicateRequest.Status.TRANSFERRED,
    RESOLVED: DuplicateRequest.Status.RESOLVED,
    REJECTED: DuplicateRequest.Status.REJECTED,
}
OUTCOME_LABELS = {
    TRANSFER: _("transfer the existing record to the requesting unit"),
    RESOLVED: _("resolved: the number stays where it is registered"),
    REJECTED: _("reject the request"),
}
NOTICE_KINDS = {TRANSFER: "id_request_transferred", RESOLVED: "id_request_resolved", REJECTED: "id_request_rejected"}
NOTE_MAX = 1000


def resolve_duplicate_request(actor, request: DuplicateRequest, *, outcome: str, note: str) -> DuplicateRequest:
    """Close an open duplicate ID-number request with ``outcome`` (``transfer``, ``resolved`` or ``rejected``) and a
    required ``note``. Who may call: holders of ``archives.edit`` over the request's common ancestor, other than the
    requester; a transfer also needs the existing record in the actor's area (``update_person`` checks it). Two
    officers closing the same request: the first wins, the second is told it is closed already."""
    if not path_in_scope(actor, ARCHIVES_EDIT, request.org_path) or (request.requester_id and request.requester_id == actor.pk):
        raise PermissionDenied
    note = (note or "").strip()
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = [bilingual(_("Decision: pick transfer, resolved or rejected."))]
    if not note:
        errors["note"] = [bilingual(_("Note: required; write why you decided so (kept with the request and in the "
                                      "audit log, not sent to the requester)."))]
    elif len(note) > NOTE_MAX:
        errors["note"] = [bilingual(_("Note: too long; at most {n} characters."), n=NOTE_MAX)]
    if errors:
        raise ValidationError(errors)
    status = OUTCOMES[outcome]
    with transaction.atomic():
        now = timezone.now()
        closed = DuplicateRequest.objects.filter(pk=request.pk, status=DuplicateRequest.Status.OPEN).update(
            status=status, resolved_by=actor, resolved_at=now, note=note)
        if closed != 1:
            raise field_error("status", _("Request: already closed; reload the list."), code="conflict")
        person = None
        if outcome == TRANSFER:
            holder = selectors.duplicate_holders(actor, [request]).get(request.id_number_bidx)
            if holder is None:
                raise field_error("outcome", _("Transfer: no record in your area holds this number any more; close the "
                                               "request as resolved or rejected."))
            person = selectors.get_person_for_edit(actor, holder.pk)  # the officer's read of the record, audited
            if person.org_unit_id != request.unit_id:
                services.update_person(actor, person, {"org_unit": request.unit})
        request.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=request, org_path=request.org_path, person=person,
                     detail={"status": status, "unit": request.unit_id})
        if request.requester is not None:
            notices.send([request.requester], NOTICE_KINDS[outcome], {
                "day": timezone.localtime(request.created_at).strftime("%Y-%m-%d"), "unit": request.unit.name})
    return request
