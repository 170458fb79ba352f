"""Rules turn results into alerts with the right level, owner team, deadlines and notifications; repeated signals
merge; the alert commits with the assessment or not at all."""

import datetime

import pytest
from django.core import mail

from xinli.alerts import services
from xinli.alerts.models import Alert, DeadlinePolicy, Delivery, Notification
from xinli.core.models import AuditEntry
from xinli.screening.models import Assessment
from xinli.screening.services import administer

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 2]  # total 2 (minimal), item 9 = 2: critical, orange
PHQ9_SEVERE = [3, 3, 3, 3, 3, 3, 3, 0, 0]  # total 21: severe band, no critical item


def _minutes(delta: datetime.timedelta) -> float:
    return delta.total_seconds() / 60


def test_phq9_item9_raises_an_orange_alert_owned_by_the_nearest_team(people, personas, teams, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # deliveries are queued when the transaction commits
        a, _ = administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    assert Delivery.objects.count() == 2
    alert = Alert.objects.get()
    # The village has no crisis team: the township A1's team owns it. Orange: acknowledge in 4 h, contact in 24 h.
    assert (alert.level, alert.source, alert.cause, alert.state) == ("orange", "critical_item", "phq9:item9", "new")
    assert alert.person == people.in_a1v1 and alert.assessment == a and alert.org_path == people.in_a1v1.org_path
    assert alert.owner_unit.code == "370202001000"
    assert _minutes(alert.ack_due_at - alert.created_at) == 240
    assert _minutes(alert.contact_due_at - alert.created_at) == 24 * 60
    assert alert.summary == "PHQ-9 item 9 = 2"  # instrument and item only: no wording, no name
    # The township team is told, in the inbox and by e-mail and SMS (it has both addresses).
    note = Notification.objects.get()
    assert note.recipient == teams["township"] and note.alert == alert and note.kind == "alert_raised"
    assert sorted(Delivery.objects.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]
    assert len(mail.outbox) == 1 and f"#{alert.pk}" in mail.outbox[0].body
    assert people.in_a1v1.name not in mail.outbox[0].body
    assert list(alert.events.values_list("kind", flat=True)) == ["raised"]


def test_severe_band_is_orange_and_moderate_campaign_screen_is_yellow(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=PHQ9_SEVERE, person=people.in_a1v1)
    alert = Alert.objects.get()
    assert (alert.level, alert.source, alert.cause) == ("orange", "severe_band", "phq9:severe_band")
    # A moderate result outside a campaign raises nothing.
    administer(personas.counsellor, scale="phq9", answers=[2, 2, 2, 2, 1, 1, 0, 0, 0], person=people.in_a1v2)
    assert Alert.objects.count() == 1


def test_anonymous_self_test_raises_no_alert(teams):
    administer(None, scale="phq9", answers=PHQ9_ITEM9, mode="self")
    assert Assessment.objects.count() == 1 and not Alert.objects.exists()


def test_repeated_signal_merges_and_a_more_urgent_one_upgrades(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    alert = Alert.objects.get()
    assert alert.merged == 1 and alert.level == "orange"
    # A red signal for the same person and cause: the open alert becomes red with the red deadline (15 min).
    before = alert.ack_due_at
    services.raise_alert(services.Signal(level="red", source="manual", cause="phq9:item9", summary="plan stated",
                                         org_unit=people.in_a1v1.org_unit, person=people.in_a1v1))
    alert.refresh_from_db()
    assert (Alert.objects.count(), alert.level, alert.merged) == (1, "red", 2)
    assert alert.ack_due_at < before and _minutes(alert.ack_due_at - alert.last_signal_at) == pytest.approx(15, abs=0.01)
    assert list(alert.events.values_list("kind", flat=True)) == ["raised", "merged", "merged"]
    assert Notification.objects.filter(kind="alert_upgraded").count() == 1
    # Another person, or another cause, is another alert.
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v2)
    administer(personas.counsellor, scale="phq9", answers=PHQ9_SEVERE, person=people.in_a1v1)
    assert Alert.objects.count() == 3


def test_a_closed_alert_is_not_reopened_by_a_new_signal(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    first = Alert.objects.get()
    services.acknowledge(teams["township"], first.pk)
    services.close(teams["township"], first.pk, outcome="contacted_safe")
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    assert Alert.objects.count() == 2 and Alert.objects.exclude(pk=first.pk).get().state == "new"


def test_region_policy_overrides_the_default_deadlines(people, personas, teams, tree):
    DeadlinePolicy.objects.create(org_unit=tree.county_a, level="orange", ack_minutes=60, contact_minutes=600)
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    alert = Alert.objects.get()
    assert _minutes(alert.ack_due_at - alert.created_at) == 60 and _minutes(alert.contact_due_at - alert.created_at) == 600


def test_alert_and_assessment_commit_together_or_not_at_all(people, personas, teams, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("alert store down")

    monkeypatch.setattr(services, "_create", broken)
    with pytest.raises(RuntimeError):
        administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    assert not Assessment.objects.exists() and not Alert.objects.exists()
    assert not AuditEntry.objects.filter(object_type="screening.assessment").exists()


class BrokenSms:
    def send(self, number, text):
        raise ConnectionError("SMS gateway unreachable")


def test_a_failing_sms_gateway_never_blocks_the_alert(people, personas, teams, settings, django_capture_on_commit_callbacks):
    settings.XINLI_SMS_BACKEND = "xinli.alerts.tests.test_raise_alert.BrokenSms"
    with django_capture_on_commit_callbacks(execute=True):
        administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9, person=people.in_a1v1)
    assert Alert.objects.count() == 1 and Assessment.objects.count() == 1
    sms = Delivery.objects.get(channel="sms")
    assert sms.status in ("retrying", "failed") and "SMS gateway unreachable" in sms.last_error and sms.attempts == 1
    assert Delivery.objects.get(channel="email").status == "sent"
    # The last attempt marks it failed, which the duty console shows to supervisors.
    with pytest.raises(ConnectionError):
        services.deliver(sms.pk, final=True)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", 2)
    from xinli.alerts.selectors import failed_deliveries

    assert list(failed_deliveries(teams["county"])) == [sms]
    assert list(failed_deliveries(personas.village_worker_2)) == []


def test_campaign_positive_screen_alerts_the_campaign_staff(tree, teams):
    import datetime as dt

    from django.utils import timezone

    from xinli.core.policy import Role
    from xinli.screening import campaigns
    from xinli.testing.fixtures import make_user

    psy = make_user("school_psy", [(tree.a1, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="普查", kind="school", institution="一中", org_unit=tree.a1, scales=["phq9"],
                                  opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
                                  groups=[{"grade": "初二", "name": "1班", "participants": [{"label": "甲", "minor_under_14": False}]}])
    p = c.participants.get()
    campaigns.submit(p.code, {"phq9": {str(i): v for i, v in enumerate([2, 2, 2, 2, 1, 1, 0, 0, 0], 1)}})
    alert = Alert.objects.get()
    assert (alert.level, alert.source, alert.campaign, alert.participant, alert.person) == ("yellow", "campaign_positive", c, p, None)
    assert alert.subject_key == f"participant:{p.pk}"
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"team_a1", "school_psy"}
    from xinli.alerts.selectors import visible_alerts

    assert list(visible_alerts(psy)) == [alert]


@pytest.mark.parametrize("risk, level", [(0, None), (2, None), (3, "orange"), (4, "red"), (5, "red")])
def test_smd_risk_levels_raise_the_declared_alert(people, teams, risk, level):
    from xinli.alerts import raise_for_smd_risk

    alert = raise_for_smd_risk(people.in_a1v1, risk)
    assert (alert.level if alert else None) == level
    assert Alert.objects.count() == (1 if level else 0)
    if alert:
        assert (alert.source, alert.cause, alert.owner_unit.code) == ("smd_risk", "smd:risk", "370202001000")


def test_smd_risk_level_out_of_range_is_refused(people):
    from django.core.exceptions import ValidationError

    from xinli.alerts import raise_for_smd_risk

    with pytest.raises(ValidationError, match="risk_level|Risk level"):
        raise_for_smd_risk(people.in_a1v1, 6)
