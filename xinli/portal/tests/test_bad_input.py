"""Public pages never answer 500 to odd input: garbage ids, huge numbers, wrong types."""

import datetime

import pytest

pytestmark = pytest.mark.django_db

GARBAGE = ["abc", "-1", "1e9", "99999999999999999999999", "", "1;DROP TABLE x", "１２"]


def test_public_forms_with_garbage(client, tree):
    from xinli.core.policy import Role
    from xinli.network import services
    from xinli.testing.fixtures import make_user

    officer = make_user("o", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = services.create_site(officer, org_unit=tree.a1v1, name="咨询室", kind="village_room", opened_on=datetime.date(2024, 1, 1))
    for g in GARBAGE:
        for method, url, data in (
            ("get", "/p/sites/", {"unit": g}), ("get", "/p/sites/", {"near": g}), ("post", "/p/events/", {"event": g, "name": "x"}),
            ("post", f"/p/book/{site.pk}/", {"slot": g, "name": "x", "phone": "1"}), ("post", "/p/cancel/", {"reference": g}),
            ("post", f"/feedback/site/{site.pk}/", {"score": g}), ("post", "/p/test/phq9/", {"q_1": g}),
            ("get", "/p/articles/", {"q": g, "category": g}), ("get", "/public/evaluations/", {"year": g}),
            ("post", "/p/account/login/", {"phone": g, "password": g}),
        ):
            r = getattr(client, method)(url, data)
            assert r.status_code < 500, (url, data, r.status_code)


def test_staff_forms_with_garbage(personas, tree):
    from django.test import Client

    from xinli.testing.fixtures import login_verified

    client = Client()
    login_verified(client, personas.counsellor)
    for g in GARBAGE:
        for data in ({"do": "slots", "site": g, "starts_at": g}, {"do": "book_for", "slot": g, "id_number": g},
                     {"do": "review", "plan": g}, {"do": "attended", "booking": g}, {"do": "receive", "referral": g},
                     {"do": "plan", "id_number": g, "review_on": g}):
            r = client.post("/counselling/", data)
            assert r.status_code < 500, (data, r.status_code)
