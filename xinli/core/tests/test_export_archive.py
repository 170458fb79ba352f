"""Export one region into an encrypted archive and restore it into an EMPTY database (a second alias: a temporary
SQLite file, or on PostgreSQL a second database, migrated once for this module), then verify counts and the audit
chain; tampered files, wrong keys, foreign data keys and a second restore are refused; nothing outside the region
leaves."""

import base64
import datetime
import os
import tempfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from xinli.core.archive import ArchiveError, container, export_region, plan, restore
from xinli.core.archive.export import table_digest
from xinli.core.audit import verify_chain
from xinli.core.crypto import sm3_hex
from xinli.core.fields import blind_index
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import id_number, make_user

TARGET = "archive_target"
pytestmark = pytest.mark.django_db(databases=["default", TARGET])


@pytest.fixture(scope="module", autouse=True)
def target_db(django_db_setup, django_db_blocker):
    """A second, freshly migrated database; each test's writes to it are rolled back like the default's."""
    default = connections["default"]
    cfg = {**default.settings_dict, "TEST": {**default.settings_dict.get("TEST", {}), "MIRROR": None}}
    tmp = None
    with django_db_blocker.unblock():
        if default.vendor == "postgresql":
            cfg["NAME"] = f"{default.settings_dict['NAME']}_archive"[:63]
            with default._nodb_cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
                cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
        else:
            fd, tmp = tempfile.mkstemp(suffix=".sqlite3", prefix="xinli-archive-")
            os.close(fd)
            cfg["NAME"] = tmp
        connections.settings[TARGET] = cfg
        call_command("migrate", database=TARGET, verbosity=0, interactive=False)
    yield TARGET
    with django_db_blocker.unblock():
        connections[TARGET].close()
        del connections[TARGET]
        connections.settings.pop(TARGET, None)
        if tmp:
            os.unlink(tmp)
        else:
            with default._nodb_cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')


@pytest.fixture
def key():
    return os.urandom(16)


@pytest.fixture
def region(tree, people, personas):
    """County A (市南区) with real services: assessments (one raising an alert), a crisis case, a hotline call, an SMD
    patient with a follow-up, a counselling case with a session, a plan, a referral to a hospital in county B, a site;
    and the same kinds of rows in county B, which must stay behind."""
    from xinli.alerts import crisis
    from xinli.archives.services import set_tags
    from xinli.counselling import services as counselling
    from xinli.hotline.models import Line
    from xinli.hotline.services import record_call
    from xinli.network import services as network
    from xinli.screening.services import administer
    from xinli.smd.services import record_follow_up, register_patient

    city = make_user("archive_city", [(tree.city, r) for r in (Role.COUNSELLOR, Role.CRISIS_TEAM, Role.SMD_DOCTOR,
                                                                Role.HOTLINE_OPERATOR, Role.HEALTH_OFFICER)])
    hospital = network.create_institution(city, org_unit=tree.county_b, name="市北区精神卫生中心", kind="psychiatric_hospital")
    site = network.create_site(city, org_unit=tree.a1, name="八大关心理咨询室", kind="township_room",
                               opened_on=datetime.date(2024, 1, 1))
    for p in people.all():
        administer(city, scale="phq9", answers=[1] * 9, person=p)
        case = counselling.open_case(city, p, reason="焦虑", site=site if p is people.in_a1v1 else None)
        counselling.add_session(city, case, date=datetime.date.today(), minutes=50, notes="保密记录")
        set_tags(city, p, ["elderly_empty_nest"])
        counselling.create_plan(city, p, goals="g", interventions="i", review_on=datetime.date.today() + datetime.timedelta(days=30))
        crisis.open_case(city, p, assessment="评估")
    administer(city, scale="phq9", answers=[0] * 8 + [3], person=people.in_a1v1)  # item 9: an alert
    counselling.refer(city, people.in_a1v2, institution=hospital, reason="评估")
    counselling.refer(city, people.in_b1v1, institution=hospital, reason="评估")
    patient = register_patient(city, people.in_a2v1, {
        "diagnosis": "F20", "diagnosed_by": "市精神卫生中心", "diagnosed_on": datetime.date(2020, 1, 1), "source": "hospital",
        "consent_community": True})
    record_follow_up(city, patient, {"date": datetime.date.today(), "mode": "home", "risk": 0, "insight": "complete",
                                     "symptoms": [], "social_function": {"self_care": "good"}, "adherence": "regular",
                                     "sleep": "good", "diet": "good", "medications": []})
    for unit in (tree.county_a, tree.county_b):
        line = Line.objects.create(name=f"{unit.name} 12356", org_unit=unit)
        record_call(city, line, {"caller_phone": "13912345678", "recording_notice": True, "ideation": 8, "has_plan": True})
    return tree.county_a


