"""Restore a region archive: verify the file, the manifest and the audit segment, then INSERT everything in one
transaction and verify counts and the target's audit chain before committing."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass

from django.apps import apps
from django.core.management.color import no_style
from django.db import IntegrityError, connections, transaction

from .. import audit
from ..crypto import SEPARATOR, DecryptionError, keyring, sm3_hex
from ..fields import BlindIndexField, EncryptedTextField
from ..models import GENESIS_HASH, AuditEntry
from . import container, plan, rows
from .container import ArchiveError, canonical
from .export import table_digest


@dataclass(frozen=True)
class SegmentReport:
    entries: int
    links: int  # consecutive pairs whose link (prev_hash = hash of the previous entry) was checked
    runs: int  # maximal runs of consecutive chain positions


@dataclass(frozen=True)
class RestoreReport:
    org: str
    inserted: dict  # table -> rows inserted
    present: dict  # table -> dependency rows the target already had
    audit: SegmentReport
    chain_checked: int


def verify_manifest(payload: dict) -> None:
    manifest = payload["manifest"]
    for lab, block in payload["tables"].items():
        try:
            model = apps.get_model(lab)
        except LookupError:
            model = None
        if model is None or block["columns"] != [f.attname for f in rows.columns(model)]:
            raise ArchiveError(f"表 {block['table']} 的结构与本系统不同 / table {block['table']} has other columns here "
                               f"than in the archive: run `manage.py migrate` and restore with the platform version "
                               f"that made the archive")
    if set(manifest["tables"]) != set(payload["tables"]):
        raise ArchiveError("归档清单与内容不符 / the archive's manifest does not list the tables it holds")
    for lab, block in payload["tables"].items():
        m = manifest["tables"][lab]
        if (m["own"], m["deps"]) != (len(block["own"]), len(block["deps"])) or m["sm3"] != table_digest(block):
            raise ArchiveError(f"表 {block['table']} 与清单不符 / table {block['table']} does not match the manifest "
                               f"(rows or SM3 digest): the archive is inconsistent")
    a = payload["audit"]
    if manifest["audit"]["count"] != len(a["rows"]) or manifest["audit"]["sm3"] != sm3_hex(canonical(a["rows"])):
        raise ArchiveError("审计记录与清单不符 / the audit entries do not match the manifest")


def check_region(payload: dict) -> None:
    """The archive holds no personal data of persons outside the region: no row of a personal model
    (``plan.personal_labels``) as a dependency, and every region row under the region's path. An archive made before
    this rule carried such rows: it is refused, not restored."""
    path = payload["org"]["path"]
    personal = plan.personal_labels()
    for lab, block in payload["tables"].items():
        if lab not in personal:
            continue
        outside = len(block["deps"])
        if "org_path" in block["columns"]:
            i = block["columns"].index("org_path")
            outside += sum(1 for r in block["own"] if not (r[i] or "").startswith(path))
        if outside:
            raise ArchiveError(f"归档含区域外人员的数据（{block['table']} {outside} 行），拒绝恢复 / the archive holds "
                               f"{outside} rows of {block['table']} outside the region (personal data of persons "
                               f"outside it): nothing was restored; export the region again with this version")


def _entries(block: dict) -> list[AuditEntry]:
    fields = rows.columns(AuditEntry)
    return [AuditEntry(**{f.attname: rows.python_value(f, v) for f, v in zip(fields, row, strict=True)}) for row in block["rows"]]


def verify_segment(payload: dict) -> SegmentReport:
    """The exported entries are a sub-sequence of the source's chain. Proven here: every entry's content hashes
    (``AuditEntry.compute_hash``) to its recorded hash given its recorded predecessor hash; positions strictly
    increase; wherever two exported entries are neighbours in the chain they link; position 1 links to the genesis
    hash; nothing lies beyond the chain head recorded at export, and an entry at the head carries the head's hash;
    every entry concerns the region and names no person outside it. Not provable from the file alone: that the
    source held no other entry about the region (completeness) and that a predecessor hash outside the segment
    belongs to a genuine entry; compare with the source's ``verify_audit`` for that (docs/backup.md)."""
    entries = _entries(payload["audit"])
    head = payload["audit"]["head"]
    path, persons = payload["org"]["path"], set(payload["region_person_ids"])
    links = runs = 0
    prev = None
    for e in entries:
        def bad(zh, en, e=e):
            return ArchiveError(f"原链第 {e.seq} 条：{zh} / source chain entry {e.seq}: {en}")
        if e.seq is None or not e.hash:
            raise bad("未封存", "not sealed")
        if prev is not None and e.seq <= prev.seq:
            raise bad("顺序错误或重复", "out of order or repeated")
        if e.compute_hash() != e.hash:
            raise bad("内容与哈希不符", "content does not match its SM3 hash")
        if e.seq == 1 and e.prev_hash != GENESIS_HASH:
            raise bad("首条未链接到起点", "the first entry does not link to the genesis hash")
        if prev is not None and e.seq == prev.seq + 1:
            if e.prev_hash != prev.hash:
                raise bad("与上一条的链接断开", "link to the previous entry is broken")
            links += 1
        else:
            runs += 1
        if e.seq > head["seq"] or (e.seq == head["seq"] and e.hash != head["hash"]):
            raise bad("超出导出时的链头", "beyond the chain head recorded at export")
        if not (e.org_path.startswith(path) or e.person_id in persons):
            raise bad("不属于该区域", "does not concern the archived region")
        if e.person_id is not None and e.person_id not in persons:
            raise bad("涉及区域外的人员", "names a person outside the archived region")
        prev = e
    return SegmentReport(len(entries), links, runs)


