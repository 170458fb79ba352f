"""A client that lost the response to a submission retries with the same idempotency key (body field or
``Idempotency-Key`` header): exactly one record exists and the retry is answered 200 with the same result."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.screening import campaigns
from xinli.screening.models import Assessment, Participant
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

PHQ9 = {str(i): 1 for i in range(1, 10)}


@pytest.fixture
def codes(tree):
    psy = make_user("school_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="普查", kind="workplace", institution="某公司", org_unit=tree.county_a,
                                  scales=["phq9", "gad7"], opens_at=now - datetime.timedelta(hours=1),
                                  closes_at=now + datetime.timedelta(days=1), groups=[{"name": "A", "count": 3}])
    return [p.code for p in c.participants.order_by("pk")]


def body(code, **extra):
    return {"code": code, "responses": {"phq9": PHQ9, "gad7": {str(i): 2 for i in range(1, 8)}}, **extra}


def test_campaign_retry_after_a_dropped_response_stores_one_submission(codes, monkeypatch):
    """The server commits, then the response is lost (here: building it fails, the client sees a 500). The retry
    with the same header gets 200 and the stored result; the code's two assessments exist once."""
    from xinli.screening import api as screening_api

    client = APIClient(raise_request_exception=False)
    real_response, calls = screening_api.Response, []

    def lost_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("response lost on the way back")
        return real_response(*args, **kwargs)

    monkeypatch.setattr(screening_api, "Response", lost_once)
    r = client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json", HTTP_IDEMPOTENCY_KEY="k-0001")
    assert r.status_code == 500
    assert Assessment.objects.count() == 2  # committed before the response was lost
    r = client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json", HTTP_IDEMPOTENCY_KEY="k-0001")
    assert r.status_code == 200 and r.json()["saved"] == 2
    r = client.post("/api/v1/campaign-submissions/", body(codes[0], idempotency_key="k-0001"), format="json")
    assert r.status_code == 200
    assert Assessment.objects.count() == 2
    assert Participant.objects.filter(completed_at__isnull=False).count() == 1


def test_campaign_without_key_or_with_another_key_is_refused_as_a_used_code(codes):
    client = APIClient()
    assert client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json").status_code == 201
    r = client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json", HTTP_IDEMPOTENCY_KEY="k-new")
    assert r.status_code == 400 and "already used" in r.json()["code"][0]
    assert Assessment.objects.count() == 2


def test_a_key_reused_for_another_code_is_refused_and_writes_nothing(codes):
    client = APIClient()
    assert client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json",
                       HTTP_IDEMPOTENCY_KEY="k-0002").status_code == 201
    r = client.post("/api/v1/campaign-submissions/", body(codes[1]), format="json", HTTP_IDEMPOTENCY_KEY="k-0002")
    assert r.status_code == 400 and "idempotency_key" in r.json()
    assert Assessment.objects.count() == 2
    assert Participant.objects.filter(completed_at__isnull=False).count() == 1


