"""Issue 15 item 6: the officers of the common ancestor resolve duplicate ID-number requests.

A village worker of A1v1 enters the ID number of a resident of A2v1 (another street of the same county) and is
refused neutrally; the request goes to the county (市南区). The county officer sees it (page, API, home card and the
archive's link), opens the existing record (an audited read) and closes it — transfer, resolved or rejected, with a
note, audited; the worker gets an inbox message naming only their own unit. The worker, a street worker and an officer
of the other county never see it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from xinli.alerts import texts
from xinli.alerts.models import Notification
from xinli.archives.models import Consent, DuplicateRequest, Person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


def _api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


_clients: dict = {}


@pytest.fixture(autouse=True)
def _fresh_clients():
    _clients.clear()
    yield
    _clients.clear()


def _page(user):
    """A page client logged in as ``user`` (once per test: a TOTP code is not accepted twice)."""
    if user.pk not in _clients:
        c = Client()
        login_verified(c, user)
        _clients[user.pk] = c
    return _clients[user.pk]


@pytest.fixture
def dup(tree, personas, people):
    r = _api(personas.village_worker_1).post("/api/v1/persons/", {
        "name": "新人", "id_number": people.in_a2v1.id_number, "org_unit": tree.a1v1.pk,
        "consents": [{"purpose": "archive"}]}, format="json")
    assert r.status_code == 400 and "无法在此登记" in r.json()["id_number"][0]
    request = DuplicateRequest.objects.get()
    assert request.org_path == tree.county_a.path
    return request


@pytest.fixture
def other_county_officer(tree):
    return make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])


def _listed(user) -> set[int]:
    r = _api(user).get("/api/v1/duplicate-requests/")
    return {row["id"] for row in r.json()["results"]} if r.status_code == 200 else set()


def test_who_sees_the_request(dup, tree, personas, people, other_county_officer):
    city_officer = make_user("city_officer", [(tree.city, Role.HEALTH_OFFICER)])
    assert _listed(personas.county_officer) == {dup.pk} and _listed(city_officer) == {dup.pk}
    # The worker who triggered it, a worker of the street above, and an officer of the other county: nothing.
    for user in (personas.village_worker_1, personas.township_worker, other_county_officer):
        assert _listed(user) == set(), user
        assert _api(user).get(f"/api/v1/duplicate-requests/{dup.pk}/").status_code == 404, user
        html = _page(user).get("/persons/duplicates/").content.decode()
        assert f"/persons/duplicates/{dup.pk}/" not in html and f"/persons/{people.in_a2v1.pk}/" not in html
        assert _page(user).get(f"/persons/duplicates/{dup.pk}/").status_code == 404

    # The county officer's page: requesting unit, requester, date and a link to the existing record (no name).
    officer = _page(personas.county_officer)
    html = officer.get("/persons/duplicates/").content.decode()
    assert tree.a1v1.name in html and "village_worker_1" in html and f"/persons/{people.in_a2v1.pk}/" in html
    assert people.in_a2v1.name not in html
    body = _api(personas.county_officer).get("/api/v1/duplicate-requests/").json()["results"][0]
    assert (body["unit"], body["requester"], body["existing_person"], body["status"]) == (
        tree.a1v1.pk, personas.village_worker_1.pk, people.in_a2v1.pk, "open")
    assert body["existing_unit_name"] == tree.a2v1.name and body["created_at"]


def test_home_card_and_archive_link_count_open_requests(dup, personas):
    html = _page(personas.county_officer).get("/").content.decode()
    assert 'id="duplicate-card"' in html and "待处理的重复身份证号" in html and "/persons/duplicates/" in html
    assert "/persons/duplicates/" in _page(personas.county_officer).get("/persons/").content.decode()
    for user in (personas.village_worker_1, personas.township_worker):
        assert "/persons/duplicates/" not in _page(user).get("/").content.decode()
        assert "/persons/duplicates/" not in _page(user).get("/persons/").content.decode()


def test_opening_the_existing_record_is_an_audited_read(dup, personas, people):
    officer = _page(personas.county_officer)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    html = officer.get(f"/persons/duplicates/{dup.pk}/").content.decode()
    link = f"/persons/{people.in_a2v1.pk}/"
    assert link in html and people.in_a2v1.name not in html
    assert not AuditEntry.objects.filter(id__gt=before, person_id=people.in_a2v1.pk).exists()
    assert people.in_a2v1.name in officer.get(link).content.decode()
    assert AuditEntry.objects.filter(id__gt=before, actor_id=personas.county_officer.pk, person_id=people.in_a2v1.pk,
                                     action="read").exists()


def _notice_texts(user) -> list[str]:
    out = []
    for note in Notification.objects.filter(recipient=user):
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                out.append(texts.render(note.kind, note.params))
    return out


def _assert_names_nothing_outside(text, tree, people):
    held = people.in_a2v1
    for leak in (held.name, held.id_number, held.id_number[-6:], f"#{held.pk}", tree.a2v1.name, tree.a2.name,
                 tree.county_a.name, tree.county_b.name, "county_officer"):
        assert leak not in text, (leak, text)
    assert tree.a1v1.name in text  # the requester's own unit, where they asked


def test_transfer_moves_the_record_to_the_requesting_unit(dup, tree, personas, people):
    held = people.in_a2v1
    r = _api(personas.county_officer).post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/",
                                           {"outcome": "transfer", "note": "电话核实：已搬到太平角社区"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "transferred" and r.json()["existing_person"] == held.pk
    held.refresh_from_db()
    assert held.org_unit == tree.a1v1 and held.org_path == tree.a1v1.path
    assert set(Consent.objects.filter(person=held).values_list("org_path", flat=True)) == {tree.a1v1.path}
    dup.refresh_from_db()
    assert (dup.status, dup.resolved_by, dup.note) == ("transferred", personas.county_officer, "电话核实：已搬到太平角社区")
    assert dup.resolved_at is not None
    assert AuditEntry.objects.filter(object_type="archives.duplicaterequest", object_id=str(dup.pk), action="update",
                                     actor_id=personas.county_officer.pk, person_id=held.pk,
                                     detail__status="transferred").exists()
    assert AuditEntry.objects.filter(object_type="archives.person", object_id=str(held.pk), action="update",
                                     detail__fields=["org_unit"]).exists()
    # The worker is told in words naming only their own unit; they now find the record in their area.
    (zh, en) = _notice_texts(personas.village_worker_1)
    assert "已转入" in zh and "now belongs to" in en
    for text in (zh, en):
        _assert_names_nothing_outside(text, tree, people)
    found = _api(personas.village_worker_1).get("/api/v1/persons/", {"q": held.id_number}).json()["results"]
    assert [row["id"] for row in found] == [held.pk]
    inbox = _page(personas.village_worker_1).get("/inbox/").content.decode()
    assert "已转入" in inbox and 'href="/persons/"' in inbox
    # Closed: the request leaves the open list and cannot be closed twice.
    assert _listed(personas.county_officer) == set()
    again = _api(personas.county_officer).post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/",
                                               {"outcome": "rejected", "note": "再次"}, format="json")
    assert again.status_code == 400 and "已处理" in again.json()["status"][0] and "already closed" in again.json()["status"][0]


@pytest.mark.parametrize(("outcome", "status", "words"), [("resolved", "resolved", "保持不变"), ("rejected", "rejected", "驳回")])
def test_resolved_and_rejected_on_the_page_leave_the_record_where_it_is(dup, tree, personas, people, outcome, status, words):
    officer = _page(personas.county_officer)
    r = officer.post(f"/persons/duplicates/{dup.pk}/", {"outcome": outcome, "note": "号码录入有误"}, follow=True)
    assert r.status_code == 200 and "已通知申请人" in r.content.decode()
    dup.refresh_from_db()
    assert (dup.status, dup.resolved_by, dup.note) == (status, personas.county_officer, "号码录入有误")
    held = Person.objects.get(pk=people.in_a2v1.pk)
    assert held.org_unit == tree.a2v1
    assert AuditEntry.objects.filter(object_type="archives.duplicaterequest", object_id=str(dup.pk), action="update",
                                     detail__status=status).exists()
    zh, en = _notice_texts(personas.village_worker_1)
    assert words in zh
    for text in (zh, en):
        _assert_names_nothing_outside(text, tree, people)
    closed = officer.get("/persons/duplicates/?status=closed").content.decode()
    assert f"/persons/duplicates/{dup.pk}/" in closed


def test_a_note_and_a_decision_are_required(dup, personas):
    api = _api(personas.county_officer)
    r = api.post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/", {"outcome": "resolved", "note": " "}, format="json")
    assert r.status_code == 400 and "处理说明" in r.json()["note"][0] and "resolution note" in r.json()["note"][0].lower()
    r = api.post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/", {"outcome": "merge", "note": "x"}, format="json")
    assert r.status_code == 400 and "outcome" in r.json()
    from django.core.exceptions import ValidationError

    from xinli.archives.duplicates import resolve_duplicate_request

    with pytest.raises(ValidationError) as exc:  # the service itself, whoever calls it
        resolve_duplicate_request(personas.county_officer, dup, outcome="resolved", note="  ")
    assert "处理说明：必填" in exc.value.message_dict["note"][0]
    page = _page(personas.county_officer).post(f"/persons/duplicates/{dup.pk}/", {"outcome": "rejected", "note": ""})
    html = page.content.decode()
    assert page.status_code == 400 and "处理说明" in html and "this field is required" not in html
    dup.refresh_from_db()
    assert dup.status == "open" and not Notification.objects.exists()


def test_api_refusals_have_the_json_shapes(dup, tree, personas, people, other_county_officer):
    # Outside the area (another county's officer) and the requester themselves: 404, the bilingual JSON.
    for user in (other_county_officer, personas.village_worker_1):
        for r in (_api(user).get(f"/api/v1/duplicate-requests/{dup.pk}/"),
                  _api(user).post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/", {"outcome": "rejected", "note": "越权"},
                                  format="json")):
            assert r.status_code == 404 and r.json() == {"detail": "未找到，或不在您的管辖范围内。 / Not found, or outside your area."}
    # A role that does not resolve requests (no archives.edit): 403, the bilingual JSON.
    r = _api(personas.police_liaison).get("/api/v1/duplicate-requests/")
    assert r.status_code == 403 and "Your role does not allow this action." in r.json()["detail"]
    assert _api(personas.police_liaison).get(f"/api/v1/duplicate-requests/{dup.pk}/").status_code == 404
    assert APIClient().get("/api/v1/duplicate-requests/").status_code in (401, 403)
    assert _api(personas.county_officer).get("/api/v1/duplicate-requests/", {"status": "x"}).status_code == 400
    dup.refresh_from_db()
    assert dup.status == "open" and Person.objects.get(pk=people.in_a2v1.pk).org_unit == tree.a2v1


def test_transfer_needs_the_record_in_the_officers_area(dup, tree, personas, people):
    # The holder moved to the other county since the request: the county officer can no longer transfer it.
    city = make_user("city_registrar", [(tree.city, Role.HEALTH_OFFICER)])
    from xinli.archives.services import update_person

    update_person(city, people.in_a2v1, {"org_unit": tree.b1v1})
    officer = _page(personas.county_officer)
    html = officer.get(f"/persons/duplicates/{dup.pk}/").content.decode()
    assert 'value="transfer"' not in html and f"/persons/{people.in_a2v1.pk}/" not in html
    r = _api(personas.county_officer).post(f"/api/v1/duplicate-requests/{dup.pk}/resolve/",
                                           {"outcome": "transfer", "note": "迁入"}, format="json")
    assert r.status_code == 400 and "outcome" in r.json()
    dup.refresh_from_db()
    assert dup.status == "open" and Person.objects.get(pk=people.in_a2v1.pk).org_unit == tree.b1v1
