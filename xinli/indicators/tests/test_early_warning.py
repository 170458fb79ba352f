"""Early warning on real data: a spike of red/orange alerts in a county raises C1 and C3 signals on its day; a quiet
series raises none; analysts confirm or dismiss (with a reason)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.core.policy import Role
from xinli.indicators import warning
from xinli.indicators.models import Signal
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def alerts_on(tree, day, n):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    for i in range(n):
        Alert.objects.create(level="orange", source="manual", cause="x", summary="", subject_key=f"k:{day}:{i}", org_unit=tree.a1v1,
                             org_path=tree.a1v1.path, county_code="370202", owner_unit=tree.a1, created_at=moment,
                             ack_due_at=moment, contact_due_at=moment, last_signal_at=moment)


def test_spike_raises_signals_on_its_day_and_review(tree):
    today = timezone.localdate()
    for back in range(1, 30):
        alerts_on(tree, today - datetime.timedelta(days=back), 1)  # one a day for four weeks
    alerts_on(tree, today, 9)
    y = warning.series(tree.county_a, "alerts_red_orange", today)
    assert y == [1] * 29 + [9]  # 30 days: 29 days back with one alert each, then today with nine
    created = warning.detect(today, units=[tree.county_a, tree.county_b])
    assert {(s.org_unit.code, s.series, s.method) for s in created} >= {("370202000000", "alerts_red_orange", "C1"),
                                                                       ("370202000000", "alerts_red_orange", "C3")}
    assert not any(s.org_unit == tree.county_b for s in created)
    assert warning.detect(today, units=[tree.county_a]) == []  # stored once per day
    sig = Signal.objects.filter(method="C1").first()
    assert (sig.observed, sig.expected) == (9, 1)
    analyst = make_user("analyst", [(tree.county_a, Role.HEALTH_OFFICER)])
    with pytest.raises(ValidationError, match="reason"):
        warning.review(analyst, sig, confirm=False)
    warning.review(analyst, sig, confirm=False, reason="集中上报的历史个案，非新增风险")
    assert Signal.objects.get(pk=sig.pk).state == "dismissed"
    with pytest.raises(PermissionDenied):
        warning.review(make_user("other", [(tree.county_b, Role.HEALTH_OFFICER)]), Signal.objects.filter(method="C3").first(), confirm=True)


def test_a_quiet_county_raises_nothing(tree):
    today = timezone.localdate()
    for back in range(0, 30):
        alerts_on(tree, today - datetime.timedelta(days=back), 2)
    assert warning.detect(today, units=[tree.county_a]) == []


def test_signals_on_the_scorecard(tree):
    from django.test import Client

    from xinli.testing.fixtures import login_verified

    sig = Signal.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, series="alerts_red_orange", method="C1",
                                day=timezone.localdate(), observed=9, expected=1, threshold=3, statistic=16)
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    page = client.get("/indicators/", {"org": tree.city.code}).content.decode()
    assert "红色和橙色预警" in page and f'value="{sig.pk}"' in page  # the series by its name
    client.post(f"/indicators/?org={tree.city.code}", {"signal": sig.pk, "do": "confirm"})
    assert Signal.objects.get().state == "confirmed"