def _payload(data, key):
    return container.open_archive(data, key)[1]


def _reseal(payload, key, org):
    return container.seal(payload, key, org=org, created=payload["created"])


def test_every_model_has_an_archive_rule():
    kinds = plan.classify()
    assert [k for k, v in kinds.items() if v == "unclassified"] == []
    assert kinds["archives.person"] == "region" and kinds["alerts.alertevent"] == "child"
    assert kinds["counselling.session"] == "child" and kinds["otp_totp.totpdevice"] == "excluded"
    # Rows of these never leave their region (their own encrypted columns, or a link to a person-scoped row) ...
    personal = plan.personal_labels(kinds)
    assert {"archives.person", "hotline.call", "alerts.alert", "archives.populationtag", "smd.task",
            "counselling.session", "network.staff", "alerts.notification"} <= personal
    # ... while reference rows of another region (a hospital, a site, a hotline line, a campaign) may be dependencies.
    assert not {"network.institution", "network.site", "hotline.line", "screening.campaign", "regions.orgunit",
                "accounts.user"} & personal


def test_export_and_restore_into_an_empty_database(region, tree, people, key, tmp_path):
    from xinli.archives.models import Person
    from xinli.counselling.models import Session
    from xinli.smd.models import FollowUp

    key_file = tmp_path / "backup.key"
    key_file.write_text(base64.b64encode(key).decode() + "\n")
    out = tmp_path / "a.xarchive"
    call_command("export_archive", "--org", region.code, "--out", str(out), "--key-file", str(key_file), verbosity=0)
    data = out.read_bytes()
    assert b"\xe5\xbc\xa0\xe4\xb8\x89" not in data and "张三丰".encode() not in data  # nothing readable
    export = AuditEntry.objects.filter(action="export", object_type="core.archive").get()
    assert export.org_path == region.path and export.detail["region_rows"] > 0 and export.detail["sm3"] == sm3_hex(data)

    payload = _payload(data, key)
    manifest = payload["manifest"]["tables"]
    assert manifest["archives.person"] == {**manifest["archives.person"], "own": 3, "deps": 0}
    call_command("restore_archive", str(out), "--key-file", str(key_file), "--database", TARGET, verbosity=0)

    # Counts per table equal the manifest: every archived row is in the target, and the region's persons only.
    for lab, m in manifest.items():
        model = plan.apps.get_model(lab)
        pk_i = payload["tables"][lab]["columns"].index(model._meta.pk.attname)
        pks = [r[pk_i] for r in payload["tables"][lab]["own"] + payload["tables"][lab]["deps"]]
        assert model._base_manager.using(TARGET).filter(pk__in=pks).count() == m["own"] + m["deps"], lab
    restored = Person.objects.using(TARGET)
    assert sorted(p.name for p in restored.all()) == sorted(["张三丰", "李四", "王五"])  # decrypts: same data keys
    assert restored.get(id_number_bidx=blind_index("id_number", id_number("19800101", 111))).pk == people.in_a1v1.pk
    assert Session.objects.using(TARGET).count() == 3 and FollowUp.objects.using(TARGET).count() == 1
    assert Session.objects.using(TARGET).order_by("pk").first().notes == "保密记录"
    stub = plan.apps.get_model("accounts.user").objects.using(TARGET).get(username="archive_city")
    assert not stub.is_active and not stub.has_usable_password() and not stub.assignments.exists()

    # The audit entries arrived with their content and were chained into the target's (intact) chain.
    chain = verify_chain(using=TARGET)
    assert chain.ok and chain.checked == payload["manifest"]["audit"]["count"] + 1
    source = {(e.at, e.action, e.object_type, e.object_id, e.person_id) for e in AuditEntry.objects.filter(
        seq__in=[r[payload["audit"]["columns"].index("seq")] for r in payload["audit"]["rows"]])}
    target = {(e.at, e.action, e.object_type, e.object_id, e.person_id) for e in AuditEntry.objects.using(TARGET)
              .exclude(object_type="core.archive")}
    assert source == target and len(source) == payload["manifest"]["audit"]["count"] > 10
    assert AuditEntry.objects.using(TARGET).get(object_type="core.archive").purpose == "restore"
    # New rows in the target get fresh ids (PostgreSQL sequences were moved past the restored ids).
    from xinli.alerts.models import Alert, AlertEvent

    alert = Alert.objects.using(TARGET).order_by("pk").first()
    assert AlertEvent.objects.using(TARGET).create(alert=alert, kind="acknowledged").pk > max(
        AlertEvent.objects.using(TARGET).exclude(kind="acknowledged").values_list("pk", flat=True))

    # Restoring twice is refused, and changes nothing.
    with pytest.raises(CommandError, match="already holds rows of region"):
        call_command("restore_archive", str(out), "--key-file", str(key_file), "--database", TARGET, verbosity=0)
    assert restored.count() == 3


