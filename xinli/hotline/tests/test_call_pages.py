"""The hotline pages: a counsellor records a call in the browser form, sees the earlier calls of a repeat caller,
hands over open high-risk callers; the supervisor reads KPIs and uploads call-detail records."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xinli.core.policy import Role
from xinli.hotline.models import Call, CallDetailRecord
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

FORM = {"caller_phone": "13912345678", "recording_notice": "on", "kind": "normal", "category": "general",
        "ideation": "8", "hopelessness": "5", "has_plan": "on", "action": "counselling", "transfer_to": "",
        "notes": "失恋后想轻生", "follow_up_plan": "明早回访", "ended": "on"}


@pytest.fixture
def operator(personas, client):
    login_verified(client, personas.hotline_operator)
    return client


def test_counsellor_records_a_high_risk_call_from_the_form(operator, line):
    r = operator.post("/hotline/new/", FORM | {"line": line.pk})
    call = Call.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/hotline/calls/{call.pk}/"
    assert (call.risk, call.notes, call.ended_at is not None) == ("imminent", "失恋后想轻生", True)
    page = operator.get(r["Location"]).content.decode()
    assert "失恋后想轻生" in page and f"/alerts/{call.alert_id}/" in page
    # The handover list shows the caller until the follow-up is recorded.
    listing = operator.get("/hotline/").content.decode()
    assert f"/hotline/calls/{call.pk}/" in listing.split('id="handover"')[1].split("</section>")[0]
    operator.post("/hotline/handover/")
    call.refresh_from_db()
    assert call.handed_over_at is not None
    operator.post(f"/hotline/calls/{call.pk}/follow-up/", {"note": "已回访"})
    call.refresh_from_db()
    assert call.follow_up_done_at is not None


def test_form_errors_are_shown_and_nothing_is_saved(operator, line):
    r = operator.post("/hotline/new/", FORM | {"line": line.pk, "recording_notice": "", "ideation": "12"})
    assert r.status_code == 400 and not Call.objects.exists()
    page = r.content.decode()
    assert "ideation" in page or "自杀意念" in page


def test_repeat_caller_panel_shows_earlier_calls(operator, line):
    operator.post("/hotline/new/", FORM | {"line": line.pk, "notes": "第一次：失业"})
    panel = operator.get("/hotline/previous/", {"caller_phone": "13912345678"}, HTTP_HX_REQUEST="true").content.decode()
    assert "第一次：失业" in panel
    assert "第一次" not in operator.get("/hotline/previous/", {"caller_phone": "13800000000"}).content.decode()


def test_supervisor_uploads_cdr_and_sees_kpis(line, tree, client):
    sup = make_user("sup", [(tree.county_a, Role.HOTLINE_SUPERVISOR)])
    login_verified(client, sup)
    csv = b"call_id,offered_at,answered_at,ended_at\nk1,2026-11-20 08:00:00,2026-11-20 08:00:30,\nk2,2026-11-20 09:00:00,,\n"
    r = client.post(f"/hotline/lines/{line.pk}/?from=2026-11-20&to=2026-11-20", {"file": SimpleUploadedFile("c.csv", csv)})
    assert r.status_code == 302 and CallDetailRecord.objects.count() == 2
    page = client.get(f"/hotline/lines/{line.pk}/", {"from": "2026-11-20", "to": "2026-11-20"}).content.decode()
    assert "50%" in page and "<td>30</td>" in page  # answer rate 1/2; speed of answer 30 s
    bad = client.post(f"/hotline/lines/{line.pk}/", {"file": SimpleUploadedFile("c.csv", b"nope\n")})
    assert bad.status_code == 400 and CallDetailRecord.objects.count() == 2


def test_hotline_pages_are_hidden_from_others(personas, line, client):
    login_verified(client, personas.village_worker_1)
    assert client.get("/hotline/").status_code == 404
    assert client.get("/hotline/new/").status_code == 404
    assert client.get(f"/hotline/lines/{line.pk}/").status_code == 404


def test_duty_console_shows_calls_in_progress_high_risk_first(line, tree, personas, client):
    from django.utils import timezone

    from xinli.hotline.services import record_call

    sup = make_user("sup2", [(tree.county_a, Role.HOTLINE_SUPERVISOR)])
    now = timezone.now()
    base = {"caller_phone": "13900000000", "recording_notice": True, "answered_at": now}
    low = record_call(personas.hotline_operator, line, base | {"started_at": now - timezone.timedelta(minutes=9)})
    high = record_call(personas.hotline_operator, line, base | {"started_at": now, "ideation": 9})
    record_call(personas.hotline_operator, line, base | {"started_at": now, "ended_at": now})  # ended: not shown
    login_verified(client, sup)
    panel = client.get("/alerts/console/", HTTP_HX_REQUEST="true").content.decode()
    shown = [int(part.split("/")[0]) for part in panel.split("/hotline/calls/")[1:]]
    assert shown == [high.pk, low.pk]


def test_supervisor_adds_a_line_from_the_hotline_page(tree, client):
    from xinli.hotline.models import Line

    sup = make_user("sup3", [(tree.city, Role.HOTLINE_SUPERVISOR)])
    login_verified(client, sup)
    assert 'action="/hotline/lines/new/"' in client.get("/hotline/").content.decode()
    r = client.post("/hotline/lines/new/", {"name": "青岛市心理援助热线", "number": "12356", "org_unit": tree.city.pk,
                                            "hours_per_day": "24", "seats": "3"})
    line = Line.objects.get()
    assert r["Location"] == f"/hotline/lines/{line.pk}/" and line.seats.count() == 3
    client.post("/hotline/lines/new/", {"name": "", "org_unit": tree.city.pk, "seats": "2"})
    assert Line.objects.count() == 1


def test_the_hotline_page_title_is_only_the_title(tree, client):
    sup = make_user("sup4", [(tree.city, Role.HOTLINE_SUPERVISOR)])
    login_verified(client, sup)
    page = client.get("/hotline/").content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and ("Hotline" in title or "热线" in title)
    assert page.count('action="/hotline/lines/new/"') == 1  # the new-line form, once, in the page body
