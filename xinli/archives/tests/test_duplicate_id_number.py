"""Issue 15 item 6: the existence oracle. An ID number held by a person outside the user's area is refused with the
same neutral text as the other refusal path (a number under review), naming no person or unit; a duplicate request
is recorded (blind index only, audited) for the common ancestor's officers. Within the user's area the message
points to the existing record."""

import pytest
from rest_framework.test import APIClient

from xinli.archives.models import DuplicateRequest, Person
from xinli.archives.normalize import normalize_id_number
from xinli.archives.selectors import visible_duplicate_requests
from xinli.core.fields import blind_index
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import id_number, make_user

pytestmark = pytest.mark.django_db


def _api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def _register(user, unit, number):
    return _api(user).post("/api/v1/persons/", {"name": "新人", "id_number": number, "org_unit": unit.pk,
                                                "consents": [{"purpose": "archive"}]}, format="json")


def test_number_held_in_another_area_gets_the_neutral_refusal_and_a_request(tree, personas, people):
    other = people.in_a2v1  # outside village_worker_1's area
    r = _register(personas.village_worker_1, tree.a1v1, other.id_number)
    assert r.status_code == 400
    message = r.json()["id_number"][0]
    assert "无法在此登记" in message and "cannot be registered here" in message
    for leak in (other.name, tree.a2v1.name, tree.a2.name, "already in the archive", str(other.pk)):
        assert leak not in message
    request = DuplicateRequest.objects.get()
    assert request.requester == personas.village_worker_1 and request.unit == tree.a1v1
    assert request.status == DuplicateRequest.Status.OPEN and other.id_number not in str(vars(request))
    assert request.org_path == tree.county_a.path  # the common ancestor of a1v1 and a2v1
    assert AuditEntry.objects.filter(object_type__icontains="duplicaterequest", object_id=str(request.pk)).exists()
    assert list(visible_duplicate_requests(personas.county_officer)) == [request]
    assert not visible_duplicate_requests(personas.village_worker_1).exists()
    assert DuplicateRequest.objects.count() == 1 and Person.objects.count() == 4

    # The other refusal path: a number under review (an open request) whose holder is gone is refused alike.
    fresh = id_number("19910101", 555)
    DuplicateRequest.objects.create(unit=tree.a2v1, id_number_bidx=blind_index("id_number", fresh, normalize_id_number),
                                    org_path=tree.a2v1.path)
    r2 = _register(personas.village_worker_1, tree.a1v1, fresh)
    assert r2.status_code == 400 and r2.json()["id_number"][0] == message


def test_setting_a_number_held_elsewhere_on_edit_is_refused_alike_and_the_request_survives(tree, personas, people):
    mine, other = people.in_a1v1, people.in_a2v1
    r = _api(personas.village_worker_1).patch(f"/api/v1/persons/{mine.pk}/", {"id_number": other.id_number}, format="json")
    assert r.status_code == 400 and "无法在此登记" in r.json()["id_number"][0]
    assert DuplicateRequest.objects.filter(requester=personas.village_worker_1, unit=tree.a1v1).exists()


def test_same_scope_user_is_pointed_to_the_existing_record(tree, personas, people):
    existing = people.in_a1v1
    r = _register(personas.village_worker_1, tree.a1v1, existing.id_number)
    assert r.status_code == 400
    message = r.json()["id_number"][0]
    assert str(existing.pk) in message and "already in the archive" in message
    assert not DuplicateRequest.objects.exists()


def test_officer_over_both_areas_sees_the_existing_record(tree, people):
    officer = make_user("officer_a", [(tree.county_a, Role.HEALTH_OFFICER)])
    r = _register(officer, tree.a1v1, people.in_a2v1.id_number)
    assert str(people.in_a2v1.pk) in r.json()["id_number"][0] and not DuplicateRequest.objects.exists()
