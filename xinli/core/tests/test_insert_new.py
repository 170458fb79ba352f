"""``xinli.core.db.insert_new``: the bulk write of new rows (COPY on PostgreSQL, bulk_create elsewhere) stores
exactly what ``bulk_create`` would — defaults, encrypted fields, blind indexes, JSON — and refuses a duplicate as an
``IntegrityError`` that leaves nothing behind."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from xinli.archives.models import Person, PopulationTag
from xinli.core.audit import record_person_reads
from xinli.core.db import insert_new
from xinli.core.fields import blind_index
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["copy", "bulk_create"])
def path(request, monkeypatch):
    """Each test twice: through COPY (on PostgreSQL) and through the small-set path (``bulk_create``)."""
    monkeypatch.setattr("xinli.core.db.COPY_FROM", 1 if request.param == "copy" else 10_000)
    return request.param


def _unit():
    return make_tree().a1v1


def _person(unit, number, name="张三"):
    p = Person(name=name, id_number=number, phone="13800000000", address="香港中路1号", sex="M",
               birth_date=datetime.date(1980, 5, 1))
    p.birth_year = 1980
    p.org_unit = unit
    return p.place_under(unit)


def test_rows_read_back_as_bulk_create_would_store_them(path):
    unit = _unit()
    people = [_person(unit, "37020219800501123X"), _person(unit, "370202198005011248", name="李四")]
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *a: statements.append(sql) or execute(sql, *a)):
        insert_new(Person, people)
    # The ids come from the sequence exactly when the COPY path is taken (PostgreSQL only).
    assert any("nextval" in s for s in statements) == (path == "copy" and connection.vendor == "postgresql")
    assert all(p.pk and not p._state.adding for p in people)
    assert people[0].pk != people[1].pk
    back = Person.objects.get(pk=people[1].pk)
    assert back.name == "李四" and back.id_number == "370202198005011248" and back.address == "香港中路1号"
    assert back.id_number_bidx == blind_index("id_number", "370202198005011248")
    assert back.org_unit_id == unit.pk and back.birth_date == datetime.date(1980, 5, 1)
    # Encrypted at rest: the column holds ciphertext, not the name.
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM archives_person WHERE id = %s", [back.pk])
        assert "李四" not in cur.fetchone()[0]
    # A related row after it, with a default (``since``) filled as bulk_create fills it.
    tags = [PopulationTag(person=people[0], tag="elderly_empty_nest").place_under(people[0])]
    insert_new(PopulationTag, tags)
    tag = PopulationTag.objects.get(pk=tags[0].pk)
    assert tag.person_id == people[0].pk and tag.since is not None and tag.until is None


def test_audit_entries_with_json_detail():
    unit = _unit()
    people = insert_new(Person, [_person(unit, "37020219800501123X"), _person(unit, "370202198005011248")])
    record_person_reads(None, people, detail={"bulk_import": True, "tags": 2})
    entries = AuditEntry.objects.filter(person_id__in=[p.pk for p in people]).order_by("id")
    assert [e.person_id for e in entries] == [p.pk for p in people]
    assert entries[0].detail == {"bulk_import": True, "tags": 2} and entries[0].seq is None


def test_a_duplicate_is_an_integrity_error_and_writes_nothing():
    unit = _unit()
    insert_new(Person, [_person(unit, "37020219800501123X")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(Person, [_person(unit, "370202198005011248"), _person(unit, "37020219800501123X")])
    assert Person.objects.count() == 1


def test_nothing_to_insert():
    assert insert_new(Person, []) == []


def test_values_computed_ahead_are_the_ones_stored_on_the_copy_path(path):
    """``column_values`` computes what the insert would send; given to ``insert_new(prepared=…)`` it is stored as
    given on the COPY path (a blind index also set on the object), and computed again by ``bulk_create``."""
    from xinli.core.db import column_values

    unit = _unit()
    person = _person(unit, "37020219800501123X")
    ahead = column_values(person, ["name", "id_number_bidx", "phone_bidx"])
    assert ahead["id_number_bidx"] == blind_index("id_number", "37020219800501123X")
    assert ahead["name"] != "张三" and Person._meta.get_field("name").from_db_value(ahead["name"], None, connection) == "张三"
    ahead["phone_bidx"] = "f" * 64  # not the phone's: shows which path stored it
    insert_new(Person, [person], prepared=[ahead])
    copied = path == "copy" and connection.vendor == "postgresql"
    stored = Person.objects.get(pk=person.pk)
    assert (stored.phone_bidx == "f" * 64) == copied and (person.phone_bidx == "f" * 64) == copied
    assert stored.phone_bidx == person.phone_bidx and stored.name == "张三"
    assert stored.id_number_bidx == blind_index("id_number", "37020219800501123X")
