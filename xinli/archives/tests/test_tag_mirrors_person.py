"""A population tag mirrors its person's unit and sex (issue 16 item 6: the T09/CA1 counts read the tags alone).

Every service that writes a person or their tags keeps the tag's ``org_path``, ``county_code`` and ``sex`` equal to the
person's: registering one or many, correcting the sex, moving, merging and undoing the merge."""

from __future__ import annotations

import datetime

import pytest

from xinli.archives.merge import merge_persons, undo_merge
from xinli.archives.models import Person, PopulationTag
from xinli.archives.services import register_people, register_person, set_tags, update_person

pytestmark = pytest.mark.django_db


def _mirrors(person: Person) -> list[tuple]:
    """(tag, org_path, county_code, sex) of the person's tags, with the person's own values expected."""
    person = Person.objects.get(pk=person.pk)
    rows = list(PopulationTag.objects.filter(person=person).order_by("tag").values_list("tag", "org_path", "county_code", "sex"))
    assert rows, "the person has tags"
    for _tag, path, county, sex in rows:
        assert (path, county, sex) == (person.org_path, person.county_code, person.sex)
    return rows


def test_registering_gives_the_tags_the_persons_sex(tree, personas):
    officer = personas.county_officer
    one = register_person(officer, {"name": "周一", "sex": "F", "birth_date": datetime.date(1950, 1, 1), "org_unit": tree.a1v1},
                          tags=["elderly_empty_nest", "disabled"]).person
    assert [r[3] for r in _mirrors(one)] == ["F", "F"]
    set_tags(officer, one, ["elderly_empty_nest", "disabled", "women_menopause"])
    assert [r[3] for r in _mirrors(one)] == ["F", "F", "F"]

    results = register_people(officer, [
        ({"name": "吴二", "sex": "M", "birth_date": datetime.date(1960, 2, 2), "org_unit": tree.a1v2}, ["elderly_widowed"], []),
        ({"name": "郑三", "birth_date": datetime.date(1961, 3, 3), "org_unit": tree.a1v2}, ["disabled"], []),
    ])
    two, three = (r.person for r in results)
    assert [r[3] for r in _mirrors(two)] == ["M"]
    assert [r[3] for r in _mirrors(three)] == ["U"]


def test_correcting_the_sex_and_moving_update_the_tags(tree, personas):
    officer = personas.county_officer
    person = register_person(officer, {"name": "王四", "sex": "M", "birth_date": datetime.date(1955, 5, 5), "org_unit": tree.a1v1},
                             tags=["disabled", "elderly_widowed"]).person
    update_person(officer, person, {"sex": "F"})
    assert {r[3] for r in _mirrors(person)} == {"F"}
    update_person(officer, Person.objects.get(pk=person.pk), {"org_unit": tree.a1v2})
    rows = _mirrors(person)
    assert {r[1] for r in rows} == {tree.a1v2.path}


def test_a_merge_gives_the_moved_tags_the_survivors_sex_and_the_undo_takes_it_back(tree, personas):
    officer = personas.county_officer
    survivor = register_person(officer, {"name": "孙七", "sex": "F", "birth_date": datetime.date(1970, 3, 3),
                                         "org_unit": tree.a1v1}, tags=["elderly_empty_nest"]).person
    merged = register_person(officer, {"name": "孙七", "sex": "U", "birth_date": datetime.date(1970, 3, 3),
                                       "org_unit": tree.a1v2}, tags=["disabled"]).person
    record = merge_persons(officer, survivor, merged)
    rows = _mirrors(survivor)
    assert [(r[0], r[3]) for r in rows] == [("disabled", "F"), ("elderly_empty_nest", "F")]
    undo_merge(officer, record)
    assert [(r[0], r[1], r[3]) for r in _mirrors(merged)] == [("disabled", tree.a1v2.path, "U")]
