"""A patient moving to another city that runs the platform (issue 17): an encrypted package of that one person's
SMD record, imported at the receiving instance, and a signed receipt that closes the sender's record as 迁出.

* ``export_package`` (sending city): the person's archive fields and the SMD register entry with its whole follow-up
  history, sealed with the region-archive crypto (``xinli.core.archive.container``: SM4-GCM, the header as associated
  data) under a **transfer key** the two cities agreed (16 random bytes, base64, exchanged out of band like a backup
  key; never a data key). Audited as an export of the person.
* ``import_package`` (receiving city): decrypts and checks the package, finds the person by ID number (blind index) or
  registers them in the chosen unit, registers the patient (source "transferred in", registered and moved in today;
  a patient who left the register here before is re-opened with their history), writes the follow-up history as it
  was recorded there, and returns a **receipt**: the SM3 digest of the package file, the receiving unit's code and the
  time, with an HMAC-SM3 under the transfer key. Importing the same package again is refused (already in register).
* ``close_with_receipt`` (sending city): checks the receipt's HMAC and that it names the digest of the package it
  sent, then closes the register entry as moved out (迁出, the reason names the receiving unit's code) and the
  archive record's status as moved out. Nothing is deleted: the history stays in the sending city.
"""

from __future__ import annotations

import datetime
import json

from cryptography.hazmat.primitives import hashes, hmac
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from xinli.archives import services as archive_services
from xinli.archives.models import Person, PersonStatus
from xinli.archives.normalize import normalize_id_number
from xinli.core import audit
from xinli.core.archive.container import ArchiveError, canonical, open_archive, seal
from xinli.core.crypto import sm3_hex
from xinli.core.fields import blind_index
from xinli.core.policy import SMD_FOLLOWUP
from xinli.core.scoping import path_in_scope

from . import services
from .models import FollowUp, Patient, Status

KIND, RECEIPT = "xinli-person-transfer", "xinli-person-transfer-receipt"
PERSON_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "address")
PATIENT_FIELDS = ("diagnosis", "diagnosed_by", "diagnosed_on", "residence", "guardian_name", "guardian_phone",
                  "consent_community", "consent_on", "poor", "insured", "management_level")
FOLLOW_UP_FIELDS = sorted(services.FOLLOW_UP_FIELDS | {"classification", "next_due"})


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else value


def export_package(actor, patient: Patient, key: bytes, *, to: str) -> tuple[bytes, str]:
    """The encrypted package of ``patient`` for the city ``to`` (a name or code, kept in the package) and its SM3
    digest. Who may call: holders of ``smd.followup`` over the patient. The register entry must be in the register."""
    if not path_in_scope(actor, SMD_FOLLOWUP, patient.org_path):
        raise PermissionDenied
    if patient.status != Status.IN_REGISTER:
        raise ArchiveError("患者不在册，无需迁出 / the patient is not in the register: nothing to transfer")
    person = patient.person
    payload = {
        "kind": KIND, "version": 1, "to": to, "from_org": patient.org_path,
        "person": {f: _plain(getattr(person, f)) for f in PERSON_FIELDS},
        "patient": {f: _plain(getattr(patient, f)) for f in PATIENT_FIELDS}
        | {"registered_on": patient.registered_on.isoformat()},
        "follow_ups": [{f: _plain(getattr(fu, f)) for f in FOLLOW_UP_FIELDS} for fu in patient.follow_ups.order_by("date", "id")],
    }
    data = seal(payload, key, org=person.org_unit.code, created=timezone.now().isoformat())
    digest = sm3_hex(data)
    audit.record(actor, audit.Action.EXPORT, obj=patient, person=person, org_path=patient.org_path, purpose="smd",
                 detail={"transfer_to": str(to)[:40], "follow_ups": len(payload["follow_ups"]), "digest": digest})
    return data, digest


def _mac(key: bytes, body: dict) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(canonical(body))
    return mac.finalize().hex()