def test_nothing_outside_the_region_is_exported(region, tree, people, key):
    payload = _payload(export_region(region.code, key).data, key)
    for lab, block in payload["tables"].items():
        if "org_path" in block["columns"]:
            i = block["columns"].index("org_path")
            assert all(r[i].startswith(region.path) for r in block["own"]), lab
    person = payload["tables"]["archives.person"]
    assert person["deps"] == [] and people.in_b1v1.pk not in [r[0] for r in person["own"]]
    # County B's rows appear only as what region rows point at: the hospital of a referral and its org units.
    deps = {lab: len(b["deps"]) for lab, b in payload["tables"].items() if b["deps"]}
    assert set(deps) <= {"regions.orgunit", "network.institution", "accounts.user"}, deps
    units = payload["tables"]["regions.orgunit"]
    code, path = units["columns"].index("code"), units["columns"].index("path")
    assert units["own"] == [] and len(units["deps"]) == 6 + 3  # the subtree (restored where missing) and 3 outside
    assert {r[code] for r in units["deps"] if not r[path].startswith(region.path)} == {
        tree.province.code, tree.city.code, tree.county_b.code}
    cols = payload["audit"]["columns"]
    b_person = people.in_b1v1.pk
    assert AuditEntry.objects.filter(person_id=b_person).exists()
    assert all(r[cols.index("person_id")] != b_person for r in payload["audit"]["rows"])
    assert all(r[cols.index("org_path")].startswith(region.path) or r[cols.index("person_id")] in payload["region_person_ids"]
               for r in payload["audit"]["rows"])


def test_tampered_or_wrongly_keyed_files_are_refused(region, key):
    from xinli.archives.models import Person

    data = export_region(region.code, key).data
    magic, header, token = data.decode().rstrip("\n").split("\n")
    flipped = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    for bad in (f"{magic}\n{header}\n{flipped}\n", f"{magic}\n{header.replace(region.code, '370203000000')}\n{token}\n"):
        with pytest.raises(ArchiveError, match="altered or damaged"):
            restore(bad.encode(), key, using=TARGET)
    with pytest.raises(ArchiveError, match="wrong backup key"):
        restore(data, os.urandom(16), using=TARGET)
    with pytest.raises(ArchiveError, match="not a Xinli region archive"):
        restore(b"PK\x03\x04garbage", key, using=TARGET)
    assert not Person.objects.using(TARGET).exists()


