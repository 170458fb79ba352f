"""A resident moving to another city that runs the platform (issue 17): one encrypted package of that person's
managed records, imported at the receiving instance, and a signed receipt that closes the sender's records as 迁出.

The package is one format for every kind of record: each domain app's transfer holder (``xinli.archives.transfers``)
may ``pack`` its open records of the person, ``unpack`` them at the receiving instance and ``close`` them at the
sender on the receipt. Today: the SMD register entry with its follow-ups and emergency records, the active
personalised plan, open counselling cases (without session notes: their number and dates only), open crisis cases
(and closed high-risk ones whose follow-up contacts are still pending, with those contacts) and open alerts (as a summary: level, cause, the summary text, when raised; a new alert is raised at the receiving
unit so its crisis team sees it).

* :func:`export_package` (sending city): the person's archive fields and every holder's records, sealed with the
  region-archive crypto (``xinli.core.archive.container``: SM4-GCM, the header as associated data) under a
  **transfer key** the two cities agreed (16 random bytes, base64, exchanged out of band like a backup key; never a
  data key). Audited as an export of the person.
* :func:`import_package` (receiving city): decrypts and checks the package (version 1: the SMD record only, still
  read; version 2: every holder), finds the person by ID number (blind index) or registers them in the chosen unit,
  lets each holder create its records, and returns a **receipt**: the SM3 digest of the package file, the receiving
  unit's code, the time and the number of records taken per kind, with an HMAC-SM3 under the transfer key. All or
  nothing; a package already imported (the SMD entry already in the register) is refused.
* :func:`close_with_receipt` (sending city): checks the receipt's HMAC and that it names the digest of the package
  it sent, then closes the person's open records of every holder as moved out (the reason names the receiving unit's
  code) and the archive record's status as moved out. Nothing is deleted: the history stays in the sending city.
  Idempotent.
"""

from __future__ import annotations

import datetime
import hmac as std_hmac
import json

from cryptography.hazmat.primitives import hashes, hmac
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from xinli.core import audit
from xinli.core.archive.container import ArchiveError, canonical, open_archive, seal
from xinli.core.crypto import sm3_hex
from xinli.core.fields import blind_index
from xinli.core.policy import ARCHIVES_EDIT, SMD_FOLLOWUP
from xinli.core.scoping import path_in_scope

from . import services, transfers
from .models import Person, PersonStatus
from .normalize import normalize_id_number

KIND, RECEIPT = "xinli-person-transfer", "xinli-person-transfer-receipt"
VERSION = 2
PERSON_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "address")
RECEIPT_FIELDS = ("kind", "package_sm3", "receiving_org", "received_at")
SMD_KIND = "smd.patient"


def plain(value):
    """A value as the package holds it (dates and times as ISO text)."""
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def may_send(user, person: Person) -> bool:
    """Who may export a person's package or close their records on a receipt: an SMD doctor (``smd.followup``) over
    the person — required when an SMD register entry travels — or an area worker with ``archives.edit`` over them
    when no SMD entry does."""
    if path_in_scope(user, SMD_FOLLOWUP, person.org_path):
        return True
    return path_in_scope(user, ARCHIVES_EDIT, person.org_path) and not _smd_rows(person)


def _smd_rows(person) -> list:
    holder = transfers.HOLDERS.get(SMD_KIND)
    return holder.describe(person) if holder else []


def may_receive(user, unit) -> bool:
    """Who may import a package into ``unit``: a holder of ``archives.edit`` there (SMD doctors and area workers);
    an SMD register entry in it also needs ``smd.followup`` there (the importing doctor becomes responsible)."""
    return path_in_scope(user, ARCHIVES_EDIT, unit.path)


def packed(person: Person) -> dict[str, list[dict]]:
    return {h.kind: rows for h in transfers.holders() if h.pack and (rows := h.pack(person))}


def export_package(actor, person: Person, key: bytes, *, to: str) -> tuple[bytes, str]:
    """The encrypted package of ``person`` for the city ``to`` (a name or code, kept in the package) and its SM3
    digest. Refused when nothing is managed for the person."""
    if not may_send(actor, person):
        raise PermissionDenied
    records = packed(person)
    if not records:
        raise ArchiveError("该居民没有需要移交的在管记录 / nothing is managed for this person: nothing to transfer")
    tags = sorted(person.tags.filter(until__isnull=True).values_list("tag", flat=True))
    payload = {"kind": KIND, "version": VERSION, "to": str(to)[:60], "from_org": person.org_path,
               "person": {f: plain(getattr(person, f)) for f in PERSON_FIELDS} | {"tags": tags}, "records": records}
    data = seal(payload, key, org=person.org_unit.code, created=timezone.now().isoformat())
    digest = sm3_hex(data)
    audit.record(actor, audit.Action.EXPORT, obj=person, person=person, org_path=person.org_path, purpose="transfer",
                 detail={"transfer_to": str(to)[:40], "records": {k: len(v) for k, v in records.items()}, "digest": digest})
    return data, digest


def _mac(key: bytes, body: dict) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(canonical(body))
    return mac.finalize().hex()


