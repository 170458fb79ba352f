"""Issue 17: a patient moving to another city that runs the platform — an encrypted package of that one person's SMD
record (region-archive crypto), imported at the receiving instance, and the sender's record closed as 迁出 on a receipt
signed with HMAC-SM3 over the package digest. The "other instance" is this database after the sender's rows are gone
(the receiving city never held them)."""

import base64
import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from xinli.archives.models import Person
from xinli.core.archive import ArchiveError
from xinli.core.crypto import sm3_hex
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.smd import citytransfer, services
from xinli.smd.models import FollowUp, Patient, Task
from xinli.testing.fixtures import make_user

from .conftest import visit

pytestmark = pytest.mark.django_db
KEY = bytes(range(200, 216))


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "transfer.key"
    path.write_text(base64.b64encode(KEY).decode())
    return path


@pytest.fixture
def seen(doctor, patient):
    today = timezone.localdate()
    for back in (60, 30):
        services.record_follow_up(doctor, patient, visit(date=today - datetime.timedelta(days=back), risk=1))
    return patient


def _forget_sender(patient):
    """The receiving city never held the sender's rows."""
    person = patient.person
    FollowUp.objects.filter(patient=patient).delete()
    Task.objects.filter(patient=patient).delete()
    patient.delete()
    person.delete()


def test_package_is_imported_at_the_receiving_city_with_the_follow_up_history(tree, people, doctor, seen, tmp_path, key_file):
    id_number, name = seen.person.id_number, seen.person.name
    call_command("transfer_patient", "export", "--as", doctor.username, "--key-file", str(key_file),
                 "--patient", str(seen.pk), "--to", "烟台市", "--package", str(tmp_path / "p.bin"), verbosity=0)
    data = (tmp_path / "p.bin").read_bytes()
    assert id_number.encode() not in data and name.encode() not in data  # encrypted
    assert AuditEntry.objects.filter(action="export", object_type="archives.person", person_id=seen.person_id,
                                     purpose="transfer").count() == 1
    _forget_sender(seen)

    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    call_command("transfer_patient", "import", "--as", doctor_b1.username, "--key-file", str(key_file), "--org", tree.b1v1.code,
                 "--package", str(tmp_path / "p.bin"), "--receipt", str(tmp_path / "r.json"), verbosity=0)
    person = Person.objects.get(id_number_bidx__isnull=False, org_unit=tree.b1v1, pk__gt=people.in_b1v1.pk)
    assert (person.name, person.id_number) == (name, id_number)
    p = Patient.objects.get(person=person)
    today = timezone.localdate()
    assert (p.source, p.registered_on, p.moved_in_on, p.doctor, p.org_path, p.diagnosis) == (
        "transfer", today, today, doctor_b1, tree.b1v1.path, "F20")
    assert list(p.follow_ups.order_by("date").values_list("date", "risk")) == [
        (today - datetime.timedelta(days=60), 1), (today - datetime.timedelta(days=30), 1)]
    assert p.last_follow_up == today - datetime.timedelta(days=30)
    receipt = json.loads((tmp_path / "r.json").read_text())
    assert (receipt["package_sm3"], receipt["receiving_org"]) == (sm3_hex(data), tree.b1v1.code)
    # The same package again: refused, nothing doubled.
    with pytest.raises(CommandError, match="register"):
        call_command("transfer_patient", "import", "--as", doctor_b1.username, "--key-file", str(key_file), "--org", tree.b1v1.code,
                     "--package", str(tmp_path / "p.bin"), "--receipt", str(tmp_path / "r2.json"), verbosity=0)
    assert FollowUp.objects.filter(patient=p).count() == 2


def test_wrong_key_or_altered_package_is_refused(tree, doctor, seen):
    data, _digest = citytransfer.export_package(doctor, seen, KEY, to="烟台市")
    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    with pytest.raises(ArchiveError, match="wrong backup key"):
        citytransfer.import_package(doctor_b1, data, bytes(16), unit=tree.b1v1)
    altered = data[:-10] + (b"A" if data[-10:-9] != b"A" else b"B") + data[-9:]
    with pytest.raises(ArchiveError):
        citytransfer.import_package(doctor_b1, altered, KEY, unit=tree.b1v1)


def _receipt(data, **changes):
    body = {"kind": citytransfer.RECEIPT, "package_sm3": sm3_hex(data), "receiving_org": "370600000000",
            "received_at": "2026-11-20T10:00:00+08:00"}
    signed = {**body, "mac": citytransfer._mac(KEY, body)}
    return json.dumps({**signed, **changes}).encode()


def test_sender_closes_the_record_as_moved_out_on_a_signed_receipt(doctor, seen, people):
    data, _digest = citytransfer.export_package(doctor, seen, KEY, to="烟台市")
    with pytest.raises(ArchiveError, match="signature"):
        citytransfer.close_with_receipt(doctor, data, _receipt(data, receiving_org="370700000000"), KEY)  # altered
    other, _d = citytransfer.export_package(doctor, seen, KEY, to="威海市")
    with pytest.raises(ArchiveError, match="another package"):
        citytransfer.close_with_receipt(doctor, data, _receipt(other), KEY)
    seen.refresh_from_db()
    assert seen.status == "in_register"  # refused receipts change nothing

    closed = citytransfer.close_with_receipt(doctor, data, _receipt(data), KEY)
    assert (closed.status, closed.status_on) == ("moved_out", datetime.date(2026, 11, 20))
    assert "370600000000" in closed.status_reason
    assert Person.objects.get(pk=people.in_a1v1.pk).status == "moved_out"
    assert closed.follow_ups.count() == 2  # history kept
    assert not Task.objects.filter(patient=closed, state="due").exists()
    assert citytransfer.close_with_receipt(doctor, data, _receipt(data), KEY).status == "moved_out"  # idempotent


def test_import_refuses_an_existing_receipt_file_before_writing_anything(tree, doctor, seen, tmp_path, key_file):
    data, _digest = citytransfer.export_package(doctor, seen, KEY, to="烟台市")
    (tmp_path / "p.bin").write_bytes(data)
    (tmp_path / "r.json").write_text("old")
    _forget_sender(seen)
    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    before = Person.objects.count()
    with pytest.raises(CommandError, match="already exists"):
        call_command("transfer_patient", "import", "--as", doctor_b1.username, "--key-file", str(key_file), "--org", tree.b1v1.code,
                     "--package", str(tmp_path / "p.bin"), "--receipt", str(tmp_path / "r.json"), verbosity=0)
    assert Person.objects.count() == before and not Patient.objects.exists()
