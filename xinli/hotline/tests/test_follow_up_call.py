"""Recording the follow-up of a high-risk caller: only high-risk calls have one, and the note is text."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.hotline import services
from xinli.hotline.models import Call
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db

BASE = {"caller_phone": "13912345678", "recording_notice": True}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def follow_up_entries():
    return AuditEntry.objects.filter(object_type="hotline.call", action="update", detail__follow_up="done").count()


def test_a_low_risk_call_has_no_follow_up_to_record(personas, line):
    call = services.record_call(personas.hotline_operator, line, BASE | {"ideation": 1, "notes": "咨询"})
    r = api(personas.hotline_operator).post(f"/api/v1/hotline/calls/{call.pk}/follow-up/", {"note": "x"}, format="json")
    assert r.status_code == 400 and "follow_up" in r.json(), r.content
    call.refresh_from_db()
    assert (call.follow_up_done_at, call.notes) == (None, "咨询") and follow_up_entries() == 0


def test_the_follow_up_page_refuses_a_low_risk_call_too(personas, line):
    call = services.record_call(personas.hotline_operator, line, BASE | {"ideation": 1})
    client = Client()
    login_verified(client, personas.hotline_operator)
    r = client.post(f"/hotline/calls/{call.pk}/follow-up/", {"note": "x"}, follow=True)
    assert r.status_code == 200 and "只有高风险来电才需要记录随访" in r.content.decode()
    assert Call.objects.get().follow_up_done_at is None


@pytest.mark.parametrize("body", [{"note": {"text": "x"}}, {"note": ["x"]}, {"note": "x" * 2001}, {"notes": "x"}, ["x"]])
def test_a_note_that_is_not_text_is_refused_and_nothing_is_written(personas, line, body):
    call = services.record_call(personas.hotline_operator, line, BASE | {"ideation": 8, "notes": "想轻生"})
    r = api(personas.hotline_operator).post(f"/api/v1/hotline/calls/{call.pk}/follow-up/", body, format="json")
    assert r.status_code == 400, r.content
    call.refresh_from_db()
    assert (call.follow_up_done_at, call.notes) == (None, "想轻生") and follow_up_entries() == 0


def test_the_service_refuses_a_note_that_is_not_text(personas, line):
    from django.core.exceptions import ValidationError

    call = services.record_call(personas.hotline_operator, line, BASE | {"ideation": 8})
    with pytest.raises(ValidationError) as exc:
        services.complete_follow_up(personas.hotline_operator, call, {"text": "x"})
    assert "note" in exc.value.message_dict
    assert Call.objects.get().follow_up_done_at is None


def test_a_high_risk_follow_up_with_a_text_note_is_recorded(personas, line):
    call = services.record_call(personas.hotline_operator, line, BASE | {"ideation": 8, "notes": "想轻生"})
    r = api(personas.hotline_operator).post(f"/api/v1/hotline/calls/{call.pk}/follow-up/", {"note": "回访：安全"}, format="json")
    assert r.status_code == 200 and r.json()["follow_up_done_at"]
    assert Call.objects.get().notes == "想轻生\n[follow-up] 回访：安全" and follow_up_entries() == 1
