"""KPIs checked against numbers computed by hand, and the call-detail-record import."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.core.policy import Role
from xinli.hotline import services
from xinli.hotline.models import CallDetailRecord
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

# Local time (Asia/Shanghai) unless an offset is given. 11-20: offered 4 (c1..c4), answered 3 after 20, 60 and 20 s,
# c3 abandoned. 11-21: c5 (16:30Z = 00:30 local on the 21st) answered after 40 s, c6 abandoned.
CDR = """call_id,offered_at,answered_at,ended_at
c1,2026-11-20 08:00:00,2026-11-20 08:00:20,2026-11-20 08:10:00
c2,2026-11-20 09:00:00,2026-11-20 09:01:00,2026-11-20 09:30:00
c3,2026-11-20 10:00:00,,2026-11-20 10:02:00
c4,2026-11-20 23:59:30,2026-11-20 23:59:50,2026-11-21 00:20:00
c5,2026-11-20T16:30:00Z,2026-11-20T16:30:40Z,2026-11-20T17:00:00Z
c6,2026-11-21 12:00:00,,2026-11-21 12:01:00
"""


def local(text):
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@pytest.fixture
def supervisor(tree):
    return make_user("hotline_sup", [(tree.county_a, Role.HOTLINE_SUPERVISOR)])


def test_kpis_match_hand_computed_figures(line, supervisor):
    assert services.import_cdr(supervisor, line, CDR).created == 6
    base = {"caller_phone": "13900000000", "recording_notice": True}
    high = services.record_call(supervisor, line, base | {"started_at": local("2026-11-20 08:00:20"), "ideation": 7})
    services.record_call(supervisor, line, base | {"started_at": local("2026-11-20 09:01:00"), "ideation": 9, "has_plan": True})
    services.record_call(supervisor, line, base | {"started_at": local("2026-11-20 23:59:50"), "ideation": 0})
    services.record_call(supervisor, line, base | {"started_at": local("2026-11-21 00:30:40"), "ideation": 1})
    services.complete_follow_up(supervisor, high)

    day1, day2 = services.kpis(line, datetime.date(2026, 11, 20), datetime.date(2026, 11, 21))
    assert (day1.offered, day1.answered, day1.abandoned) == (4, 3, 1)
    assert (day1.answer_rate, day1.abandonment_rate) == (0.75, 0.25)
    assert day1.average_speed_of_answer == pytest.approx(100 / 3)  # (20 + 60 + 20) / 3 s
    assert (day1.calls, day1.high_risk, day1.high_risk_followed_up) == (3, 2, 1)
    assert day1.high_risk_share == pytest.approx(2 / 3) and day1.follow_up_completion == 0.5
    assert (day2.offered, day2.answered, day2.answer_rate, day2.average_speed_of_answer) == (2, 1, 0.5, 40.0)
    assert (day2.calls, day2.high_risk_share, day2.follow_up_completion) == (1, 0.0, None)

    client = APIClient()
    client.force_authenticate(supervisor)
    body = client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", {"from": "2026-11-20", "to": "2026-11-21"}).json()
    assert [d["offered"] for d in body["days"]] == [4, 2] and body["days"][0]["answer_rate"] == 0.75
    assert client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", {"from": "2026-11-22", "to": "2026-11-21"}).status_code == 400
    assert client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", {"from": "yesterday"}).status_code == 400


def test_reimporting_the_same_records_changes_nothing(line, supervisor):
    services.import_cdr(supervisor, line, CDR)
    again = services.import_cdr(supervisor, line, CDR)
    assert (again.created, again.unchanged) == (0, 6) and CallDetailRecord.objects.count() == 6


def test_a_bad_file_reports_every_bad_row_and_writes_nothing(line, supervisor):
    bad = """call_id,offered_at,answered_at,ended_at
