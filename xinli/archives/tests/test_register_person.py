import json

import pytest
from rest_framework.test import APIClient

from xinli.archives.models import Consent, Person, PopulationTag
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(personas):
    client = APIClient()
    client.force_authenticate(personas.village_worker_1)
    return client


def _counts():
    return Person.objects.count(), Consent.objects.count(), PopulationTag.objects.count(), AuditEntry.objects.count()


def test_village_worker_registers_a_resident_with_tags_and_consent(api, tree):
    idn = id_number("19580305", 135)
    r = api.post("/api/v1/persons/", {
        "name": "孙秀英", "id_number": idn, "phone": "139 0000 1111", "address": "太平角一路3号", "org_unit": tree.a1v1.pk,
        "tags": ["elderly_empty_nest"], "consents": [{"purpose": "archive"}],
    }, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sex"] == "M" and body["birth_date"] == "1958-03-05"  # derived from the ID number
    assert body["phone"] == "13900001111"
    assert body["tags"] == ["elderly_empty_nest"]
    assert body["consents"][0]["purpose"] == "archive" and body["consents"][0]["active"]
    person = Person.objects.get(pk=body["id"])
    assert person.org_path == tree.a1v1.path and person.county_code == "370202"
    assert AuditEntry.objects.filter(action="create", person_id=person.pk, object_type="archives.person").exists()


def test_wrong_check_character_is_rejected_naming_the_field_in_both_languages(api, tree):
    good = id_number("19800101", 111)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = _counts()
    r = api.post("/api/v1/persons/", {"name": "甲", "id_number": bad, "org_unit": tree.a1v1.pk}, format="json")
    assert r.status_code == 400
    message = r.json()["id_number"][0]
    assert "身份证号码" in message and "Resident ID number" in message and "check character" in message
    assert _counts() == before


def test_impossible_birth_date_is_rejected(api, tree):
    body = "370202" + "19800231" + "111"
    from stdnum.cn import ric

    r = api.post("/api/v1/persons/", {"name": "乙", "id_number": body + ric.calc_check_digit(body + "0"), "org_unit": tree.a1v1.pk}, format="json")
    assert r.status_code == 400
    assert "date" in r.json()["id_number"][0]


def test_unknown_historical_address_code_is_accepted_with_a_warning(api, tree):
    # 370299 has never been a county code in GB/T 2260.
    idn = id_number("19700101", 201, county="370299")
    r = api.post("/api/v1/persons/", {"name": "丙", "id_number": idn, "org_unit": tree.a1v1.pk}, format="json")
    assert r.status_code == 201, r.content
    assert any("370299" in w for w in r.json()["warnings"])


def test_one_person_per_id_number(api, tree, people):
    before = _counts()
    r = api.post("/api/v1/persons/", {"name": "冒名", "id_number": people.in_a1v1.id_number.lower(), "org_unit": tree.a1v1.pk}, format="json")
    assert r.status_code == 400
    assert "already" in r.json()["id_number"][0]
    assert _counts() == before


def test_child_under_14_needs_guardian_consent_and_nothing_is_written_without_it(api, tree):
    idn = id_number("20180808", 302)
    before = _counts()
    r = api.post("/api/v1/persons/", {"name": "小明", "id_number": idn, "org_unit": tree.a1v1.pk,
                                      "consents": [{"purpose": "screening", "given_by": "self"}]}, format="json")
    assert r.status_code == 400
    assert "14" in r.json()["given_by"][0]
    assert _counts() == before  # the person row was rolled back with the consent
    r = api.post("/api/v1/persons/", {"name": "小明", "id_number": idn, "org_unit": tree.a1v1.pk,
                                      "consents": [{"purpose": "screening", "given_by": "guardian", "guardian_name": "王芳",
                                                    "guardian_relation": "母亲"}]}, format="json")
    assert r.status_code == 201, r.content


def test_registering_outside_own_village_is_refused(api, tree):
    r = api.post("/api/v1/persons/", {"name": "丁", "org_unit": tree.a2v1.pk}, format="json")
    assert r.status_code == 400
    assert "org_unit" in r.json()
    assert not Person.objects.exists()


@pytest.mark.parametrize("payload, field", [
    ({"name": "", "org_unit": 1}, "name"),
    ({"org_unit": 1}, "name"),
    ({"name": "戊"}, "org_unit"),
    ({"name": "戊", "org_unit": "abc"}, "org_unit"),
    ({"name": "戊", "org_unit": 1, "birth_date": "31/12/1990"}, "birth_date"),
    ({"name": "戊", "org_unit": 1, "sex": "X"}, "sex"),
    ({"name": "戊", "org_unit": 1, "tags": ["nonsense"]}, "tags"),
    ({"name": "戊", "org_unit": 1, "phone": "12345"}, "phone"),
    ({"name": "戊", "org_unit": 1, "favourite_colour": "blue"}, "favourite_colour"),
])
def test_bad_fields_answer_400_with_a_bilingual_message_naming_the_field(api, tree, payload, field):
    payload = {k: (tree.a1v1.pk if v == 1 and k == "org_unit" else v) for k, v in payload.items()}
    before = _counts()
    r = api.post("/api/v1/persons/", payload, format="json")
    assert r.status_code == 400, r.content
    errors = r.json()
    assert field in errors
    message = errors[field][0] if isinstance(errors[field], list) else str(errors[field])
    assert " / " in message  # Chinese / English
    assert _counts() == before


def test_malformed_json_wrong_content_type_and_oversize_bodies_are_clear_4xx(api, settings):
    r = api.post("/api/v1/persons/", data="{not json", content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    r = api.post("/api/v1/persons/", data="name=x", content_type="text/plain")
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    r = api.post("/api/v1/persons/", data=json.dumps([1, 2]), content_type="application/json")
    assert r.status_code == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = api.post("/api/v1/persons/", data=json.dumps({"name": "x" * 5000}), content_type="application/json")
    assert r.status_code == 413


def test_update_with_a_stale_version_is_refused_and_changes_nothing(api, people):
    p = people.in_a1v1
    r = api.patch(f"/api/v1/persons/{p.pk}/", {"address": "新地址1号", "version": p.version}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == p.version + 1
    r = api.patch(f"/api/v1/persons/{p.pk}/", {"address": "旧版本覆盖", "version": p.version}, format="json")
    assert r.status_code == 400 and "version" in r.json()
    assert Person.objects.get(pk=p.pk).address == "新地址1号"


def test_moving_a_person_out_of_scope_is_refused(api, people, tree):
    p = people.in_a1v1
    r = api.patch(f"/api/v1/persons/{p.pk}/", {"org_unit": tree.b1v1.pk}, format="json")
    assert r.status_code == 400
    assert Person.objects.get(pk=p.pk).org_unit_id == tree.a1v1.pk


def test_consent_withdrawal_is_recorded_and_idempotent(api, people):
    consent = people.in_a1v1.consents.get()
    r = api.post(f"/api/v1/consents/{consent.pk}/withdraw/")
    assert r.status_code == 200 and r.json()["withdrawn_at"] and not r.json()["active"]
    first = r.json()["withdrawn_at"]
    r = api.post(f"/api/v1/consents/{consent.pk}/withdraw/")
    assert r.json()["withdrawn_at"] == first
    assert AuditEntry.objects.filter(object_type="archives.consent", object_id=str(consent.pk), action="update").count() == 1
