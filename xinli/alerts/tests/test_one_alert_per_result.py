"""One result raises one alert: an answer that meets several rules (PHQ-9 item 9 in a severe result, several
critical items of C-SSRS) opens a single alert at the most urgent level, the other rules recorded on it; the result
page says that an alert was raised and which team must act."""

import pytest

from xinli.alerts import services
from xinli.alerts.models import Alert, Notification
from xinli.alerts.selectors import alert_for_assessment
from xinli.screening.models import Assessment
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db

PHQ9_ITEM9_SEVERE = [2, 2, 2, 2, 2, 2, 2, 2, 2]  # total 18 (moderately severe, severity 3) and item 9 = 2


def test_item9_in_a_severe_result_raises_one_orange_alert(people, personas, teams):
    a, _ = administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9_SEVERE, person=people.in_a1v1)
    alert = Alert.objects.get()  # today: two orange alerts, one per rule
    # The critical item leads (rule order breaks the tie between two orange signals); the band is recorded on it.
    assert (alert.level, alert.source, alert.cause, alert.assessment) == ("orange", "critical_item", "phq9:item9", a)
    events = list(alert.events.values_list("kind", "detail"))
    assert [k for k, _ in events] == ["raised", "merged"]
    assert events[1][1]["source"] == "severe_band" and events[1][1]["assessment"] == a.pk
    # The team is told once.
    assert Notification.objects.filter(recipient=teams["township"]).count() == 1


def test_the_most_urgent_signal_of_a_result_sets_the_level(people, personas, teams):
    person = people.in_a1v1
    a, _ = administer(personas.counsellor, scale="phq9", answers=[0] * 9, person=person)
    signals = [
        services.Signal(level="orange", source="severe_band", cause="phq9:severe_band", summary="band", org_unit=person.org_unit,
                        person=person, assessment=a),
        services.Signal(level="red", source="critical_item", cause="phq9:item9", summary="item", org_unit=person.org_unit,
                        person=person, assessment=a),
    ]
    alert = services.raise_one(signals)
    assert Alert.objects.count() == 1
    assert (alert.level, alert.cause, alert.merged) == ("red", "phq9:item9", 1)


def test_a_later_result_still_merges_into_the_open_alert_of_its_cause(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9_SEVERE, person=people.in_a1v1)
    b, _ = administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9_SEVERE, person=people.in_a1v1)
    alert = Alert.objects.get()
    assert alert.merged == 3  # the second result's two signals went to the open alert of the first
    assert alert_for_assessment(personas.counsellor, b) == (alert, True)  # found for b's page; the reporter follows it


def test_result_page_says_an_alert_was_raised_and_to_which_team(client, people, personas, teams):
    login_verified(client, personas.counsellor)
    person = people.in_a1v1
    a, _ = administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9_SEVERE, person=person)
    alert = Alert.objects.get()
    html = client.get(f"/assessments/{a.pk}/").content.decode()
    # In plain Chinese: the level, the owner team's unit and the deadline to acknowledge.
    assert 'id="alert-raised"' in html
    assert f"已向{alert.owner_unit.name}的危机干预队伍发出橙色预警" in html
    # A result that raised nothing says nothing about alerts.
    quiet, _ = administer(personas.counsellor, scale="phq9", answers=[0] * 9, person=person)
    assert 'id="alert-raised"' not in client.get(f"/assessments/{quiet.pk}/").content.decode()
    assert Assessment.objects.count() == 2


def test_alert_page_names_the_cause_and_the_merged_rule_in_words(client, people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=PHQ9_ITEM9_SEVERE, person=people.in_a1v1)
    alert = Alert.objects.get()
    login_verified(client, teams["township"])
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "PHQ-9 第9题" in html and "phq9:item9" not in html
    assert "合并信号: 筛查结果为重度" in html  # the history says which other rule the result met