def check_keys(payload: dict) -> None:
    """The data keys here must be the source's: every key id is known, one value per encrypted column decrypts, and
    the blind indexes of that row recompute to the stored ones (same index key)."""
    ring = keyring()
    missing = sorted(set(payload["manifest"]["data_key_ids"]) - set(ring.data_keys))
    if missing:
        raise ArchiveError(f"本系统缺少数据密钥 {', '.join(missing)} / the data keys {', '.join(missing)} the archive's "
                           f"personal fields are encrypted with are not configured here: set XINLI_DATA_KEYS to the "
                           f"source's keys (kept apart from the backups, docs/backup.md)")
    for lab, block in payload["tables"].items():
        model = apps.get_model(lab)
        fields = rows.columns(model)
        for i, f in enumerate(fields):
            if not isinstance(f, EncryptedTextField):
                continue
            row = next((r for r in block["own"] + block["deps"] if r[i]), None)
            if row is None:
                continue
            try:
                plain = ring.decrypt(row[i], f._aad())
            except DecryptionError as exc:
                kid = row[i].partition(SEPARATOR)[0]
                raise ArchiveError(f"数据密钥 {kid} 与源系统不同 / data key {kid} here is not the source's key: "
                                   f"{block['table']}.{f.column} does not decrypt; configure the source's "
                                   f"XINLI_DATA_KEYS") from exc
            for j, b in enumerate(fields):
                if isinstance(b, BlindIndexField) and b.source == f.name and row[j] and b.compute(plain) != row[j]:
                    raise ArchiveError("盲索引密钥与源系统不同 / XINLI_INDEX_KEY here is not the source's index key: "
                                       f"{block['table']}.{b.column} does not match; configure the source's key")


def _order(labels) -> list[str]:
    graph = {lab: set() for lab in labels}
    for lab in labels:
        for f in plan.fks(apps.get_model(lab)):
            target = plan.label(f.related_model)
            if target in graph and target != lab:
                graph[lab].add(target)
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:  # foreign keys are checked at commit on both databases: any order is valid
        return sorted(labels)