def read_package(data: bytes, key: bytes) -> dict:
    """The checked payload, version 1 (SMD only) turned into the version 2 shape."""
    _header, payload = open_archive(data, key)
    if payload.get("kind") != KIND or payload.get("version") not in (1, VERSION):
        raise ArchiveError("不是居民迁移包 / not a person transfer package")
    if payload["version"] == 1:
        smd = dict(payload.get("patient") or {})
        smd["follow_ups"] = payload.get("follow_ups", [])
        payload = {**payload, "version": VERSION, "records": {SMD_KIND: [smd]}}
    if not isinstance(payload.get("records"), dict) or not isinstance(payload.get("person"), dict):
        raise ArchiveError("迁移包内容不完整 / the package is incomplete")
    return payload


def import_package(actor, data: bytes, key: bytes, *, unit) -> tuple[Person, bytes, dict[str, int]]:
    """Import a package into ``unit`` (where ``actor`` edits the archive or follows up SMD patients). Returns the
    person, the receipt (bytes) to send back and the number of records taken per kind. All or nothing."""
    payload = read_package(data, key)
    if not may_receive(actor, unit):
        raise PermissionDenied
    unknown = sorted(k for k in payload["records"] if k not in transfers.HOLDERS or not transfers.HOLDERS[k].unpack)
    if unknown:
        raise ArchiveError(f"迁移包含本系统不认识的记录类型 / the package holds kinds this instance does not know: {', '.join(unknown)}")
    p = {k: v for k, v in payload["person"].items() if k in PERSON_FIELDS}
    if isinstance(p.get("birth_date"), str):
        p["birth_date"] = datetime.date.fromisoformat(p["birth_date"])
    digest = sm3_hex(data)
    counts: dict[str, int] = {}
    with transaction.atomic():
        bidx = blind_index("id_number", p.get("id_number"), normalize_id_number) if p.get("id_number") else None
        person = Person.objects.filter(id_number_bidx=bidx).first() if bidx else None
        if person is None:
            person = services.register_person(actor, {**p, "org_unit": unit}).person
        elif person.org_unit_id != unit.pk or person.status != PersonStatus.ACTIVE:
            person = services.update_person(actor, person, {"org_unit": unit, "status": PersonStatus.ACTIVE}).person
        tags = [t for t in payload["person"].get("tags") or [] if isinstance(t, str)]
        active = set(person.tags.filter(until__isnull=True).values_list("tag", flat=True))
        if tags and not set(tags) <= active:
            services.set_tags(actor, person, sorted(active | set(tags)))  # a personalised plan needs its tag
        for holder in transfers.holders():
            rows = payload["records"].get(holder.kind)
            if rows:
                counts[holder.kind] = holder.unpack(actor, person, unit, rows)
        audit.record(actor, audit.Action.CREATE, obj=person, person=person, org_path=person.org_path, purpose="transfer",
                     detail={"transfer_from": str(payload.get("from_org", ""))[:40], "records": counts, "digest": digest})
    body = {"kind": RECEIPT, "package_sm3": digest, "receiving_org": unit.code,
            "received_at": timezone.localtime().isoformat(timespec="seconds"), "records": counts}
    receipt = json.dumps({**body, "mac": _mac(key, body)}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return person, receipt, counts


def read_receipt(receipt: bytes, key: bytes, package: bytes) -> dict:
    try:
        r = json.loads(receipt.decode("utf-8"))
        body = {k: v for k, v in r.items() if k != "mac"}
        mac = r["mac"]
        missing = [k for k in RECEIPT_FIELDS if k not in body]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveError("不是迁移回执 / not a transfer receipt") from exc
    if missing or body["kind"] != RECEIPT or not std_hmac.compare_digest(_mac(key, body), str(mac)):
        raise ArchiveError("回执签名无效 / the receipt's signature is not valid: it was altered or signed with another key")
    if body["package_sm3"] != sm3_hex(package):
        raise ArchiveError("回执与迁移包不符 / the receipt is for another package")
    return body


def close_with_receipt(actor, package: bytes, receipt: bytes, key: bytes) -> tuple[Person, dict[str, int]]:
    """Close the sender's records of the person as moved out on a valid receipt for ``package`` (the file sent).
    Returns the person and the number of records closed per kind (none when closed already)."""
    body = read_receipt(receipt, key, package)
    payload = read_package(package, key)
    bidx = blind_index("id_number", payload["person"].get("id_number"), normalize_id_number)
    person = Person.objects.filter(id_number_bidx=bidx).first() if bidx else None
    if person is None:
        raise ArchiveError("本地找不到该居民 / the person of this package is not in this instance")
    if not may_send(actor, person):
        raise PermissionDenied
    reason = f"迁往外市（{body['receiving_org']}），回执 {body['received_at']}"
    on = datetime.date.fromisoformat(body["received_at"][:10])
    counts: dict[str, int] = {}
    with transaction.atomic():
        for holder in transfers.holders():
            if holder.close and holder.kind in payload["records"]:
                n = holder.close(actor, person, reason, on)
                if n:
                    counts[holder.kind] = n
        if person.status != PersonStatus.MOVED_OUT:
            Person.objects.filter(pk=person.pk).update(status=PersonStatus.MOVED_OUT)
            person.refresh_from_db()
            counts["archives.person"] = 1
        if counts:
            audit.record(actor, audit.Action.UPDATE, obj=person, person=person, org_path=person.org_path, purpose="transfer",
                         detail={"status": PersonStatus.MOVED_OUT, "closed": counts, "digest": body["package_sm3"]})
    return person, counts
