"""Completing or correcting a call after it is registered (PATCH): only what was sent is written, the triage rules
are the same as on registration, and bad ids are "not found"."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.hotline import services
from xinli.hotline.models import Call

pytestmark = pytest.mark.django_db

BASE = {"caller_phone": "13912345678", "recording_notice": True}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_correction_from_a_stale_copy_keeps_the_follow_up_recorded_meanwhile(personas, line):
    op = personas.hotline_operator
    call = services.record_call(op, line, BASE | {"ideation": 8, "notes": "想轻生"})
    stale = Call.objects.get(pk=call.pk)  # e.g. the end-of-call form loaded before the follow-up was recorded
    services.complete_follow_up(op, Call.objects.get(pk=call.pk), "回访：安全")
    ended = timezone.now() + datetime.timedelta(minutes=5)
    returned = services.update_call(op, stale, {"ended_at": ended})
    fresh = Call.objects.get(pk=call.pk)
    assert fresh.follow_up_done_at is not None and "[follow-up] 回访：安全" in fresh.notes
    assert fresh.ended_at == ended and fresh.risk == "high"
    assert returned.follow_up_done_at is not None  # the answer shows the row as stored


def test_a_correction_writes_only_the_fields_sent(personas, line):
    op = personas.hotline_operator
    call = services.record_call(op, line, BASE | {"ideation": 2, "notes": "第一稿"})
    stale = Call.objects.get(pk=call.pk)
    Call.objects.filter(pk=call.pk).update(transfer_reference="QD-1")  # someone else's correction meanwhile
    services.update_call(op, stale, {"problem_types": ["family"]})
    fresh = Call.objects.get(pk=call.pk)
    assert (fresh.transfer_reference, fresh.problem_types, fresh.notes) == ("QD-1", ["family"], "第一稿")


def test_raising_the_risk_by_patch_files_the_call_as_a_suicide_risk_call(personas, line):
    client = api(personas.hotline_operator)
    call_id = client.post("/api/v1/hotline/calls/", BASE | {"line": line.pk, "ideation": 1, "category": "general"},
                          format="json").json()["id"]
    r = client.patch(f"/api/v1/hotline/calls/{call_id}/", {"ideation": 8}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["risk"], r.json()["category"]) == ("high", "suicide_risk")
    assert Call.objects.get(pk=call_id).category == "suicide_risk" and r.json()["follow_up_due"]
    # A call filed as a crisis stays a crisis call, as on registration.
    crisis_id = client.post("/api/v1/hotline/calls/", BASE | {"line": line.pk, "category": "crisis"}, format="json").json()["id"]
    assert client.patch(f"/api/v1/hotline/calls/{crisis_id}/", {"ideation": 8}, format="json").json()["category"] == "crisis"


def test_a_refused_correction_writes_nothing(personas, line):
    client = api(personas.hotline_operator)
    call_id = client.post("/api/v1/hotline/calls/", BASE | {"line": line.pk, "ideation": 1}, format="json").json()["id"]
    r = client.patch(f"/api/v1/hotline/calls/{call_id}/", {"ideation": 8, "action": "transfer"}, format="json")
    assert r.status_code == 400 and "transfer_to" in r.json()
    call = Call.objects.get(pk=call_id)
    assert (call.ideation, call.risk, call.action, call.alert_id) == (1, "low", "counselling", None)


@pytest.mark.parametrize("bad", ["²", "١٢"])
def test_unicode_digits_in_call_ids_are_not_found(personas, line, bad):
    client = api(personas.hotline_operator)
    call_id = client.post("/api/v1/hotline/calls/", BASE | {"line": line.pk, "ideation": 8}, format="json").json()["id"]
    assert client.patch(f"/api/v1/hotline/calls/{bad}/", {"ideation": 1}, format="json").status_code == 404
    assert client.get(f"/api/v1/hotline/calls/{bad}/").status_code == 404
    assert client.post(f"/api/v1/hotline/calls/{bad}/follow-up/", {}, format="json").status_code == 404
    r = client.get("/api/v1/hotline/calls/", {"line": bad})  # not an integer: a 400 naming the parameter (schema)
    assert r.status_code == 400 and "line" in r.json()
    assert [c["id"] for c in client.get("/api/v1/hotline/calls/", {"line": line.pk}).json()["results"]] == [call_id]
    assert Call.objects.get().ideation == 8
