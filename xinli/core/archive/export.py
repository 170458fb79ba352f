"""Export one region (an org unit and its subtree) into an encrypted archive file."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connections, transaction
from django.utils import timezone

from .. import audit
from ..crypto import SEPARATOR, sm3_hex
from ..fields import EncryptedTextField
from ..models import GENESIS_HASH, AuditEntry, AuditHead
from . import container, plan, rows
from .container import ArchiveError, canonical

PERSON = "archives.person"


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    rows: int
    tables: int
    audit_entries: int
    digest: str  # SM3 of the file
    left_out: int = 0  # region rows not exported: they link persons outside the region (non-null key)
    links_cleared: int = 0  # links to persons outside the region exported as NULL


def table_digest(block: dict) -> str:
    return sm3_hex(canonical({"columns": block["columns"], "own": block["own"], "deps": block["deps"]}))


def _snapshot(using: str):
    """One consistent view of the database for the whole export (PostgreSQL: REPEATABLE READ, read only; SQLite: one
    transaction, which with the IMMEDIATE mode of settings.py holds off writers while the export runs — the demo only)."""
    conn = connections[using]
    atomic = transaction.atomic(using=using)
    if conn.vendor == "postgresql" and not conn.in_atomic_block:
        class Snapshot:
            def __enter__(self):
                atomic.__enter__()
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

            def __exit__(self, *exc):
                return atomic.__exit__(*exc)

        return Snapshot()
    return atomic


def _clear_links(model, block_rows: list[list], sel: plan.Selection) -> dict[str, int]:
    """Set to NULL the (nullable) keys of ``block_rows`` that point at rows the archive does not hold (a person of
    another region, the alert raised there, a region row left out); attname -> links cleared."""
    cleared = {}
    for i, f in enumerate(rows.columns(model)):
        if not (f.is_relation and (f.many_to_one or f.one_to_one)):
            continue
        gone = {rows.encode(pk) for pk in sel.gone(f.related_model)}
        if not gone:
            continue
        if not f.null:
            if any(r[i] in gone for r in block_rows):  # plan._leave_out removes every such row
                raise ArchiveError(f"{model._meta.db_table}.{f.column}: a row links a row the archive does not hold "
                                   f"(internal error of the region plan, xinli/core/archive/plan.py)")
            continue
        n = 0
        for r in block_rows:
            if r[i] is not None and r[i] in gone:
                r[i] = None
                n += 1
        if n:
            cleared[f.attname] = n
    return cleared


def _audit_rows(unit, person_ids, head_seq: int, using: str) -> tuple[list[str], list[list]]:
    """The sealed audit entries concerning the region (by org path, or naming one of its persons), in chain order.
    An entry naming a person outside the region is not exported, even under the region's path (a call taken in
    county A from a resident of county B)."""
    base = AuditEntry.objects.using(using).filter(seq__isnull=False, seq__lte=head_seq)
    ids = set(base.filter(org_path__startswith=unit.path).values_list("id", flat=True))
    persons = sorted(person_ids)
    for i in range(0, len(persons), plan.CHUNK):
        ids |= set(base.filter(person_id__in=persons[i:i + plan.CHUNK]).values_list("id", flat=True))
    cols = [f.attname for f in rows.columns(AuditEntry)]
    person = cols.index("person_id")
    out = [r for r in rows.read_rows(AuditEntry, ids, using) if r[person] is None or r[person] in person_ids]
    seq = cols.index("seq")
    out.sort(key=lambda r: r[seq])
    return cols, out


def build_payload(unit, using: str = "default") -> dict:
    """The archive's content (not yet encrypted): tables, the audit segment and the SM3 manifest."""
    audit.seal(using=using)  # every committed entry gets its place in the chain first
    with _snapshot(using):
        head = AuditHead.objects.using(using).filter(pk=1).first()
        head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
        sel = plan.select(unit, using)
        tables, key_ids, cleared = {}, set(), {}
        for model in sorted(sel.models(), key=plan.label):
            block = {
                "table": model._meta.db_table,
                "columns": [f.attname for f in rows.columns(model)],
                "own": rows.read_rows(model, sel.own.get(model, ()), using),
                "deps": rows.read_rows(model, sel.deps.get(model, ()), using),
            }
            for attname, n in _clear_links(model, block["own"] + block["deps"], sel).items():
                cleared[f"{plan.label(model)}.{attname}"] = n
            enc = [i for i, f in enumerate(rows.columns(model)) if isinstance(f, EncryptedTextField)]
            for row in block["own"] + block["deps"]:
                key_ids.update(row[i].partition(SEPARATOR)[0] for i in enc if row[i])
            tables[plan.label(model)] = block
        persons = sel.own.get(apps.get_model(PERSON), set())
        audit_cols, audit_rows = _audit_rows(unit, persons, head_seq, using)
    seqs = [r[audit_cols.index("seq")] for r in audit_rows]
    return {
        "format": container.FORMAT,
        "org": {"code": unit.code, "name": unit.name, "path": unit.path, "id": unit.pk},
        "created": timezone.now().isoformat(),
        "region_person_ids": sorted(persons),
        "tables": tables,
        "audit": {"columns": audit_cols, "rows": audit_rows, "head": {"seq": head_seq, "hash": head_hash}},
        "manifest": {
            "tables": {lab: {"table": b["table"], "own": len(b["own"]), "deps": len(b["deps"]), "sm3": table_digest(b)}
                       for lab, b in tables.items()},
            "audit": {"count": len(audit_rows), "first_seq": seqs[0] if seqs else None,
                      "last_seq": seqs[-1] if seqs else None, "sm3": sm3_hex(canonical(audit_rows))},
            "data_key_ids": sorted(key_ids),
            # Personal data of persons outside the region does not travel (docs/backup.md): rows of other regions
            # that the region's rows point at (not exported), region rows left out because a non-null key points at
            # one of those, and links exported as NULL instead.
            "outside_persons": {
                "withheld": {plan.label(m): len(p) for m, p in sorted(sel.withheld.items(), key=lambda i: plan.label(i[0])) if p},
                "left_out": {plan.label(m): len(p) for m, p in sorted(sel.left_out.items(), key=lambda i: plan.label(i[0])) if p},
                "links_cleared": dict(sorted(cleared.items())),
            },
        },
    }