def test_assessment_retry_with_the_header_stores_one_row(personas, people):
    client = APIClient()
    client.force_authenticate(personas.counsellor)
    payload = {"scale": "phq9", "person": people.in_a1v1.pk, "answers": PHQ9}
    r1 = client.post("/api/v1/assessments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="tablet-42-0001")
    r2 = client.post("/api/v1/assessments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="tablet-42-0001")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    assert Assessment.objects.count() == 1


def test_a_header_longer_than_64_characters_is_a_bilingual_400(codes):
    r = APIClient().post("/api/v1/campaign-submissions/", body(codes[0]), format="json", HTTP_IDEMPOTENCY_KEY="x" * 65)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()
    assert not Assessment.objects.exists()


def test_the_same_key_with_different_answers_or_another_person_is_a_400_and_writes_nothing(personas, people):
    """docs/api.md: "The same key with a different submission is a 400" — a client that reuses a key by mistake
    must not have its new answers silently dropped in favour of the old ones."""
    client = APIClient()
    client.force_authenticate(personas.counsellor)
    payload = {"scale": "phq9", "person": people.in_a1v1.pk, "answers": PHQ9}
    assert client.post("/api/v1/assessments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-body").status_code == 201
    other_answers = {**payload, "answers": {str(i): 3 for i in range(1, 10)}}
    r = client.post("/api/v1/assessments/", other_answers, format="json", HTTP_IDEMPOTENCY_KEY="k-body")
    assert r.status_code == 400 and "idempotency_key" in r.json(), r.content
    other_person = {**payload, "person": people.in_a1v2.pk}
    r = client.post("/api/v1/assessments/", other_person, format="json", HTTP_IDEMPOTENCY_KEY="k-body")
    assert r.status_code == 400 and "idempotency_key" in r.json(), r.content
    other_scale = {"scale": "gad7", "person": people.in_a1v1.pk, "answers": {str(i): 1 for i in range(1, 8)}}
    r = client.post("/api/v1/assessments/", other_scale, format="json", HTTP_IDEMPOTENCY_KEY="k-body")
    assert r.status_code == 400 and "idempotency_key" in r.json(), r.content
    # The same answers as a list are the same submission.
    r = client.post("/api/v1/assessments/", {**payload, "answers": [1] * 9}, format="json", HTTP_IDEMPOTENCY_KEY="k-body")
    assert r.status_code == 200
    assert Assessment.objects.count() == 1


def test_the_same_key_and_code_with_different_answers_is_a_400(codes):
    client = APIClient()
    assert client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json",
                       HTTP_IDEMPOTENCY_KEY="k-0003").status_code == 201
    changed = body(codes[0])
    changed["responses"]["phq9"] = {str(i): 3 for i in range(1, 10)}
    r = client.post("/api/v1/campaign-submissions/", changed, format="json", HTTP_IDEMPOTENCY_KEY="k-0003")
    assert r.status_code == 400 and "idempotency_key" in r.json(), r.content
    assert client.post("/api/v1/campaign-submissions/", body(codes[0]), format="json",
                       HTTP_IDEMPOTENCY_KEY="k-0003").status_code == 200
    assert Assessment.objects.count() == 2


def test_a_key_taken_by_another_user_at_the_same_moment_does_not_hand_over_their_assessment(personas, people, monkeypatch):
    """Another user's request with the same key commits between this request's look-up and its INSERT: the unique
    constraint stops the INSERT, and the answer must be a 400, not the other user's assessment."""
    from xinli.screening import services

    real_store, raced = services.store_result, []

    def store_after_the_other_commit(actor, result, **kwargs):
        if not raced:
            raced.append(1)
            real_store(personas.crisis_team, result, person=kwargs["person"], mode=kwargs["mode"],
                       idempotency_key=kwargs["idempotency_key"])
        return real_store(actor, result, **kwargs)

    monkeypatch.setattr(services, "store_result", store_after_the_other_commit)
    client = APIClient()
    client.force_authenticate(personas.counsellor)
    r = client.post("/api/v1/assessments/", {"scale": "phq9", "person": people.in_a1v1.pk, "answers": PHQ9},
                    format="json", HTTP_IDEMPOTENCY_KEY="k-race")
    assert r.status_code == 400 and "idempotency_key" in r.json(), r.content
    assert list(Assessment.objects.values_list("administered_by__username", flat=True)) == ["crisis_team"]


def test_right_codes_are_never_counted_against_the_wrong_code_limit(codes, settings):
    """A class submits from one school address: with a wrong-code limit of 1, three right codes all go through; the
    first wrong code is answered 400 and uses up the limit, the next one is refused with 429."""
    from xinli.core import ratelimit

    ratelimit.reset()
    settings.XINLI_RATE_LIMITS = {"code": (1, 300)}
    client = APIClient()
    for code in codes:
        assert client.post("/api/v1/campaign-submissions/", body(code), format="json").status_code == 201
    assert client.post("/api/v1/campaign-submissions/", body("WRONGCOD"), format="json").status_code == 400
    assert client.post("/api/v1/campaign-submissions/", body("WRONGCOE"), format="json").status_code == 429
