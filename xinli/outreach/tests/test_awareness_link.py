"""Issue 15 item 11: the awareness survey accepts anonymous answers only through a village's unguessable link, made
on the publicity desk (with its QR code); sequential ids and wrong tokens answer 404; submissions are rate limited."""

import pytest
from django.test import Client

from xinli.core import ratelimit
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.outreach.models import AwarenessLink, AwarenessResponse
from xinli.outreach.services import awareness_link
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


def _answers(link):
    return {f"q_{q['id']}": q["answer"] for q in link.survey.questions}


@pytest.fixture
def officer(tree):
    return make_user("pub", [(tree.county_a, Role.PUBLICITY_OFFICER)])


def test_the_sequential_village_id_answers_404(tree, client, officer):
    link = awareness_link(officer, tree.a1v1)
    for url in (f"/p/awareness/{tree.a1v1.pk}/", f"/p/awareness/{link.pk}/"):
        assert client.get(url).status_code == 404
        assert client.post(url, _answers(link)).status_code == 404
    assert AwarenessResponse.objects.count() == 0


def test_the_token_link_works_and_a_wrong_token_is_404(tree, client, officer):
    link = awareness_link(officer, tree.a1v1)
    assert len(link.token) >= 22 and not link.token.isdigit()
    page = client.get(f"/p/awareness/{link.token}/")
    assert page.status_code == 200 and tree.a1v1.name in page.content.decode()
    assert client.post(f"/p/awareness/{link.token}/", _answers(link)).status_code == 200
    assert AwarenessResponse.objects.get().org_unit == tree.a1v1
    wrong = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    assert client.get(f"/p/awareness/{wrong}/").status_code == 404
    assert client.post(f"/p/awareness/{wrong}/", _answers(link)).status_code == 404
    assert AwarenessResponse.objects.count() == 1


def test_one_link_per_village_made_once_audited_and_only_in_the_area(tree, officer):
    from django.core.exceptions import PermissionDenied, ValidationError

    link = awareness_link(officer, tree.a1v1)
    assert awareness_link(officer, tree.a1v1).token == link.token
    assert awareness_link(officer, tree.a1v2).token != link.token
    assert AuditEntry.objects.filter(object_type="outreach.awarenesslink").count() == 2
    with pytest.raises(PermissionDenied):
        awareness_link(officer, tree.b1v1)  # another county
    with pytest.raises(ValidationError):
        awareness_link(officer, tree.county_a)  # links are for sampled villages and communities


def test_the_desk_makes_and_shows_the_link_with_its_qr_code(tree, officer):
    client = Client()
    login_verified(client, officer)
    response = client.post("/outreach/", {"do": "awareness_link", "code": tree.a1v1.code}, follow=True)
    link = AwarenessLink.objects.get()
    body = response.content.decode()
    assert f"/p/awareness/{link.token}/" in body and "<svg" in body
    # Another county's village is answered like an unknown code, and nothing is made.
    response = client.post("/outreach/", {"do": "awareness_link", "code": tree.b1v1.code}, follow=True)
    assert "村（社区）代码" in response.content.decode() and AwarenessLink.objects.count() == 1


def test_submissions_through_a_link_are_rate_limited(tree, client, officer, settings, monkeypatch):
    settings.XINLI_RATE_LIMITS = {"portal": (2, 60)}
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)
    link = awareness_link(officer, tree.a1v1)
    for _ in range(2):
        assert client.post(f"/p/awareness/{link.token}/", _answers(link)).status_code == 200
    response = client.post(f"/p/awareness/{link.token}/", _answers(link))
    assert response.status_code == 429 and response["Retry-After"]
    assert AwarenessResponse.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_sampled_village_a_link():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from xinli.testing.fixtures import make_tree

    executor = MigrationExecutor(connection)
    executor.migrate([("outreach", "0001_initial")])
    old = executor.loader.project_state([("outreach", "0001_initial")]).apps
    tree = make_tree()
    survey = old.get_model("outreach", "AwarenessSurvey").objects.create(name="s", questions=[], pass_mark=1)
    Response = old.get_model("outreach", "AwarenessResponse")
    for unit in (tree.a1v1, tree.a1v1, tree.b1v1):
        Response.objects.create(survey=survey, org_unit_id=unit.pk, org_path=unit.path, rural=True, correct=1, passed=True)
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([("outreach", "0002_awareness_links")])
        Link = executor.loader.project_state([("outreach", "0002_awareness_links")]).apps.get_model("outreach", "AwarenessLink")
        links = {(link.org_unit_id, link.org_path): link.token for link in Link.objects.all()}
        assert set(links) == {(tree.a1v1.pk, tree.a1v1.path), (tree.b1v1.pk, tree.b1v1.path)}
        assert len(set(links.values())) == 2 and all(len(t) >= 22 for t in links.values())
    finally:  # the later tests need the schema of today
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_desk_offers_the_villages_of_the_area_by_name(tree, officer):
    client = Client()
    login_verified(client, officer)
    page = client.get("/outreach/").content.decode()
    assert 'list="survey-villages"' in page
    assert f'<option value="{tree.a1v1.code}">{tree.a1v1.name}</option>' in page
    assert tree.b1v1.code not in page  # another county's village is not offered
    assert f'value="{tree.county_a.code}"' not in page.split('id="survey-villages"')[1].split("</datalist>")[0]


def test_an_incomplete_answer_names_the_questions_and_keeps_the_answers_given(tree, client, officer):
    link = awareness_link(officer, tree.a1v1)
    answers = _answers(link)
    first, third = link.survey.questions[0], link.survey.questions[2]
    del answers[f"q_{first['id']}"], answers[f"q_{third['id']}"]
    page = client.post(f"/p/awareness/{link.token}/", answers)
    assert page.status_code == 400
    text = page.content.decode()
    assert f"第 {first['id']}、{third['id']} 题未作答" in text
    second = link.survey.questions[1]
    assert f'name="q_{second["id"]}" value="{second["answer"]}" required checked' in text
    assert AwarenessResponse.objects.count() == 0


def test_an_answer_that_is_not_an_option_is_refused(tree, client, officer):
    link = awareness_link(officer, tree.a1v1)
    answers = _answers(link) | {f"q_{link.survey.questions[0]['id']}": "也许"}
    page = client.post(f"/p/awareness/{link.token}/", answers)
    assert page.status_code == 400 and "请从给出的选项中选择" in page.content.decode()
    assert AwarenessResponse.objects.count() == 0
