"""Registering calls through the API: triage, alerts, transfers, repeat callers, handover, bad input, scope."""

import pytest
from rest_framework.test import APIClient

from xinli.alerts.models import Alert
from xinli.core.models import AuditEntry
from xinli.hotline.models import Call

pytestmark = pytest.mark.django_db

CALLER = "13912345678"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user, hotline, **fields):
    body = {"line": hotline.pk, "caller_phone": CALLER, "recording_notice": True} | fields
    return api(user).post("/api/v1/hotline/calls/", body, format="json")


def test_a_low_risk_call_is_recorded_without_an_alert(personas, line):
    r = post(personas.hotline_operator, line, category="general", problem_types=["family"], ideation=1,
             notes="与父母冲突")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["risk"], body["alert"], body["follow_up_due"]) == ("low", None, None)
    call = Call.objects.get()
    assert call.notes == "与父母冲突" and call.counsellor == personas.hotline_operator and call.org_path == line.org_path
    assert not Alert.objects.exists()


def test_a_high_risk_call_raises_a_red_alert_and_gets_a_follow_up_date(personas, line):
    r = post(personas.hotline_operator, line, ideation=7, hopelessness=8, problem_types=["emotion"])
    body = r.json()
    assert (body["risk"], body["category"]) == ("high", "suicide_risk")
    assert body["follow_up_due"] and body["follow_up_open"] is True
    alert = Alert.objects.get()
    assert (alert.level, alert.source, alert.person) == ("red", "hotline", None)
    assert alert.org_unit == line.org_unit and body["alert"] == alert.pk
    assert CALLER not in alert.summary
    # The same caller again at high risk: merged into the open alert, not a second one.
    post(personas.hotline_operator, line, ideation=9, has_plan=True)
    assert Alert.objects.count() == 1 and Alert.objects.get().merged == 1


def test_an_emergency_transfer_is_recorded_with_time_and_reference(personas, line):
    r = post(personas.hotline_operator, line, ideation=9, has_plan=True, has_means=True, intoxicated=True,
             action="transfer", transfer_to="120", transfer_reference="QD-120-0042")
    body = r.json()
    assert (body["risk"], body["transfer_to"], body["transfer_reference"]) == ("imminent", "120", "QD-120-0042")
    assert body["transfer_at"] is not None


def test_a_repeat_caller_is_recognised_by_number(personas, line):
    post(personas.hotline_operator, line, notes="第一次来电：失业")
    post(personas.hotline_operator, line, notes="第二次来电")
    post(personas.hotline_operator, line, caller_phone="13800000000")
    rows = api(personas.hotline_operator).get("/api/v1/hotline/calls/previous/", {"phone": "139 1234 5678"}).json()
    assert [r["notes"] for r in rows] == ["第二次来电", "第一次来电：失业"]
    assert AuditEntry.objects.filter(object_type="hotline.call", object_id="previous", action="search").exists()
    # The number is stored encrypted: the blind index matches, the clear number is nowhere in the row.
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT caller_phone FROM hotline_call")
        assert all(CALLER not in row[0] for row in cur.fetchall())


def test_end_of_call_update_rescoring_raises_the_alert(personas, line):
    call_id = post(personas.hotline_operator, line, ideation=2).json()["id"]
    assert not Alert.objects.exists()
    r = api(personas.hotline_operator).patch(f"/api/v1/hotline/calls/{call_id}/", {"ideation": 7, "ended_at": "2099-01-01T00:00:00+08:00"}, format="json")
    assert r.status_code == 200 and r.json()["risk"] == "high"
    assert Alert.objects.get().level == "red"
    r = api(personas.hotline_operator).patch(f"/api/v1/hotline/calls/{call_id}/", {"caller_phone": "1"}, format="json")
    assert r.status_code == 400


def test_handover_list_and_follow_up(personas, line):
    high = post(personas.hotline_operator, line, ideation=8).json()["id"]
    post(personas.hotline_operator, line, ideation=1, caller_phone="13800000001")
    client = api(personas.hotline_operator)
    assert [c["id"] for c in client.get("/api/v1/hotline/calls/", {"open_high_risk": "1"}).json()["results"]] == [high]
    r = client.post(f"/api/v1/hotline/calls/{high}/follow-up/", {"note": "回访：情绪稳定"}, format="json")
    assert r.status_code == 200 and r.json()["follow_up_done_at"]
    assert client.get("/api/v1/hotline/calls/", {"open_high_risk": "1"}).json()["results"] == []
    assert client.post(f"/api/v1/hotline/calls/{high}/follow-up/").status_code == 400