def _insert(model, block: dict, using: str) -> tuple[int, int]:
    """Region rows are inserted (they must be new); dependency rows only where the target lacks them, after
    checking that a present row is the same object (equal unique columns: org unit code, username, ...)."""
    fields = rows.columns(model)
    pk_i = next(i for i, f in enumerate(fields) if f.primary_key)
    deps = {fields[pk_i].to_python(r[pk_i]): r for r in block["deps"]}
    found = rows.existing(model, deps, using)
    for pk, have in found.items():
        for attname, value in have.items():
            i = next(i for i, f in enumerate(fields) if f.attname == attname)
            if rows.python_value(fields[i], deps[pk][i]) != value:
                raise ArchiveError(f"目标库中 {block['table']} 第 {pk} 行是另一对象 / row {pk} of {block['table']} in the "
                                   f"target is a different object ({attname} differs): restore into a database made "
                                   f"from the same installation, or into an empty one")
    missing = [r for pk, r in deps.items() if pk not in found]
    return rows.insert_rows(model, block["own"] + missing, using), len(found)


def restore(data: bytes, key: bytes, *, using: str = "default") -> RestoreReport:
    header, payload = container.open_archive(data, key)
    if header.get("org") != payload["org"]["code"]:
        raise ArchiveError("归档头与内容不符 / the archive's header names another region than its content")
    verify_manifest(payload)
    check_region(payload)
    segment = verify_segment(payload)
    path = payload["org"]["path"]
    there = plan.region_rows_exist(path, using)
    if there:
        listed = ", ".join(f"{t}={n}" for t, n in sorted(there.items()))
        raise ArchiveError(f"目标库已有该区域的数据，拒绝恢复 / the target database already holds rows of region "
                           f"{header['org']} ({listed}): restore into an empty database (docs/backup.md)")
    check_keys(payload)
    try:
        return _write(header, payload, data, segment, using)
    except IntegrityError as exc:
        raise ArchiveError(f"与目标库已有数据冲突，未恢复任何数据 / the archive's rows conflict with rows of the target "
                           f"database ({str(exc).splitlines()[0]}); nothing was restored: restore into an empty "
                           f"database of the same installation") from exc


def _write(header: dict, payload: dict, data: bytes, segment: SegmentReport, using: str) -> RestoreReport:
    path = payload["org"]["path"]
    inserted, present = {}, {}
    with transaction.atomic(using=using):
        for lab in _order(payload["tables"]):
            block = payload["tables"][lab]
            n, p = _insert(apps.get_model(lab), block, using)
            inserted[block["table"]], present[block["table"]] = n, p
        originals = _entries(payload["audit"])
        for e in originals:  # content kept, chain position given by the target's sealer, in the original order
            e.id, e.seq, e.prev_hash, e.hash = None, None, "", None
        AuditEntry.objects.using(using).bulk_create(originals, batch_size=500)
        restored = [apps.get_model(lab) for lab in payload["tables"]]
        conn = connections[using]
        with conn.cursor() as cur:
            for sql in conn.ops.sequence_reset_sql(no_style(), restored + [AuditEntry]):
                cur.execute(sql)
        _verify_counts(payload, using)
        a = payload["manifest"]["audit"]
        audit._entry(None, audit.Action.SYSTEM, object_type="core.archive", object_id=sm3_hex(data)[:16],
                     org_path=path, purpose="restore", view="restore_archive",
                     detail={"org": header["org"], "rows": sum(inserted.values()), "present": sum(present.values()),
                             "audit_entries": a["count"], "source_seq": [a["first_seq"], a["last_seq"]],
                             "source_audit_sm3": a["sm3"], "sm3": sm3_hex(data)}).save(using=using)
        chain = audit.verify_chain(using=using)
        if not chain.ok:
            raise ArchiveError(f"恢复后审计链校验失败 / the audit chain does not verify after the restore (entry "
                               f"{chain.broken_seq}: {chain.reason}); nothing was restored")
    return RestoreReport(header["org"], inserted, present, segment, chain.checked)


def _verify_counts(payload: dict, using: str) -> None:
    for lab, block in payload["tables"].items():
        model = apps.get_model(lab)
        pk_f = next(f for f in rows.columns(model) if f.primary_key)
        pk_i = block["columns"].index(pk_f.attname)
        want = len(block["own"]) + len(block["deps"])
        got = rows.count_present(model, [pk_f.to_python(r[pk_i]) for r in block["own"] + block["deps"]], using)
        if got != want:
            raise ArchiveError(f"表 {block['table']} 行数不符 / table {block['table']}: {got} rows after the restore, "
                               f"the manifest says {want}; nothing was restored")