def import_package(actor, data: bytes, key: bytes, *, unit) -> tuple[Patient, bytes]:
    """Import a package into ``unit`` (a village or township where ``actor`` edits the archive and follows up SMD
    patients; the actor becomes the responsible doctor). Returns the patient and the receipt (bytes) to send back.
    All or nothing."""
    _header, payload = open_archive(data, key)
    if payload.get("kind") != KIND or payload.get("version") != 1:
        raise ArchiveError("不是居民迁移包 / not a person transfer package")
    if not path_in_scope(actor, SMD_FOLLOWUP, unit.path):
        raise PermissionDenied
    p = {k: _date(v) if k == "birth_date" else v for k, v in payload["person"].items() if k in PERSON_FIELDS}
    digest = sm3_hex(data)
    with transaction.atomic():
        bidx = blind_index("id_number", p.get("id_number"), normalize_id_number) if p.get("id_number") else None
        person = Person.objects.filter(id_number_bidx=bidx).first() if bidx else None
        if person is None:
            person = archive_services.register_person(actor, {**p, "org_unit": unit}).person
        elif person.org_unit_id != unit.pk:
            person = archive_services.update_person(actor, person, {"org_unit": unit, "status": PersonStatus.ACTIVE}).person
        data_in = {k: _date(v) for k, v in payload["patient"].items() if k in PATIENT_FIELDS}
        today = timezone.localdate()
        patient = services.register_patient(actor, person, {**data_in, "source": "transfer", "registered_on": today})
        rows = []
        for fu in payload.get("follow_ups", []):
            values = {k: _date(v) if k in ("date", "death_date", "next_due") else v for k, v in fu.items() if k in FOLLOW_UP_FIELDS}
            rows.append(FollowUp(patient=patient, doctor=None, **values).place_under(patient))
        FollowUp.objects.bulk_create(rows)
        last = max(rows, key=lambda r: r.date, default=None)
        if last is not None:
            Patient.objects.filter(pk=patient.pk).update(last_follow_up=last.date, classification=last.classification,
                                                         risk=last.risk, moved_in_on=today)
        else:
            Patient.objects.filter(pk=patient.pk).update(moved_in_on=today)
        patient.refresh_from_db()
        audit.record(actor, audit.Action.CREATE, obj=patient, person=person, org_path=patient.org_path, purpose="smd",
                     detail={"transfer_from": payload.get("from_org", "")[:40], "follow_ups": len(rows), "digest": digest})
    body = {"kind": RECEIPT, "package_sm3": digest, "receiving_org": unit.code,
            "received_at": timezone.now().isoformat(timespec="seconds")}
    receipt = json.dumps({**body, "mac": _mac(key, body)}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return patient, receipt


def close_with_receipt(actor, package: bytes, receipt: bytes, key: bytes) -> Patient:
    """Close the sender's register entry as moved out on a valid receipt for ``package`` (the file sent)."""
    try:
        r = json.loads(receipt.decode("utf-8"))
        body = {k: r[k] for k in ("kind", "package_sm3", "receiving_org", "received_at")}
        mac = r["mac"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError("不是迁移回执 / not a transfer receipt") from exc
    if body["kind"] != RECEIPT or not hmac_equal(_mac(key, body), mac):
        raise ArchiveError("回执签名无效 / the receipt's signature is not valid: it was altered or signed with another key")
    if body["package_sm3"] != sm3_hex(package):
        raise ArchiveError("回执与迁移包不符 / the receipt is for another package")
    _header, payload = open_archive(package, key)
    bidx = blind_index("id_number", payload["person"].get("id_number"), normalize_id_number)
    patient = Patient.objects.select_related("person").filter(person__id_number_bidx=bidx).first() if bidx else None
    if patient is None:
        raise ArchiveError("本地找不到该患者 / the patient of this package is not in this instance")
    if patient.status != Status.IN_REGISTER:
        return patient  # closed already: idempotent
    reason = f"迁往外市（{body['receiving_org']}），回执 {body['received_at']}"
    with transaction.atomic():
        patient = services.change_status(actor, patient, status=Status.MOVED_OUT, reason=reason,
                                         on=datetime.date.fromisoformat(body["received_at"][:10]))
        Person.objects.filter(pk=patient.person_id).update(status=PersonStatus.MOVED_OUT)
        audit.record(actor, audit.Action.UPDATE, obj=patient, person=patient.person, org_path=patient.org_path,
                     detail={"status": Status.MOVED_OUT, "digest": body["package_sm3"]})
    return patient


def hmac_equal(a: str, b: str) -> bool:
    import hmac as std_hmac

    return std_hmac.compare_digest(str(a), str(b))
