"""The one audit path: every person read and every change goes through ``record``.

Entries are appended under a lock on the chain head, inside the caller's transaction when there is one, so a write
and its audit entry commit together and a failed request leaves neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .middleware import current
from .models import GENESIS_HASH, AuditEntry, AuditHead

Action = AuditEntry.Action


def record(
    actor,
    action: str,
    *,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    person=None,
    org_path: str = "",
    purpose: str = "",
    outcome: str = "success",
    detail: dict | None = None,
    view: str = "",
) -> AuditEntry:
    """Append one entry to the chain. ``obj`` fills type and id; ``person`` fills person id and scope."""
    ctx = current.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if person is not None:
        org_path = org_path or person.org_path
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    username = getattr(actor, "username", "") or ""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_username=username[:150],
            action=action,
            object_type=object_type[:60],
            object_id=str(object_id)[:64],
            person_id=getattr(person, "pk", None),
            org_path=org_path[:255],
            view=(view or ctx.view)[:120],
            purpose=purpose[:60],
            outcome=outcome[:20],
            ip=ctx.ip,
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def record_person_reads(actor, persons: Iterable, *, action: str = Action.READ, purpose: str = "", detail=None) -> None:
    """Audit that ``actor`` saw each of ``persons`` (one entry per person, so a person's access history is complete)."""
    for person in persons:
        record(actor, action, obj=person, person=person, purpose=purpose, detail=detail)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(batch: int = 2000) -> ChainReport:
    """Recompute every hash in order. Reports the first broken link: an edited entry, a removed entry (gap), a
    re-linked entry, or a truncated tail (head disagrees)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch])
        if not chunk:
            break
        for entry in chunk:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return ChainReport(False, checked, entry.seq, "link to the previous entry is broken")
            if entry.compute_hash() != entry.hash:
                return ChainReport(False, checked, entry.seq, "entry content does not match its hash")
            prev_hash = entry.hash
            last_seq = entry.seq
            expected_seq += 1
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return ChainReport(False, checked, last_seq + 1, "chain head disagrees with the last entry (tail removed)")
    return ChainReport(True, checked)
