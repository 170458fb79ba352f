"""The one audit path: every person read and every change goes through ``record``.

``record`` is one INSERT inside the caller's transaction when there is one, so a write and its audit entry commit
together and a failed request leaves neither, and no request ever waits on another's audit entry. ``seal`` (a Huey
task every minute, and the first step of every verification) then links the new entries into the SM3 chain in
``id`` order under a lock only the sealer takes. Until sealed, an entry is protected by the database guard alone
(no UPDATE of its content, no DELETE); afterwards the chain also makes any change detectable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .db import insert_new
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
    """Append one entry (sealed into the chain shortly after). ``obj`` fills type and id; ``person`` fills person id
    and scope."""
    entry = _entry(actor, action, obj=obj, object_type=object_type, object_id=object_id, person=person,
                   org_path=org_path, purpose=purpose, outcome=outcome, detail=detail, view=view)
    entry.save()
    return entry


def record_person_reads(actor, persons: Iterable, *, action: str = Action.READ, purpose: str = "", detail=None) -> None:
    """Audit that ``actor`` saw each of ``persons``: one entry per person (so a person's access history is complete),
    written in one INSERT."""
    entries = [_entry(actor, action, obj=p, person=p, purpose=purpose, detail=detail) for p in persons]
    if len(entries) == 1:
        entries[0].save()  # a plain INSERT: bulk_create would wrap it in a transaction of its own
    elif entries:
        insert_new(AuditEntry, entries)


def record_many(actor, action: str, entries: list[dict]) -> None:
    """Several :func:`record` entries in one INSERT: ``entries`` are the keyword arguments of each."""
    rows = [_entry(actor, action, **e) for e in entries]
    if len(rows) == 1:
        rows[0].save()
    elif rows:
        insert_new(AuditEntry, rows)


def _entry(actor, action, *, obj=None, object_type="", object_id="", person=None, org_path="", purpose="",
           outcome="success", detail=None, view="") -> AuditEntry:
    ctx = current.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if person is not None:
        org_path = org_path or person.org_path
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    username = getattr(actor, "username", "") or ""
    return AuditEntry(
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
    )


def _seal_rows(rows: list[tuple[int, str, str, int]], using: str = DEFAULT_DB_ALIAS) -> None:
    """One set-based UPDATE per batch (a join with a VALUES list): its plan does not depend on table statistics,
    which lag behind a burst of new entries."""
    connection = connections[using]
    cast = "::bigint" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s{cast}, %s, %s, %s{cast})" for _ in rows)
    sql = (f"UPDATE core_auditentry SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
           f"FROM (SELECT column1 AS seq, column2 AS prev_hash, column3 AS hash, column4 AS id "
           f"FROM (VALUES {values}) AS t) AS v "
           f"WHERE core_auditentry.id = v.id AND core_auditentry.seq IS NULL")
    with connection.cursor() as cur:
        cur.execute(sql, [x for row in rows for x in row])
        if cur.rowcount != len(rows):
            raise RuntimeError(f"audit sealing: {cur.rowcount} of {len(rows)} entries updated")


def seal(batch: int = 2000, using: str = DEFAULT_DB_ALIAS) -> int:
    """Link every committed, unsealed entry into the chain (oldest ``id`` first); returns how many were sealed.

    Entries are content-hashed, so the work is CPU-light; one sealer at a time holds the chain head. An entry whose
    transaction commits after a younger one was sealed simply gets the next chain position: the chain records the
    order of sealing, and ``at`` keeps the time of the event.
    """
    sealed = 0
    while True:
        with transaction.atomic(using=using):
            head, _ = AuditHead.objects.using(using).select_for_update().get_or_create(pk=1)
            chunk = list(AuditEntry.objects.using(using).filter(seq__isnull=True).order_by("id")[:batch])
            if not chunk:
                return sealed
            seq, prev = head.last_seq, head.last_hash
            rows = []
            for entry in chunk:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                prev = entry.compute_hash()
                rows.append((seq, entry.prev_hash, prev, entry.id))
            _seal_rows(rows, using)
            AuditHead.objects.using(using).filter(pk=1).update(last_seq=seq, last_hash=prev)
            sealed += len(rows)
        if len(chunk) < batch:
            return sealed


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    sealed_now: int = 0
    from_seq: int = 1  # the first entry verified (after a checkpoint: the one following it)
    checkpoint: tuple[int, str] | None = None  # (seq, hash) recorded by this verification


def verify_chain(batch: int = 2000, using: str = DEFAULT_DB_ALIAS, *, since_checkpoint: bool = False) -> ChainReport:
    """Seal what is pending, then recompute every hash in chain order. Reports the first broken link: an edited
    entry, a removed entry (gap), a re-linked entry, or a truncated tail (head disagrees).

    ``since_checkpoint``: start after the latest ``AuditCheckpoint`` (whose entry must still carry the checkpoint's
    hash) instead of the first entry — the nightly run at province scale, where a full pass takes hours; changes
    before the checkpoint are found by the weekly full run. An intact chain records a new checkpoint."""
    from .models import AuditCheckpoint

    sealed_now = seal(using=using)
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    checkpoint = AuditCheckpoint.objects.using(using).first() if since_checkpoint else None
    if checkpoint is not None:
        at = AuditEntry.objects.using(using).filter(seq=checkpoint.seq).first()
        if at is None or at.hash != checkpoint.hash or at.compute_hash() != at.hash:
            return ChainReport(False, 0, checkpoint.seq, "the checkpoint entry was changed or removed", from_seq=checkpoint.seq)
        prev_hash, expected_seq, last_seq = checkpoint.hash, checkpoint.seq + 1, checkpoint.seq
    from_seq = expected_seq
    while True:
        chunk = list(AuditEntry.objects.using(using).filter(seq__gte=expected_seq).order_by("seq")[:batch])
        if not chunk:
            break
        for entry in chunk:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing", from_seq=from_seq)
            if entry.prev_hash != prev_hash:
                return ChainReport(False, checked, entry.seq, "link to the previous entry is broken", from_seq=from_seq)
            if entry.compute_hash() != entry.hash:
                return ChainReport(False, checked, entry.seq, "entry content does not match its hash", from_seq=from_seq)
            prev_hash = entry.hash
            last_seq = entry.seq
            expected_seq += 1
            checked += 1
    head = AuditHead.objects.using(using).filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return ChainReport(False, checked, last_seq + 1, "chain head disagrees with the last entry (tail removed)",
                           from_seq=from_seq)
    mark = None
    if last_seq:
        AuditCheckpoint.objects.using(using).create(seq=last_seq, hash=prev_hash, full=checkpoint is None)
        mark = (last_seq, prev_hash)
    return ChainReport(True, checked, sealed_now=sealed_now, from_seq=from_seq, checkpoint=mark)
