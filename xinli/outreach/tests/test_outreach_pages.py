"""Publicity desk and the public article, event and awareness pages."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.core.policy import Role
from xinli.outreach.models import Article, AwarenessResponse, Event, Registration
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


def test_write_review_publish_and_read_on_the_portal(tree, client):
    writer = make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    editor = make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    login_verified(client, writer)
    client.post("/outreach/", {"do": "write", "title": "睡不好怎么办", "category": "self_help", "org_unit": tree.county_a.pk,
                               "body": "<p>规律作息<img src=x onerror=alert(1)></p>", "submit": "1"})
    a = Article.objects.get()
    assert a.state == "in_review" and "onerror" not in a.body
    assert Client().get(f"/p/articles/{a.pk}/").status_code == 404  # not published yet
    editor_client = Client()
    login_verified(editor_client, editor)
    assert "睡不好怎么办" in editor_client.get("/outreach/").content.decode()
    editor_client.post("/outreach/", {"do": "approve", "article": a.pk})
    public = Client()
    listing = public.get("/p/articles/", {"q": "睡不好"}).content.decode()
    assert "睡不好怎么办" in listing
    page = public.get(f"/p/articles/{a.pk}/").content.decode()
    assert "规律作息" in page and "onerror" not in page
    assert Article.objects.get().views == 1


def test_resident_registers_for_an_event(tree, client):
    officer = make_user("pub", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    event = Event.objects.create(title="走进社区：老年心理", kind="community", org_unit=tree.a1v1, org_path=tree.a1v1.path,
                                 starts_at=timezone.now() + datetime.timedelta(days=2), place="活动室", capacity=1, created_by=officer)
    assert "走进社区" in client.get("/p/events/").content.decode()
    assert client.post("/p/events/", {"event": event.pk, "name": "张阿姨", "phone": "13900000000"}).status_code == 200
    assert client.post("/p/events/", {"event": event.pk, "name": "李叔"}).status_code == 400  # full
    assert Registration.objects.count() == 1


def test_awareness_form_for_a_sampled_village(tree, client):
    from xinli.outreach.services import awareness_link

    officer = make_user("pub_b", [(tree.county_b, Role.PUBLICITY_OFFICER)])
    link = awareness_link(officer, tree.b1v1)
    survey = link.survey
    data = {f"q_{q['id']}": q["answer"] for q in survey.questions}
    assert client.post(f"/p/awareness/{link.token}/", data).status_code == 200
    r = AwarenessResponse.objects.get()
    assert (r.rural, r.correct, r.passed, r.org_unit) == (True, 10, True, tree.b1v1)
    assert client.post(f"/p/awareness/{link.token}/", {"q_1": "对"}).status_code == 400


def test_materials_distributed_are_recorded(tree, client):
    officer = make_user("pub2", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    event = Event.objects.create(title="讲座", kind="school", org_unit=tree.a1, org_path=tree.a1.path,
                                 starts_at=timezone.now() + datetime.timedelta(days=1), place="礼堂", capacity=50, created_by=officer)
    login_verified(client, officer)
    client.post("/outreach/", {"do": "materials", "event": event.pk, "materials": "120"})
    event.refresh_from_db()
    assert event.materials == 120
    client.post("/outreach/", {"do": "materials", "event": event.pk, "materials": "-5"})
    event.refresh_from_db()
    assert event.materials == 120