def test_an_altered_audit_entry_is_refused_even_under_the_right_key(region, key):
    """Someone holding the backup key rewrites an audit entry and the manifest: the SM3 chain still gives it away."""
    payload = _payload(export_region(region.code, key).data, key)
    cols = payload["audit"]["columns"]
    row = payload["audit"]["rows"][3]
    row[cols.index("purpose")] = "nothing to see"
    payload["manifest"]["audit"]["sm3"] = sm3_hex(container.canonical(payload["audit"]["rows"]))
    with pytest.raises(ArchiveError, match=f"source chain entry {row[cols.index('seq')]}: content does not match"):
        restore(_reseal(payload, key, region.code), key, using=TARGET)
    # Rewriting an entry AND its hash breaks the link from the next entry of the chain.
    payload = _payload(export_region(region.code, key).data, key)
    rows, seq = payload["audit"]["rows"], cols.index("seq")
    i = next(i for i in range(len(rows) - 1) if rows[i + 1][seq] == rows[i][seq] + 1)
    rows[i][cols.index("purpose")] = "nothing to see"
    entry = AuditEntry(**{c: v for c, v in zip(cols, rows[i], strict=True) if c not in ("at", "detail")},
                       at=datetime.datetime.fromisoformat(rows[i][cols.index("at")]), detail=rows[i][cols.index("detail")])
    rows[i][cols.index("hash")] = entry.compute_hash()
    payload["manifest"]["audit"]["sm3"] = sm3_hex(container.canonical(rows))
    with pytest.raises(ArchiveError, match=f"source chain entry {rows[i + 1][seq]}: link to the previous entry is broken"):
        restore(_reseal(payload, key, region.code), key, using=TARGET)
    # A row changed in a table without fixing the manifest is caught by the table's SM3 digest.
    payload = _payload(export_region(region.code, key).data, key)
    payload["tables"]["archives.person"]["own"][0][-1] = "x"
    with pytest.raises(ArchiveError, match="does not match the manifest"):
        restore(_reseal(payload, key, region.code), key, using=TARGET)
    assert table_digest(payload["tables"]["archives.person"]) != payload["manifest"]["tables"]["archives.person"]["sm3"]


def test_other_data_keys_or_a_data_key_as_backup_key_are_refused(region, key, settings, tmp_path):
    original = settings.XINLI_DATA_KEYS
    data = export_region(region.code, key).data
    settings.XINLI_DATA_KEYS = "t2:" + base64.b64encode(os.urandom(16)).decode()
    with pytest.raises(ArchiveError, match="data keys t1 the archive"):
        restore(data, key, using=TARGET)
    settings.XINLI_DATA_KEYS = "t1:" + base64.b64encode(os.urandom(16)).decode()
    with pytest.raises(ArchiveError, match="data key t1 here is not the source's key"):
        restore(data, key, using=TARGET)
    settings.XINLI_DATA_KEYS = original
    data_key = tmp_path / "k"
    data_key.write_text(original.split(",")[0].partition(":")[2])
    with pytest.raises(CommandError, match="must not be one of the data keys"):
        call_command("export_archive", "--org", region.code, "--out", str(tmp_path / "x"), "--key-file", str(data_key))
    backup_key = tmp_path / "b"
    backup_key.write_text(base64.b64encode(key).decode())
    with pytest.raises(CommandError, match="no org unit with code 110000000000"):
        call_command("export_archive", "--org", "110000000000", "--out", str(tmp_path / "y"), "--key-file", str(backup_key))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_a_dump_file_is_encrypted_and_only_an_intact_copy_decrypts(key, tmp_path):
    from xinli.core.archive.filecrypt import decrypt_file, encrypt_file

    dump = tmp_path / "xinli.dump"
    dump.write_bytes(os.urandom(3 << 20) + b"PGDMP tail")  # > 1 block
    enc, out = tmp_path / "xinli.dump.sm4", tmp_path / "restored.dump"
    assert encrypt_file(dump, enc, key) == dump.stat().st_size
    assert b"PGDMP tail" not in enc.read_bytes()
    assert decrypt_file(enc, out, key) == dump.stat().st_size and out.read_bytes() == dump.read_bytes()
    raw = bytearray(enc.read_bytes())
    raw[len(raw) // 2] ^= 1
    bad = tmp_path / "bad.sm4"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="altered or damaged"):
        decrypt_file(bad, tmp_path / "never.dump", key)
    with pytest.raises(ArchiveError, match="wrong backup key"):
        decrypt_file(enc, tmp_path / "never.dump", os.urandom(16))
    assert not (tmp_path / "never.dump").exists() and not (tmp_path / "never.dump.part").exists()


