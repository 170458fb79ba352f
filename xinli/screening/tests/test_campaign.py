import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.screening import campaigns
from xinli.screening.models import Assessment, Campaign, Participant
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def psychologist(tree):
    return make_user("school_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])


@pytest.fixture
def campaign(psychologist, tree):
    now = timezone.now()
    c = campaigns.create_campaign(psychologist, name="2026秋季心理普查", kind="school", institution="市南区第一中学",
                                  org_unit=tree.county_a, scales=["phq9", "gad7"], opens_at=now - datetime.timedelta(hours=1),
                                  closes_at=now + datetime.timedelta(days=7),
                                  groups=[{"grade": "初一", "name": "1班", "participants": [{"label": "学生A", "minor_under_14": True},
                                                                                           {"label": "学生B", "minor_under_14": False}]},
                                          {"grade": "高一", "name": "2班", "count": 3}])
    return c


def by_label(campaign, label):
    return next(p for p in campaign.participants.all() if p.label == label)


def answers(phq=0, gad=0, item9=0):
    return {"phq9": {**{str(i): phq for i in range(1, 9)}, "9": item9}, "gad7": {str(i): gad for i in range(1, 8)}}


def test_codes_are_unique_and_stored_encrypted(campaign):
    codes = [p.code for p in campaign.participants.all()]
    assert len(codes) == 5 == len(set(codes)) and all(len(c) == 8 for c in codes)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT code FROM screening_participant")
        assert all(row[0].startswith("t1$") for row in cur.fetchall())


def test_end_to_end_submission_progress_positive_list_and_export(client, campaign, psychologist):
    b = by_label(campaign, "学生B")
    api = APIClient()
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code.lower(), "responses": answers(phq=2, gad=1, item9=1)}, format="json")
    assert r.status_code == 201 and r.json() == {"saved": 2, "urgent": True, "hotline": "12356"}
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code, "responses": answers()}, format="json")
    assert r.status_code == 400 and "already used" in r.json()["code"][0]
    assert Assessment.objects.filter(campaign=campaign).count() == 2
    others = list(campaign.participants.filter(group__name="2班"))
    campaigns.record_guardian_consent(psychologist, others[0], "家长乙")
    api.post("/api/v1/campaign-submissions/", {"code": others[0].code, "responses": answers()}, format="json")
    progress = {g.group.name: (g.participants, g.completed) for g in campaigns.progress(campaign)}
    assert progress == {"1班": (2, 1), "2班": (3, 1)}
    positives = campaigns.positive_list(psychologist, campaign)
    assert {(a.participant.label, a.scale) for a in positives} == {("学生B", "phq9")}
    login_verified(client, psychologist)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "2 / 5" in page and "学生B" in page
    r = client.get(f"/campaigns/{campaign.pk}/positive.xlsx", {"identified": "1", "purpose": "班主任约谈"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "学生B" and rows[1][3] == "phq9" and rows[1][4] == 17 and rows[1][6] == "9"
    assert AuditEntry.objects.filter(action="export", object_type="screening.campaign").exists()


def test_under_14_needs_guardian_consent_before_the_code_works(campaign, psychologist):
    a = by_label(campaign, "学生A")
    api = APIClient()
    r = api.post("/api/v1/campaign-submissions/", {"code": a.code, "responses": answers()}, format="json")
    assert r.status_code == 400 and "guardian" in r.json()["code"][0]
    campaigns.record_guardian_consent(psychologist, a, "家长甲")
    r = api.post("/api/v1/campaign-submissions/", {"code": a.code, "responses": answers()}, format="json")
    assert r.status_code == 201


def test_invalid_answers_use_nothing_and_write_nothing(campaign):
    b = by_label(campaign, "学生B")
    api = APIClient()
    bad = answers()
    bad["gad7"]["7"] = 9
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code, "responses": bad}, format="json")
    assert r.status_code == 400 and "answers" in r.json()
    assert not Assessment.objects.exists() and Participant.objects.get(pk=b.pk).completed_at is None
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code, "responses": {"phq9": answers()["phq9"]}}, format="json")
    assert r.status_code == 400 and "gad7" in r.json()["answers"][0]


def test_closed_or_expired_campaign_and_unknown_code(campaign, psychologist):
    api = APIClient()
    r = api.post("/api/v1/campaign-submissions/", {"code": "ZZZZZZZZ", "responses": answers()}, format="json")
    assert r.status_code == 400 and "not recognised" in r.json()["code"][0]
    b = by_label(campaign, "学生B")
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code, "responses": answers()}, format="json")
    assert r.status_code == 400 and "closed" in r.json()["code"][0]
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() + datetime.timedelta(days=1))
    campaigns.close_campaign(psychologist, campaign)
    r = api.post("/api/v1/campaign-submissions/", {"code": b.code, "responses": answers()}, format="json")
    assert r.status_code == 400


def test_positive_list_only_for_responsible_staff(client, campaign, tree):
    other = make_user("other_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    login_verified(client, other)
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and "学生B" not in page.content.decode()
    assert client.get(f"/campaigns/{campaign.pk}/positive.xlsx").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/participants/").status_code == 404
    outsider = make_user("b_psy", [(tree.county_b, Role.SCHOOL_PSYCHOLOGIST)])
    client.logout()
    login_verified(client, outsider)
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404


def test_participant_pages_work_without_login(client, campaign):
    b = by_label(campaign, "学生B")
    r = client.post("/s/", {"code": b.code})
    assert r.status_code == 302
    form = client.get(r["Location"]).content.decode()
    assert 'name="phq9_9"' in form and 'name="gad7_7"' in form
    data = {f"phq9_{i}": "0" for i in range(1, 10)} | {f"gad7_{i}": "0" for i in range(1, 8)}
    done = client.post(r["Location"], data)
    assert done.status_code == 200 and 'id="done"' in done.content.decode() and "alert-banner" not in done.content.decode()
    again = client.post("/s/", {"code": b.code})
    assert again.status_code == 400 and "已被使用" in again.content.decode()


def test_staff_create_a_campaign_through_the_form(client, psychologist, tree):
    login_verified(client, psychologist)
    r = client.post("/campaigns/", {"name": "职工心理体检", "kind": "workplace", "institution": "某公司", "org_unit": tree.county_a.pk,
                                    "scales": ["phq9"], "opens_at": "2026-11-01", "closes_at": "2026-12-31",
                                    "groups": "行政部,综合科,4\n生产部,一车间,6"})
    assert r.status_code == 302, r.content.decode()[:3000]
    c = Campaign.objects.get(name="职工心理体检")
    assert c.participants.count() == 10
    codes = client.get(f"/campaigns/{c.pk}/participants/").content.decode()
    assert codes.count("<svg") == 10
    r = client.post("/campaigns/", {"name": "x", "kind": "school", "institution": "y", "org_unit": tree.county_a.pk,
                                    "scales": ["phq9"], "opens_at": "2026-11-01", "closes_at": "2026-12-31", "groups": "only two,fields"})
    assert r.status_code == 400 and "第 1 行" in r.content.decode()
