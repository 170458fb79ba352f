"""``prepare_people`` (the part of a registration that needs no database, run ahead by a bulk import's worker process)
and ``register_people(prepared=…)``: the same persons as without it; the database's checks still come first; a
preparation checked against another day is done again."""

import dataclasses
import datetime

import pytest
from django.core.exceptions import ValidationError

from xinli.archives.models import Person
from xinli.archives.normalize import normalize_id_number
from xinli.archives.services import prepare_people, register_people
from xinli.core.fields import blind_index
from xinli.testing.fixtures import id_number

pytestmark = pytest.mark.django_db


def _data(unit, i, **extra):
    return {"name": f"居民{i}", "id_number": id_number("19700101", 100 + i), "phone": f"1380000{i:04d}",
            "address": f"香港中路{i}号", "org_unit": unit, **extra}


def test_prepare_checks_the_fields_and_computes_the_columns(tree):
    good, bad = prepare_people([_data(None, 1), {"name": "", "id_number": "1"}])
    assert good.error is None and good.clean["sex"] == "M" and good.clean["birth_date"] == datetime.date(1970, 1, 1)
    assert good.values["id_number_bidx"] == blind_index("id_number", id_number("19700101", 101), normalize_id_number)
    assert good.values["name"] not in (None, "居民1") and set(good.values) == {
        "name", "id_number", "birth_date", "phone", "address", "id_number_bidx", "phone_bidx", "name_bidx",
        "name_initials_bidx", "name_pinyin_bidx", "name_birth_bidx"}
    assert isinstance(bad.error, ValidationError) and {"name", "id_number"} <= set(bad.error.message_dict)
    assert bad.values == {}


def _as_registered(person, data) -> None:
    """``person`` holds ``data`` as a registration stores it: fields, the sex and birth date of the ID number, unit,
    and every blind index of the cleaned values."""
    from xinli.archives.validation import check_id_number

    stored = Person.objects.get(pk=person.pk)
    info = check_id_number(data["id_number"])
    assert (stored.name, stored.id_number, stored.phone, stored.address) == (data["name"], data["id_number"], data["phone"], data["address"])
    assert (stored.sex, stored.birth_date, stored.org_path) == (info.sex, info.birth_date, data["org_unit"].path)
    for f in ("id_number_bidx", "phone_bidx", "name_bidx", "name_initials_bidx", "name_pinyin_bidx", "name_birth_bidx"):
        field = Person._meta.get_field(f)
        assert getattr(stored, f) == field.compute(getattr(stored, field.source)) is not None


def test_registered_with_the_preparation_as_without_it(tree, personas):
    actor = personas.village_worker_1
    with_it = [(_data(tree.a1v1, i), ["elderly_empty_nest"], []) for i in range(3)]
    without = [(_data(tree.a1v1, i + 10), ["elderly_empty_nest"], []) for i in range(3)]
    a = register_people(actor, with_it, prepared=prepare_people([d for d, _t, _c in with_it]))
    b = register_people(actor, without)
    for results, items in ((a, with_it), (b, without)):
        for result, (data, _t, _c) in zip(results, items, strict=True):
            _as_registered(result.person, data)
            assert list(result.person.tags.values_list("tag", flat=True)) == ["elderly_empty_nest"]


def test_the_scope_is_checked_before_a_prepared_refusal(tree, personas):
    actor = personas.village_worker_1
    outside = _data(tree.b1v1, 1, name="")
    inside = _data(tree.a1v1, 2, name="")
    results = register_people(actor, [(outside, [], []), (inside, [], [])], prepared=prepare_people([outside, inside]))
    assert "org_unit" in results[0].message_dict and "name" not in results[0].message_dict
    assert "name" in results[1].message_dict and Person.objects.count() == 0


def test_a_preparation_of_another_day_is_done_again(tree, personas):
    data = _data(tree.a1v1, 1)
    stale = dataclasses.replace(prepare_people([data])[0], today=datetime.date(2000, 1, 1),
                                clean={**prepare_people([data])[0].clean, "name": "别人"})
    result, = register_people(personas.village_worker_1, [(data, [], [])], prepared=[stale])
    assert Person.objects.get(pk=result.person.pk).name == "居民1"
