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
from django.db.models import Q
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


# --- possible duplicates (issue 17): same name and birth date, or same phone, with different ID numbers -----------

# A phone or a name + birth date shared by more records than this is not one resident's (a village office's number,
# a common name of twins' generation): no pairs are made from it, the scan reports it instead.
MAX_GROUP = 10
SCAN_BATCH = 2000


def flag_possible_duplicates(person_ids) -> int:
    """Put into the review list every pair of records, one of them among ``person_ids``, the other anywhere in the
    register, that share the name and birth date or the phone while their ID numbers differ (or one is missing).
    Only blind indexes are compared: nothing is decrypted. Records merged away are left out; a pair already listed
    (open, merged or dismissed) is not listed again (an open one gains the new reason). Returns how many pairs were
    added. Called after an import (the bulk import) and by ``manage.py scan_possible_duplicates`` over the register."""
    from xinli.regions.models import common_path

    from .models import Person, PersonStatus, PossibleDuplicate

    ids = sorted({int(i) for i in person_ids})
    added = 0
    for start in range(0, len(ids), SCAN_BATCH):
        chunk = ids[start:start + SCAN_BATCH]
        cols = ("pk", "name_birth_bidx", "phone_bidx", "id_number_bidx", "org_path")
        mine = list(Person.objects.filter(pk__any_of=chunk).exclude(status=PersonStatus.MERGED).values_list(*cols))
        births = {r[1] for r in mine if r[1]}
        phones = {r[2] for r in mine if r[2]}
        if not births and not phones:
            continue
        others = (Person.objects.exclude(status=PersonStatus.MERGED)
                  .filter(Q(name_birth_bidx__any_of=births) | Q(phone_bidx__any_of=phones)).values_list(*cols))
        by_birth: dict[str, list] = {}
        by_phone: dict[str, list] = {}
        for row in others:
            if row[1] in births:
                by_birth.setdefault(row[1], []).append(row)
            if row[2] in phones:
                by_phone.setdefault(row[2], []).append(row)
        found: dict[tuple[int, int], dict] = {}
        for row in mine:
            for index, groups, reason in ((1, by_birth, "same_name_birth"), (2, by_phone, "same_phone")):
                group = groups.get(row[index]) or []
                if len(group) > MAX_GROUP:
                    continue
                for other in group:
                    if other[0] == row[0] or (row[3] and other[3] and row[3] == other[3]):
                        continue
                    a, b = sorted((row, other))
                    pair = found.setdefault((a[0], b[0]), {"org_path": common_path([a[4], b[4]])})
                    pair[reason] = True
        if not found:
            continue
        existing = {(p.person_a_id, p.person_b_id): p for p in PossibleDuplicate.objects.filter(
            person_a_id__in={k[0] for k in found}, person_b_id__in={k[1] for k in found})}
        new = []
        for (a, b), flags in found.items():
            old = existing.get((a, b))
            if old is None:
                new.append(PossibleDuplicate(person_a_id=a, person_b_id=b, org_path=flags["org_path"],
                                             same_name_birth=flags.get("same_name_birth", False),
                                             same_phone=flags.get("same_phone", False)))
            elif old.state == PossibleDuplicate.State.OPEN and (
                    flags.get("same_name_birth", False) > old.same_name_birth or flags.get("same_phone", False) > old.same_phone):
                PossibleDuplicate.objects.filter(pk=old.pk).update(
                    same_name_birth=old.same_name_birth or flags.get("same_name_birth", False),
                    same_phone=old.same_phone or flags.get("same_phone", False))
        with transaction.atomic():
            made = PossibleDuplicate.objects.bulk_create(new, ignore_conflicts=True)
            if made:
                audit.record(None, audit.Action.SYSTEM, object_type="archives.possibleduplicate",
                             detail={"count": len(made), "rows": len(chunk)})
        added += len(made)
    return added


def scan_register(batch: int = SCAN_BATCH) -> int:
    """``flag_possible_duplicates`` over every record of the register, in id order; returns the pairs added."""
    from .models import Person

    added, last = 0, 0
    while True:
        ids = list(Person.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return added
        added += flag_possible_duplicates(ids)
        last = ids[-1]


def dismiss_possible_duplicate(actor, pair) -> None:
    """Close an open pair as "not the same person". Who may call: whoever may merge the two records."""
    from .merge import can_merge
    from .models import PossibleDuplicate

    if not can_merge(actor, pair.person_a, pair.person_b):
        raise PermissionDenied
    with transaction.atomic():
        done = PossibleDuplicate.objects.filter(pk=pair.pk, state=PossibleDuplicate.State.OPEN).update(
            state=PossibleDuplicate.State.DISMISSED, decided_by=actor, decided_at=timezone.now())
        if done != 1:
            raise field_error("state", _("Pair: already decided; reload the list."), code="conflict")
        audit.record(actor, audit.Action.UPDATE, obj=pair, org_path=pair.org_path,
                     detail={"state": PossibleDuplicate.State.DISMISSED})
