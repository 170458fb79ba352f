"""Risk assessments (分析研判) and the early-warning page: analysts write an assessment of their unit citing its
signals (validated, audited, all or nothing); a foreign signal or a bad period writes nothing; the page renders for
an analyst with the charts' data and 404s for users without ``indicators.view`` over the unit."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.indicators import warning
from xinli.indicators.models import ExtremeIncident, RiskAssessment, Signal
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

FINDINGS = "近两周红橙预警集中在八大关街道，与开学季相关。"


def signal(unit, day=None, series="alerts_red_orange", method="C1"):
    return Signal.objects.create(org_unit=unit, org_path=unit.path, series=series, method=method, day=day or timezone.localdate(),
                                 observed=9, expected=1, threshold=3, statistic=16)


def test_write_an_assessment_citing_signals(tree):
    analyst = make_user("analyst", [(tree.county_a, Role.PUBLICITY_OFFICER)])  # indicators.view is enough
    s1, s2 = signal(tree.county_a), signal(tree.county_a, series="hotline_crisis:week")
    today = timezone.localdate()
    ra = warning.write_assessment(analyst, org_unit=tree.county_a, period_start=(today - datetime.timedelta(days=13)).isoformat(),
                                  period_end=today.isoformat(), level="moderate", findings=f"  {FINDINGS}  ", measures="加强学校筛查",
                                  signal_ids=[str(s1.pk), s2.pk])
    assert (ra.org_path, ra.level, ra.findings, ra.author, ra.period_end) == (tree.county_a.path, "moderate", FINDINGS, analyst, today)
    assert set(ra.signals.all()) == {s1, s2}
    entry = AuditEntry.objects.get(object_type="indicators.riskassessment")
    assert entry.detail["signals"] == sorted([s1.pk, s2.pk]) and entry.org_path == tree.county_a.path


def test_a_foreign_signal_writes_nothing(tree):
    analyst = make_user("analyst", [(tree.city, Role.HEALTH_OFFICER)])
    mine, foreign = signal(tree.county_a), signal(tree.county_b)
    with pytest.raises(ValidationError) as exc:
        warning.write_assessment(analyst, org_unit=tree.county_a, period_start=timezone.localdate(), period_end=timezone.localdate(),
                                 level="high", findings=FINDINGS, signal_ids=[mine.pk, foreign.pk])
    assert set(exc.value.message_dict) == {"signals"}
    with pytest.raises(ValidationError):
        warning.write_assessment(analyst, org_unit=tree.county_a, period_start=timezone.localdate(), period_end=timezone.localdate(),
                                 level="high", findings=FINDINGS, signal_ids=["abc"])
    assert not RiskAssessment.objects.exists() and not AuditEntry.objects.filter(object_type="indicators.riskassessment").exists()


@pytest.mark.parametrize("change, field", [
    ({"period_start": "2026-02-30"}, "period_start"),
    ({"period_end": "tomorrow"}, "period_end"),
    ({"period_start": "later"}, "period_start"),  # start after end
    ({"period_start": "long"}, "period_end"),  # more than a year
    ({"level": "extreme"}, "level"),
    ({"findings": "  太短了  "}, "findings"),
    ({"findings": "x" * 10001}, "findings"),
    ({"measures": "x" * 10001}, "measures"),
])
def test_bad_fields_are_named_and_nothing_written(tree, change, field):
    analyst = make_user("analyst", [(tree.county_a, Role.HEALTH_OFFICER)])
    today = timezone.localdate()
    values = {"period_start": (today - datetime.timedelta(days=7)).isoformat(), "period_end": (today - datetime.timedelta(days=1)).isoformat(),
              "level": "low", "findings": FINDINGS, "measures": ""}
    values.update(change)
    specials = {"tomorrow": today + datetime.timedelta(days=1), "later": today, "long": today - datetime.timedelta(days=367)}
    values = {k: specials.get(v, v) for k, v in values.items()}
    with pytest.raises(ValidationError) as exc:
        warning.write_assessment(analyst, org_unit=tree.county_a, **values)
    assert set(exc.value.message_dict) == {field}
    label = {"period_start": "From", "period_end": "To", "level": "Risk level", "findings": "Findings", "measures": "Measures"}[field]
    assert exc.value.message_dict[field][0].split(" / ")[-1].startswith(f"{label}: ")  # names the field (English part)
    assert not RiskAssessment.objects.exists()


def test_a_full_year_is_allowed_and_out_of_scope_is_denied(tree):
    analyst = make_user("analyst", [(tree.county_a, Role.HEALTH_OFFICER)])
    end = timezone.localdate()
    warning.write_assessment(analyst, org_unit=tree.county_a, period_start=end - datetime.timedelta(days=365), period_end=end,
                             level="low", findings=FINDINGS)
    for user, unit in ((analyst, tree.county_b), (analyst, tree.city), (make_user("worker", [(tree.county_a, Role.COMMUNITY_WORKER)]), tree.a1)):
        with pytest.raises(PermissionDenied):
            warning.write_assessment(user, org_unit=unit, period_start=end, period_end=end, level="low", findings=FINDINGS)
    assert RiskAssessment.objects.count() == 1


def client_for(user):
    client = Client()
    login_verified(client, user)
    return client


def test_the_page_for_an_analyst(tree):
    sig = signal(tree.county_a, series="screening_positive_rate:week", method="C2")
    other = signal(tree.county_b)
    ExtremeIncident.objects.create(org_unit=tree.a1v1, org_path=tree.a1v1.path, date=timezone.localdate(), kind="suicide", note="某小区")
    client = client_for(make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)]))
    r = client.get("/indicators/warning/", {"org": tree.county_a.code})
    assert r.status_code == 200
    page = r.content.decode()
    assert f'value="{sig.pk}" form="assess-form"' in page and f'value="{other.pk}"' not in page
    assert "某小区" in page and 'name="do" value="incident"' in page  # the register and its form (indicators.manage)
    assert 'src="/static/js/warning-charts.js"' in page and "<script>" not in page.replace('<script id="warning-data" type="application/json">', "")
    data = json.loads(page.split('<script id="warning-data" type="application/json">')[1].split("</script>")[0])
    assert [c["name"] for c in data["series"]] == list(warning.SERIES) and all(len(c["values"]) == 30 for c in data["series"])


def test_the_page_denies_a_village_worker_and_another_county(tree):
    r = client_for(make_user("village", [(tree.a1v1, Role.COMMUNITY_WORKER)])).get("/indicators/warning/", {"org": tree.a1v1.code})
    assert r.status_code == 404
    r = client_for(make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])).get("/indicators/warning/", {"org": tree.county_a.code})
    assert r.status_code == 404


def test_posting_an_assessment(tree):
    mine, foreign = signal(tree.county_a), signal(tree.county_b)
    client = client_for(make_user("officer", [(tree.city, Role.HEALTH_OFFICER)]))
    today = timezone.localdate().isoformat()
    url = f"/indicators/warning/?org={tree.county_a.code}"
    form = {"do": "assess", "period_start": today, "period_end": today, "level": "high", "findings": FINDINGS, "measures": ""}
    r = client.post(url, {**form, "signals": [mine.pk, foreign.pk]})
    assert r.status_code == 200 and not RiskAssessment.objects.exists()
    assert FINDINGS in r.content.decode()  # the text is kept for another try
    r = client.post(url, {**form, "signals": ["1' or 1=1"]})
    assert r.status_code == 200 and not RiskAssessment.objects.exists()
    r = client.post(url, {**form, "signals": [mine.pk]})
    assert r.status_code == 302 and list(RiskAssessment.objects.get().signals.all()) == [mine]
    assert FINDINGS in client.get(url).content.decode()


def test_posting_incidents_and_reviews(tree):
    sig = signal(tree.county_a)
    url = f"/indicators/warning/?org={tree.county_a.code}"
    viewer = client_for(make_user("viewer", [(tree.county_a, Role.PUBLICITY_OFFICER)]))
    incident = {"do": "incident", "date": timezone.localdate().isoformat(), "kind": "suicide", "deaths": "1", "injured": "0", "note": ""}
    assert 'value="incident"' not in viewer.get(url).content.decode()
    assert viewer.post(url, incident).status_code == 404 and not ExtremeIncident.objects.exists()
    assert viewer.post(url, {"do": "dismiss", "signal": sig.pk, "reason": "重复上报"}).status_code == 302
    assert Signal.objects.get().state == "dismissed"
    assert viewer.post(url, {"do": "confirm", "signal": "x"}).status_code == 404
    officer = client_for(make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)]))
    assert officer.post(url, {**incident, "deaths": "1000"}).status_code == 200 and not ExtremeIncident.objects.exists()
    assert officer.post(url, incident).status_code == 302
    assert ExtremeIncident.objects.get().org_unit == tree.county_a
    assert officer.post(url, {"do": "nonsense"}).status_code == 404