def test_a_second_region_reuses_what_the_target_has_and_a_foreign_row_is_refused(region, tree, key):
    from xinli.network.models import Institution

    report = restore(export_region(tree.county_b.code, key).data, key, using=TARGET)
    assert report.inserted["archives_person"] == 1 and report.present.get("regions_orgunit", 0) == 0
    report = restore(export_region(region.code, key).data, key, using=TARGET)
    # The province, the city, county B and the hospital came with county B: kept, not inserted again.
    assert report.present["regions_orgunit"] == 3 and report.present["network_institution"] == 1
    assert report.inserted["archives_person"] == 3 and Institution.objects.using(TARGET).count() == 1
    assert verify_chain(using=TARGET).ok


def test_a_target_of_another_installation_is_refused_and_left_unchanged(region, tree, key):
    from xinli.archives.models import Person
    from xinli.regions.models import OrgUnit

    data = export_region(region.code, key).data
    p = tree.province
    # Same id, another unit: an unrelated installation.
    OrgUnit.objects.using(TARGET).create(pk=p.pk, code="110000000000", name="北京市", level=p.level, kind=p.kind, path=p.path)
    with pytest.raises(ArchiveError, match="is a different object"):
        restore(data, key, using=TARGET)
    # Another id, the same current code: the unique constraint stops it inside the transaction.
    OrgUnit.objects.using(TARGET).filter(pk=p.pk).delete()
    OrgUnit.objects.using(TARGET).create(pk=p.pk + 1000, code=region.code, name="x", level=p.level, kind=p.kind, path="/x/")
    with pytest.raises(ArchiveError, match="conflict with rows of the target database"):
        restore(data, key, using=TARGET)
    assert not Person.objects.using(TARGET).exists() and OrgUnit.objects.using(TARGET).count() == 1


def _stored(model, pk):
    """The row as stored (ciphertext and blind indexes, never decrypted), as the archive would carry it."""
    from xinli.core.archive import rows

    return rows.read_rows(model, [pk], "default")[0]


