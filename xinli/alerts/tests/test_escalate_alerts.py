"""The sweeper: overdue alerts climb one team level per missed deadline, exactly once per deadline, also when two
sweepers race (PostgreSQL) or a sweeper dies midway."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from xinli.alerts import services
from xinli.alerts.models import Alert, AlertEvent, Notification

pytestmark = pytest.mark.django_db

MIN = datetime.timedelta(minutes=1)


def raise_red(people, n=1):
    """``n`` red alerts (emergency reports) in village A1v1, owned by the township team: the first about a known
    resident, the others about callers nobody has identified (never merged)."""
    return [services.raise_alert(services.Signal(level="red", source="emergency", cause="emergency", summary="x",
                                                 org_unit=people.in_a1v1.org_unit, person=people.in_a1v1 if i == 0 else None))
            for i in range(n)]


def test_unacknowledged_alert_climbs_township_county_city_then_stays_at_the_top(people, teams, tree):
    (alert,) = raise_red(people)
    t0 = alert.ack_due_at
    assert alert.owner_unit == tree.a1
    assert services.escalate_overdue(now=t0 - datetime.timedelta(seconds=1)) == 0  # not yet due
    # Deadline passed: the county team owns it, with a fresh 15-minute deadline from the escalation.
    assert services.escalate_overdue(now=t0 + MIN) == 1
    alert.refresh_from_db()
    assert (alert.owner_unit, alert.state, alert.escalations) == (tree.county_a, "escalated", 1)
    assert alert.ack_due_at == t0 + MIN + 15 * MIN
    assert Notification.objects.filter(alert=alert, kind="alert_escalated", recipient=teams["county"]).count() == 1
    # A sweep at the same moment again changes nothing.
    assert services.escalate_overdue(now=t0 + MIN) == 0
    # Next deadline missed: the city. Then there is no higher team: it stays with the city and reminds it again.
    assert services.escalate_overdue(now=t0 + 17 * MIN) == 1
    alert.refresh_from_db()
    assert (alert.owner_unit, alert.escalations) == (tree.city, 2)
    assert services.escalate_overdue(now=t0 + 33 * MIN) == 1
    alert.refresh_from_db()
    assert (alert.owner_unit, alert.escalations) == (tree.city, 3)
    assert Notification.objects.filter(alert=alert, kind="alert_escalated", recipient=teams["city"]).count() == 2
    hops = list(alert.events.filter(kind="escalated").values_list("from_unit__code", "to_unit__code"))
    assert hops == [("370202001000", "370202000000"), ("370202000000", "370200000000"), ("370200000000", "370200000000")]


def test_acknowledged_alert_never_escalates(people, teams):
    (alert,) = raise_red(people)
    services.acknowledge(teams["township"], alert.pk)
    assert services.escalate_overdue(now=alert.ack_due_at + 60 * MIN) == 0
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.escalations == 0


def test_a_missed_run_only_delays_escalation(people, teams):
    """The worker was down for an hour: the next sweep escalates every overdue alert once (not once per missed
    deadline), and the next deadline counts from that sweep."""
    alerts = raise_red(people, 3)
    now = alerts[0].ack_due_at + 60 * MIN
    assert services.escalate_overdue(now=now) == 3
    assert sorted(Alert.objects.values_list("escalations", flat=True)) == [1, 1, 1]
    assert set(Alert.objects.values_list("ack_due_at", flat=True)) == {now + 15 * MIN}


def test_a_sweeper_dying_midway_loses_nothing_and_repeats_nothing(people, teams, monkeypatch):
    alerts = raise_red(people, 4)
    now = max(a.ack_due_at for a in alerts) + MIN
    real_notify, calls = services.notify, []

    def dies_on_the_third(users, kind, alert=None, params=None):
        calls.append(alert.pk)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real_notify(users, kind, alert, params)

    monkeypatch.setattr(services, "notify", dies_on_the_third)
    with pytest.raises(SystemExit):
        services.escalate_overdue(now=now)
    # Two committed; the third rolled back with its transaction; the fourth untouched.
    assert sorted(Alert.objects.values_list("escalations", flat=True)) == [0, 0, 1, 1]
    monkeypatch.setattr(services, "notify", real_notify)
    assert services.escalate_overdue(now=now) == 2
    assert sorted(Alert.objects.values_list("escalations", flat=True)) == [1, 1, 1, 1]
    assert AlertEvent.objects.filter(kind="escalated").count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_racing_escalate_each_alert_exactly_once(people, teams):
    alerts = raise_red(people, 30)
    now = max(a.ack_due_at for a in alerts) + MIN
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait()
            counts.append(services.escalate_overdue(now=now, batch=7))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(counts) == 30
    assert list(Alert.objects.values_list("escalations", flat=True).distinct()) == [1]
    assert AlertEvent.objects.filter(kind="escalated").count() == 30
    # Each escalation told the county team (team_county_a and the crisis_team persona) once.
    assert Notification.objects.filter(kind="alert_escalated").count() == 30 * 2
    assert Notification.objects.filter(kind="alert_escalated", recipient=teams["county"]).values("alert").distinct().count() == 30


def test_periodic_sweep_runs_every_30_seconds(people, teams, monkeypatch):
    from xinli.alerts import tasks

    scheduled = []
    monkeypatch.setattr(tasks.sweep_alerts_again, "schedule", lambda **kw: scheduled.append(kw))
    (alert,) = raise_red(people)
    Alert.objects.filter(pk=alert.pk).update(ack_due_at=timezone.now() - MIN)
    assert tasks.sweep_alerts.call_local() == 1
    assert scheduled == [{"delay": 30}]
    assert tasks.sweep_alerts_again.call_local() == 0


def test_a_zero_minute_deadline_policy_is_refused(tree):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from xinli.alerts.models import DeadlinePolicy

    policy = DeadlinePolicy(org_unit=tree.county_a, level="red", ack_minutes=0, contact_minutes=60)
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert "ack_minutes" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlinePolicy.objects.create(org_unit=tree.county_a, level="red", ack_minutes=0, contact_minutes=60)
    DeadlinePolicy(org_unit=tree.county_a, level="red", ack_minutes=1, contact_minutes=60).full_clean()


def test_one_sweep_escalates_an_alert_at_most_once_even_if_the_new_deadline_has_passed(people, teams, monkeypatch):
    """A deadline that is already over when it is set (a zero-minute policy from before the rule) must not make one
    sweep escalate the same alert again and again up the tree; the next sweep takes the next step."""
    (alert,) = raise_red(people)
    monkeypatch.setattr(services, "deadlines", lambda level, unit: (datetime.timedelta(0), datetime.timedelta(0)))
    now = alert.ack_due_at + MIN
    assert services.escalate_overdue(now=now, max_alerts=20) == 1
    alert.refresh_from_db()
    assert (alert.escalations, alert.ack_due_at) == (1, now)
    assert AlertEvent.objects.filter(kind="escalated").count() == 1
    assert services.escalate_overdue(now=now + MIN, max_alerts=20) == 1
    assert Alert.objects.get().escalations == 2