def export_region(code: str, key: bytes, *, using: str = "default", actor=None) -> ExportResult:
    """Build, encrypt and audit the archive of the unit with statistical code ``code``."""
    OrgUnit = apps.get_model(plan.ORG_UNIT)
    unit = OrgUnit.objects.using(using).filter(code=code).order_by("-valid_from").first()
    if unit is None:
        raise ArchiveError(f"区划代码 {code} 不存在 / --org: no org unit with code {code}; check the 12-digit code")
    payload = build_payload(unit, using)
    data = container.seal(payload, key, org=unit.code, created=payload["created"])
    manifest = payload["manifest"]
    total = sum(t["own"] + t["deps"] for t in manifest["tables"].values())
    outside = manifest["outside_persons"]
    left_out, cleared = sum(outside["left_out"].values()), sum(outside["links_cleared"].values())
    digest = sm3_hex(data)
    entry = audit._entry(actor, audit.Action.EXPORT, object_type="core.archive", object_id=digest[:16],
                         org_path=unit.path, purpose="backup", view="export_archive",
                         detail={"org": unit.code, "rows": total, "region_rows": sum(t["own"] for t in manifest["tables"].values()),
                                 "tables": len(manifest["tables"]), "audit_entries": manifest["audit"]["count"],
                                 "left_out": left_out, "links_cleared": cleared,
                                 "withheld": sum(outside["withheld"].values()),
                                 "sm3": digest, "key_id": container.key_id(key)})
    entry.save(using=using)
    return ExportResult(data, total, len(manifest["tables"]), manifest["audit"]["count"], digest, left_out, cleared)
