import base64
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from xinli.archives.models import Person
from xinli.core.crypto import DecryptionError, build_keyring, keyring, sm3_hex
from xinli.core.fields import blind_index

KEY2 = "t2:" + base64.b64encode(bytes(range(100, 116))).decode()


def test_sm3_matches_the_standard_test_vector():
    # GB/T 32905-2016 appendix A.1: SM3("abc")
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_round_trip_and_random_nonce():
    ring = keyring()
    a = ring.encrypt("张三丰", b"t.c")
    b = ring.encrypt("张三丰", b"t.c")
    assert a != b  # random nonce: equal plaintexts do not give equal ciphertexts
    assert a.startswith("t1$")
    assert ring.decrypt(a, b"t.c") == "张三丰"


def test_tampered_ciphertext_is_rejected():
    ring = keyring()
    token = ring.encrypt("370202198001011110", b"t.c")
    key_id, blob = token.split("$")
    raw = bytearray(base64.b64decode(blob))
    raw[14] ^= 0x01
    with pytest.raises(DecryptionError):
        ring.decrypt(key_id + "$" + base64.b64encode(bytes(raw)).decode(), b"t.c")


def test_ciphertext_moved_to_another_column_is_rejected():
    ring = keyring()
    token = ring.encrypt("13800000001", b"archives_person.phone")
    with pytest.raises(DecryptionError):
        ring.decrypt(token, b"archives_person.name")


def test_unknown_key_id_is_rejected():
    with pytest.raises(DecryptionError):
        keyring().decrypt("zz$AAAA", b"x")


def test_encrypted_field_refuses_plaintext_lookups(people):
    with pytest.raises(FieldError):
        list(Person.objects.filter(name="张三丰"))


def test_blind_index_finds_the_person_by_id_number_and_phone(people):
    from xinli.archives.normalize import normalize_id_number, normalize_phone

    target = people.in_a1v2
    by_id = Person.objects.get(id_number_bidx=blind_index("id_number", target.id_number.lower(), normalize_id_number))
    by_phone = Person.objects.get(phone_bidx=blind_index("phone", "+86 138-0000-0002", normalize_phone))
    assert by_id.pk == by_phone.pk == target.pk


def test_blind_index_depends_on_the_key():
    other = build_keyring(KEY2, base64.b64encode(bytes(32)).decode())
    assert other.blind_index("id_number", "x") != keyring().blind_index("id_number", "x")


def test_rotate_keys_reencrypts_everything_and_old_key_can_go(people, settings):
    from xinli.core.crypto import reset_keyring
    from xinli.core.keys import key_usage

    old = settings.XINLI_DATA_KEYS
    settings.XINLI_DATA_KEYS = f"{KEY2},{old}"  # new key first: it encrypts, both decrypt
    reset_keyring()
    assert key_usage()["archives.Person"]["t1"] == 4
    call_command("rotate_keys", batch_size=2)
    usage = key_usage()
    assert usage["archives.Person"] == {"t2": 4, "t1": 0}
    assert usage["archives.Consent"]["t1"] == 0
    settings.XINLI_DATA_KEYS = KEY2  # the old key is removed from the configuration
    reset_keyring()
    names = sorted(p.name for p in Person.objects.all())
    assert names == sorted(["张三丰", "李四", "王五", "赵六"])
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM archives_person")
        assert all(row[0].startswith("t2$") for row in cur.fetchall())


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_id_number_or_phone_reaches_the_database(tree, personas):
    from xinli.archives.services import register_person
    from xinli.core.policy import Role
    from xinli.testing.fixtures import id_number, make_user

    registrar = make_user("registrar2", [(tree.city, Role.HEALTH_OFFICER)])
    idn = id_number("19851111", 765)
    register_person(registrar, {"name": "欧阳明月", "id_number": idn, "phone": "13912345678",
                                "address": "太平角一路9号", "org_unit": tree.a1v1})
    secrets = [idn.encode(), b"13912345678", "欧阳明月".encode(), "太平角一路9号".encode(), b"ouyangmingyue", b"oymy"]
    if connection.vendor == "sqlite":
        db_file = Path(connection.settings_dict["NAME"])
        blob = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert len(blob) > 10_000
        for secret in secrets:
            assert secret not in blob, secret
    else:
        with connection.cursor() as cur:
            for table in ("archives_person", "archives_consent", "core_auditentry"):
                cur.execute(f"SELECT t::text FROM {table} t")
                text = "\n".join(r[0] for r in cur.fetchall()).encode()
                for secret in secrets:
                    assert secret not in text, (table, secret)