@pytest.mark.parametrize("fields, field", [
    ({"recording_notice": False}, "recording_notice"),
    ({"ideation": 11}, "ideation"),
    ({"hopelessness": -1}, "hopelessness"),
    ({"action": "transfer"}, "transfer_to"),
    ({"transfer_to": "110"}, "action"),
    ({"problem_types": ["ghosts"]}, "problem_types"),
    ({"started_at": "2026-11-25T10:00:00+08:00", "answered_at": "2026-11-25T09:00:00+08:00"}, "answered_at"),
    ({"category": "chat"}, "category"),
    ({"line": 999999}, "line"),
    ({"seat": 999999}, "seat"),
    ({"colour": "red"}, "colour"),
])
def test_bad_calls_are_refused_naming_the_field(personas, line, fields, field):
    r = post(personas.hotline_operator, line, **fields)
    assert r.status_code == 400 and field in r.json(), r.content
    assert not Call.objects.exists() and not Alert.objects.exists()


def test_lines_and_calls_outside_the_region_are_not_found(personas, line, tree):
    from xinli.hotline.models import Line

    other = Line.objects.create(name="市北区热线", org_unit=tree.county_b)
    assert post(personas.hotline_operator, other).status_code == 400  # "line: not found in your area"
    call_id = post(personas.hotline_operator, line).json()["id"]
    for user in (personas.village_worker_1, personas.county_officer, personas.counsellor):
        assert api(user).get(f"/api/v1/hotline/calls/{call_id}/").status_code == 404
        assert api(user).get(f"/api/v1/hotline/lines/{line.pk}/kpis/").status_code == 404


def test_supervisor_creates_a_line_with_seats(tree, personas):
    from xinli.core.policy import Role
    from xinli.hotline.models import Line
    from xinli.testing.fixtures import make_user

    sup = make_user("line_sup", [(tree.city, Role.HOTLINE_SUPERVISOR)])
    r = api(sup).post("/api/v1/hotline/lines/", {"name": "青岛市心理援助热线", "org_unit": tree.city.pk, "seats": 4,
                                                 "hours_per_day": 24}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["seats"] == ["01", "02", "03", "04"] and r.json()["number"] == "12356"
    assert api(sup).post("/api/v1/hotline/lines/", {"name": "x", "org_unit": tree.city.pk, "hours_per_day": 30}, format="json").status_code == 400
    assert api(sup).post("/api/v1/hotline/lines/", {"name": "x", "org_unit": tree.city.pk, "number": "12-356"}, format="json").status_code == 400
    # An operator cannot create lines; nor can a supervisor outside their region.
    assert api(personas.hotline_operator).post("/api/v1/hotline/lines/", {"name": "y", "org_unit": tree.county_a.pk}, format="json").status_code == 403
    county_sup = make_user("county_sup", [(tree.county_b, Role.HOTLINE_SUPERVISOR)])
    assert api(county_sup).post("/api/v1/hotline/lines/", {"name": "y", "org_unit": tree.county_a.pk}, format="json").status_code == 403
    assert Line.objects.count() == 1


def test_call_records_younger_than_three_years_cannot_be_deleted(personas, line):
    import datetime

    from django.db import DatabaseError, transaction
    from django.utils import timezone

    old = timezone.now() - datetime.timedelta(days=3 * 366 + 1)
    post(personas.hotline_operator, line, started_at=old.isoformat())
    post(personas.hotline_operator, line, ideation=1)
    recent = Call.objects.order_by("-started_at").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Call.objects.filter(pk=recent.pk).delete()
    assert Call.objects.count() == 2
    Call.objects.filter(started_at__lt=timezone.now() - datetime.timedelta(days=3 * 366)).delete()  # past retention: allowed
    assert list(Call.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_finished_call_registered_afterwards_started_when_it_was_answered(personas, line):
    import datetime

    r = post(personas.hotline_operator, line, answered_at="2026-11-20T08:00:20+08:00", ended_at="2026-11-20T08:30:00+08:00")
    assert r.status_code == 201, r.content
    call = Call.objects.get()
    assert call.started_at == call.answered_at == datetime.datetime(2026, 11, 20, 0, 0, 20, tzinfo=datetime.UTC)
    # An explicit start after the answer is still refused.
    r = post(personas.hotline_operator, line, started_at="2026-11-20T09:00:00+08:00", answered_at="2026-11-20T08:00:20+08:00")
    assert r.status_code == 400 and "answered_at" in r.json()