ok1,2026-11-20 08:00:00,2026-11-20 08:00:10,
,2026-11-20 08:00:00,,
x2,yesterday,,
x3,2026-11-20 08:00:00,2026-11-20 07:00:00,
ok1,2026-11-20 09:00:00,,
"""
    report = services.import_cdr(supervisor, line, bad)
    assert [n for n, _ in report.errors] == [3, 4, 5, 6]
    assert "call_id" in report.errors[0][1] and "offered_at" in report.errors[1][1] and "answered_at" in report.errors[2][1]
    assert "line 2" in report.errors[3][1] or "第 2 行" in report.errors[3][1]
    assert not CallDetailRecord.objects.exists()
    assert services.import_cdr(supervisor, line, "id,when\n1,2\n").errors[0][0] == 1


def test_cdr_upload_through_the_api(line, supervisor, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = APIClient()
    client.force_authenticate(supervisor)
    r = client.post(f"/api/v1/hotline/lines/{line.pk}/cdr-import/", {"file": SimpleUploadedFile("cdr.csv", CDR.encode())})
    assert r.status_code == 201 and r.json() == {"created": 6, "unchanged": 0}
    r = client.post(f"/api/v1/hotline/lines/{line.pk}/cdr-import/", {"file": SimpleUploadedFile("cdr.csv", b"call_id\n")})
    assert r.status_code == 400 and "file" in r.json()
    # An operator may record calls but not import the telephone system's records.
    operator = APIClient()
    operator.force_authenticate(personas.hotline_operator)
    assert operator.post(f"/api/v1/hotline/lines/{line.pk}/cdr-import/", {"file": SimpleUploadedFile("c.csv", CDR.encode())}).status_code == 403


@pytest.mark.parametrize("params, field", [
    ({"to": "0001-01-01"}, "to"),
    ({"from": "9999-12-31"}, "from"),
    ({"from": "9999-12-25", "to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "to"),
    ({"from": "1999-12-31", "to": "2000-01-05"}, "from"),
    ({"to": "2101-01-01"}, "to"),
])
def test_kpi_dates_outside_2000_to_2100_are_a_bilingual_400(line, supervisor, params, field):
    client = APIClient()
    client.force_authenticate(supervisor)
    r = client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", params)
    assert r.status_code == 400 and "2000-01-01" in r.json()[field][0], r.content


def test_kpi_dates_at_the_edges_of_the_range_work(line, supervisor):
    client = APIClient()
    client.force_authenticate(supervisor)
    r = client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", {"to": "2000-01-02"})  # the default week stops at 2000-01-01
    assert r.status_code == 200 and [d["day"] for d in r.json()["days"]] == ["2000-01-01", "2000-01-02"]
    r = client.get(f"/api/v1/hotline/lines/{line.pk}/kpis/", {"from": "2100-12-31", "to": "2100-12-31"})
    assert r.status_code == 200 and len(r.json()["days"]) == 1


def test_the_kpi_service_refuses_extreme_dates(line):
    from django.core.exceptions import ValidationError

    for start, end in ((datetime.date.min, datetime.date.min), (datetime.date.max, datetime.date.max)):
        with pytest.raises(ValidationError):
            services.kpis(line, start, end)


@pytest.mark.parametrize("query", ["to=0001-01-01", "from=9999-12-31", "from=9999-12-31&to=9999-12-31", "from=x"])
def test_the_kpi_page_explains_extreme_dates_and_shows_the_last_week(line, supervisor, client, query):
    from xinli.testing.fixtures import login_verified

    login_verified(client, supervisor)
    r = client.get(f"/hotline/lines/{line.pk}/?{query}")
    assert r.status_code == 200
    page = r.content.decode()
    assert "“年-月-日”" in page or "2000-01-01" in page
    assert timezone.localdate().isoformat() in page or timezone.localdate().strftime("%m-%d") in page


def test_cdr_with_carriage_return_line_endings_is_imported(line, supervisor):
    report = services.import_cdr(supervisor, line, CDR.replace("\n", "\r"))
    assert report.ok and report.created == 6 and CallDetailRecord.objects.count() == 6


def test_a_cdr_field_over_the_csv_limit_is_an_error_naming_the_line(line, supervisor):
    huge = CDR + "c7," + "x" * 140_000 + ",,\n"
    report = services.import_cdr(supervisor, line, huge)
    assert not report.ok and report.errors[0][0] == 8 and "CSV" in report.errors[0][1]
    assert not CallDetailRecord.objects.exists()
    client = APIClient()
    client.force_authenticate(supervisor)
    r = client.post(f"/api/v1/hotline/lines/{line.pk}/cdr-import/", huge, content_type="text/csv")
    assert r.status_code == 400 and r.json()["file"][0].startswith("line 8: ")
    assert not CallDetailRecord.objects.exists()


def test_a_concurrent_import_of_the_same_records_is_not_an_error(line, supervisor, monkeypatch):
    """Another import commits c1 after this one looked for existing records and before it inserts: the record is
    left as it is, every record exists once, and nothing fails."""
    manager = CallDetailRecord.objects
    real = manager.bulk_create

    def other_import_first(objs, **kwargs):
        CallDetailRecord(line=line, external_id="c1", offered_at=local("2026-11-20 08:00:00"), org_path=line.org_path).save()
        return real(objs, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", other_import_first)
    client = APIClient()
    client.force_authenticate(supervisor)
    r = client.post(f"/api/v1/hotline/lines/{line.pk}/cdr-import/", CDR, content_type="text/csv")
    assert r.status_code == 201, r.content
    assert r.json()["created"] + r.json()["unchanged"] == 6
    assert sorted(CallDetailRecord.objects.values_list("external_id", flat=True)) == ["c1", "c2", "c3", "c4", "c5", "c6"]
