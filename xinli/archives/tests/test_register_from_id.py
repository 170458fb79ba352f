"""Registering a resident: sex and birth date come from the ID number. The form starts with no sex chosen (it used
to default to 男, so a woman's ID number was refused unless the worker noticed), the server fills both from a valid
ID number, and a small static script fills them in the browser as the number is typed."""

import pytest

from xinli.archives.models import Person
from xinli.testing.fixtures import id_number, login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(client, personas):
    login_verified(client, personas.village_worker_1)
    return client


def test_the_form_starts_with_no_sex_chosen_and_loads_the_id_script(worker):
    html = worker.get("/persons/new/").content.decode()
    select = html.split('name="sex"')[1].split("</select>")[0]
    assert '<option value="" selected>' in select  # not 男 by default
    assert "js/id-fill.js" in html and "<script>" not in html  # a static file: the CSP allows no inline script


def test_a_womans_id_number_with_sex_and_birth_date_left_empty_registers_her(worker, tree):
    idn = id_number("19880305", 124)  # 17th digit 4: female
    r = worker.post("/persons/new/", {"name": "王丽", "id_number": idn, "sex": "", "birth_date": "", "org_unit": tree.a1v1.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    person = Person.objects.get()
    assert (person.sex, str(person.birth_date), person.birth_year) == ("F", "1988-03-05", 1988)


def test_without_an_id_number_an_empty_sex_is_recorded_as_unknown(worker, tree):
    r = worker.post("/persons/new/", {"name": "无证", "sex": "", "org_unit": tree.a1v1.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Person.objects.get().sex == "U"


def test_a_sex_that_contradicts_the_id_number_is_refused_with_the_field_named(worker, tree):
    r = worker.post("/persons/new/", {"name": "王丽", "id_number": id_number("19880305", 124), "sex": "M", "org_unit": tree.a1v1.pk})
    assert r.status_code == 400 and not Person.objects.exists()
    assert "17" in r.content.decode()