def test_a_person_of_another_region_never_leaves_with_the_region(region, tree, people, key):
    """A call taken on county A's line from a resident of county B (it raised an alert in B), and a counselling case
    kept in A for a person now living in B: A's archive holds no row of that person, of that alert or of that case
    (read in the decrypted archive, not only counted); the call travels with both links cleared; the case and its
    session are left out and counted; the audit entries naming that person stay behind; the archive restores into
    an empty database and verifies. An archive carrying such rows or entries is refused."""
    from django.contrib.auth import get_user_model

    from xinli.alerts.models import Alert
    from xinli.archives.models import Person
    from xinli.core.archive import rows
    from xinli.core.crypto import keyring
    from xinli.core.fields import BlindIndexField, EncryptedTextField
    from xinli.counselling.models import Case, Session
    from xinli.hotline.models import Call, Line
    from xinli.hotline.services import record_call

    b = people.in_b1v1
    city = get_user_model().objects.get(username="archive_city")
    call = record_call(city, Line.objects.get(org_unit=region), {
        "caller_phone": "13800000001", "recording_notice": True, "ideation": 8, "has_plan": True, "person": b, "consent_to_link": True})
    assert call.org_path == region.path and call.alert.org_path.startswith(tree.county_b.path)
    moved = Case.objects.get(person=b)
    Case.objects.filter(pk=moved.pk).update(org_path=tree.a1.path)  # the case stayed in A when the person moved
    session = Session.objects.get(case=moved)
    call_entry = AuditEntry.objects.get(object_type="hotline.call", object_id=str(call.pk), action="create")
    assert call_entry.org_path == region.path and call_entry.person_id == b.pk

    result = export_region(region.code, key)
    call_entry.refresh_from_db()  # sealed by the export: it has its chain position now
    assert call_entry.seq is not None
    payload = _payload(result.data, key)
    tables = payload["tables"]

    def pks(lab):
        block = tables.get(lab, {"own": [], "deps": [], "columns": ["id"]})
        return {r[block["columns"].index("id")] for r in block["own"] + block["deps"]}

    # No row of B's person, of the alert raised in B, of the case or its session.
    assert b.pk not in pks("archives.person") and tables["archives.person"]["deps"] == []
    assert call.alert_id not in pks("alerts.alert") and moved.pk not in pks("counselling.case")
    assert session.pk not in pks("counselling.session") and call.pk in pks("hotline.call")
    # Read the content: every person in the archive decrypts to a resident of A ...
    persons = tables["archives.person"]
    name_i = persons["columns"].index("name")
    ring, aad = keyring(), Person._meta.get_field("name")._aad()
    assert sorted(ring.decrypt(r[name_i], aad) for r in persons["own"]) == sorted(["张三丰", "李四", "王五"])
    # ... and no stored personal value of B's person, alert, case or session appears anywhere in it.
    text = container.canonical(payload).decode()
    secrets = [v for model, pk in ((Person, b.pk), (Alert, call.alert_id), (Case, moved.pk), (Session, session.pk))
               for f, v in zip(rows.columns(model), _stored(model, pk), strict=True)
               if isinstance(f, (EncryptedTextField, BlindIndexField)) and v]
    assert len(secrets) >= 8 and [s for s in secrets if s in text] == []
    # The call itself travels, pointing at nothing outside.
    calls = tables["hotline.call"]
    row = next(r for r in calls["own"] if r[calls["columns"].index("id")] == call.pk)
    assert row[calls["columns"].index("person_id")] is None and row[calls["columns"].index("alert_id")] is None
    assert payload["manifest"]["outside_persons"] == {
        "withheld": {"alerts.alert": 1, "archives.person": 1},
        "left_out": {"counselling.case": 1, "counselling.session": 1},
        "links_cleared": {"hotline.call.alert_id": 1, "hotline.call.person_id": 1}}
    assert (result.left_out, result.links_cleared) == (2, 2)
    export = AuditEntry.objects.filter(action="export", object_type="core.archive").get()
    assert (export.detail["left_out"], export.detail["links_cleared"], export.detail["withheld"]) == (2, 2, 2)
    # No audit entry naming B's person, though the call's entry carries A's path.
    cols = payload["audit"]["columns"]
    assert call_entry.seq not in [r[cols.index("seq")] for r in payload["audit"]["rows"]]
    assert {r[cols.index("person_id")] for r in payload["audit"]["rows"]} <= {None, *payload["region_person_ids"]}

    report = restore(result.data, key, using=TARGET)
    restored = Call.objects.using(TARGET).get(pk=call.pk)
    assert restored.person_id is None and restored.alert_id is None and restored.caller_phone == "13800000001"
    assert not Person.objects.using(TARGET).filter(pk=b.pk).exists()
    assert not Case.objects.using(TARGET).filter(pk=moved.pk).exists()
    assert report.inserted["archives_person"] == 3 and verify_chain(using=TARGET).ok
    assert not AuditEntry.objects.using(TARGET).filter(person_id=b.pk).exists()

    # An archive carrying B's person (as a made-before-this-rule archive did) is refused, and so is an audit
    # entry naming that person, even a genuine one of the source chain.
    doctored = _payload(result.data, key)
    doctored["tables"]["archives.person"]["deps"].append(_stored(Person, b.pk))
    block = doctored["tables"]["archives.person"]
    doctored["manifest"]["tables"]["archives.person"].update(deps=1, sm3=table_digest(block))
    with pytest.raises(ArchiveError, match="rows of archives_person outside the region"):
        restore(_reseal(doctored, key, region.code), key, using=TARGET)
    doctored = _payload(result.data, key)
    audit_rows = doctored["audit"]["rows"] + [rows.read_rows(AuditEntry, [call_entry.pk], "default")[0]]
    audit_rows.sort(key=lambda r: r[cols.index("seq")])
    doctored["audit"]["rows"] = audit_rows
    doctored["manifest"]["audit"].update(count=len(audit_rows), sm3=sm3_hex(container.canonical(audit_rows)))
    with pytest.raises(ArchiveError, match=f"source chain entry {call_entry.seq}: names a person outside"):
        restore(_reseal(doctored, key, region.code), key, using=TARGET)
