import pytest
from rest_framework.test import APIClient

from xinli.archives import selectors
from xinli.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _ids(user, **kw):
    return {p.pk for p in selectors.search_persons(user, **kw)}


@pytest.mark.parametrize("query", ["张三丰", "zsf", "ZSF", "zhangsanfeng", "Zhang San Feng", "138-0000-0001", "+8613800000001"])
def test_find_a_resident_by_name_pinyin_initials_full_pinyin_or_phone(personas, people, query):
    assert _ids(personas.township_worker, q=query) == {people.in_a1v1.pk}


def test_find_by_id_number_exactly_and_case_insensitively(personas, people):
    target = people.in_a1v1
    assert _ids(personas.county_officer, q=target.id_number) == {target.pk}
    assert _ids(personas.county_officer, id_number=target.id_number.lower()) == {target.pk}
    assert _ids(personas.county_officer, q=target.id_number[:-2]) == set()  # partial numbers match nothing


def test_village_worker_cannot_see_other_village(personas, people):
    assert _ids(personas.village_worker_1) == {people.in_a1v1.pk}
    assert _ids(personas.village_worker_2) == {people.in_a1v2.pk}
    assert _ids(personas.village_worker_1, q=people.in_a1v2.id_number) == set()


def test_each_level_sees_its_subtree(personas, people):
    assert _ids(personas.township_worker) == {people.in_a1v1.pk, people.in_a1v2.pk}
    assert _ids(personas.county_officer) == {people.in_a1v1.pk, people.in_a1v2.pk, people.in_a2v1.pk}


def test_administrators_and_users_without_roles_see_no_person(personas, people):
    for user in (personas.province_admin, personas.audit_admin, personas.security_admin, personas.nobody):
        assert _ids(user) == set(), user.username


def test_api_search_is_paginated_masked_and_every_listed_person_audited(personas, people):
    client = APIClient()
    client.force_authenticate(personas.county_officer)
    r = client.get("/api/v1/persons/", {"page_size": 2, "purpose": "follow-up"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert "*" in first["id_number"] and "****" in first["phone"]
    listed = {row["id"] for row in body["results"]}
    audited = set(AuditEntry.objects.filter(action="search", actor_username="county_officer").values_list("person_id", flat=True))
    assert audited == listed
    assert set(AuditEntry.objects.filter(action="search").values_list("purpose", flat=True)) == {"follow-up"}


def test_api_id_number_search_and_retrieve_is_audited_with_view_and_purpose(personas, people):
    client = APIClient()
    client.force_authenticate(personas.village_worker_1)
    target = people.in_a1v1
    r = client.get("/api/v1/persons/", {"id_number": target.id_number})
    assert [row["id"] for row in r.json()["results"]] == [target.pk]
    r = client.get(f"/api/v1/persons/{target.pk}/", HTTP_X_PURPOSE="home visit")
    assert r.status_code == 200 and r.json()["id_number"] == target.id_number
    entry = AuditEntry.objects.filter(action="read", person_id=target.pk).latest("id")
    assert entry.actor_username == "village_worker_1"
    assert entry.purpose == "home visit"
    assert entry.view == "person-detail"
    assert entry.org_path == target.org_path


def test_out_of_scope_person_answers_404_and_is_not_audited_as_a_read(personas, people):
    client = APIClient()
    client.force_authenticate(personas.village_worker_1)
    before = AuditEntry.objects.filter(action="read").count()
    r = client.get(f"/api/v1/persons/{people.in_a1v2.pk}/")
    assert r.status_code == 404
    assert AuditEntry.objects.filter(action="read").count() == before


def test_exact_lookup_skips_the_count_query_but_large_results_still_count(personas, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(personas.county_officer)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/api/v1/persons/", {"id_number": people.in_a1v1.id_number})
    assert r.json()["count"] == 1
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
    r = client.get("/api/v1/persons/", {"page_size": 2})
    assert r.json()["count"] == 3 and r.json()["next"]


def test_a_surname_alone_finds_nobody_and_the_page_says_why(client, personas, people):
    from xinli.testing.fixtures import login_verified

    login_verified(client, personas.township_worker)
    html = client.get("/persons/", {"q": "张"}).content.decode()
    assert people.in_a1v1.name not in html
    assert 'id="search-hint"' in html and "请输入完整姓名" in html  # the rule, not an empty list
    # A whole name that nobody in the area has: the exact-match rule is explained too.
    html = client.get("/persons/", {"q": "张无忌"}).content.decode()
    assert 'id="search-hint"' in html and "完整" in html
    # A partial ID number: only whole numbers match.
    html = client.get("/persons/", {"q": people.in_a1v1.id_number[:10]}).content.decode()
    assert 'id="search-hint"' in html and "18" in html
    # A match needs no explanation.
    assert 'id="search-hint"' not in client.get("/persons/", {"q": people.in_a1v1.name}).content.decode()


@pytest.mark.parametrize(("query", "kind"), [("张", "surname"), ("张无忌", "name"), ("zwj", "pinyin"), ("3702021966", "id_part"),
                                             ("", ""), ("13800000001", "phone"), ("37020219661010246X", "id")])
def test_search_hint_names_the_rule_that_a_query_missed(query, kind):
    assert selectors.search_miss_kind(query) == kind
