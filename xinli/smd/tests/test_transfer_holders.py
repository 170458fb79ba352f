"""Issue 17 gap 1: every holder registered with the archive's transfer travels with a move — the SMD register entry
with its pending tasks and their reminders, the personalised plan, the open counselling case, the crisis case and
the open alert — and each is tested both accepted (the same row changes unit) and returned (it stays). Open alerts
then show on the receiving area's duty console and no longer on the sender's."""

import datetime

import pytest
from django.utils import timezone

from xinli.accounts.models import User
from xinli.alerts import crisis
from xinli.alerts import selectors as alert_selectors
from xinli.alerts.models import Alert, AlertEvent, CrisisCase, Notification
from xinli.alerts.services import Signal, raise_alert
from xinli.archives import services as archive_services
from xinli.archives import transfers
from xinli.archives.models import Transfer, TransferItem
from xinli.core.policy import Role
from xinli.counselling import services as counselling_services
from xinli.counselling.models import Case, Plan
from xinli.smd.models import Patient, Task
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def test_every_holder_is_registered():
    assert [h.kind for h in transfers.holders()] == [
        "smd.patient", "counselling.plan", "counselling.case", "alerts.alert", "alerts.crisis_case",
        "field.scheduledvisit"]


@pytest.fixture
def receivers(tree):
    """Who takes over in B1 (another county): the SMD doctor, a counsellor and the crisis team."""
    return {"smd.patient": make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)]),
            "counselling.plan": make_user("counsellor_b1", [(tree.b1, Role.COUNSELLOR)]),
            "counselling.case": None, "alerts.alert": make_user("team_b1", [(tree.b1, Role.CRISIS_TEAM)]),
            "alerts.crisis_case": None}


@pytest.fixture
def team_a1(tree):
    return make_user("team_a1", [(tree.a1, Role.CRISIS_TEAM)])


def _records(tree, personas, person, patient, team_a1):
    today = timezone.localdate()
    counsellor_a1 = personas.counsellor
    archive_services.set_tags(personas.county_officer, person, ["elderly_empty_nest"])
    plan = counselling_services.create_plan(counsellor_a1, person, goals="减少孤独", interventions="每周电话",
                                            review_on=today + datetime.timedelta(days=30))
    case = counselling_services.open_case(counsellor_a1, person, reason="失眠")
    alert = raise_alert(Signal(level="red", source="manual", cause="manual:test", summary="家属来电称有自伤言语",
                               org_unit=tree.a1v1, person=person, reported_by=personas.village_worker_1))
    crisis_case = crisis.open_case(team_a1, person, assessment="近期情绪低落")
    return {"smd.patient": patient, "counselling.plan": plan, "counselling.case": case, "alerts.alert": alert,
            "alerts.crisis_case": crisis_case}


def _where(kind, obj):
    model = {"smd.patient": Patient, "counselling.plan": Plan, "counselling.case": Case, "alerts.alert": Alert,
             "alerts.crisis_case": CrisisCase}[kind]
    row = model.objects.get(pk=obj.pk)
    return row.org_path, row.county_code


def _decide_all(transfer, receivers, *, accept):
    done = set()
    for user in receivers.values():
        if user is None or user.pk in done:
            continue
        done.add(user.pk)
        if accept:
            transfers.accept(user, transfer)
        else:
            transfers.return_transfer(user, transfer, reason="按地址查无此人")


@pytest.mark.parametrize("accept", [True, False], ids=["accepted", "returned"])
def test_each_holder_moves_on_acceptance_and_stays_on_return(tree, personas, people, doctor, patient, team_a1, receivers, accept):
    person = people.in_a1v1
    records = {k: v for k, v in _records(tree, personas, person, patient, team_a1).items() if v is not None}
    task = Task.objects.get(patient=patient, state="due")
    Task.objects.filter(pk=task.pk).update(reminded=["2026-11-01"])
    alert = records["alerts.alert"]
    assert [a.pk for a in alert_selectors.console_alerts(team_a1)] == [alert.pk]
    assert list(alert_selectors.console_alerts(receivers["alerts.alert"])) == []

    archive_services.update_person(User.objects.get(username="registrar"), person, {"org_unit": tree.b1v1})
    t = Transfer.objects.get(person=person)
    assert sorted(t.items.values_list("kind", flat=True)) == sorted(records)
    # Nothing moved before the decision.
    for kind, obj in records.items():
        assert _where(kind, obj) == (tree.a1v1.path, "370202"), kind

    _decide_all(t, receivers, accept=accept)

    t.refresh_from_db()
    expected = (tree.b1v1.path, "370203") if accept else (tree.a1v1.path, "370202")
    assert t.status == (Transfer.Status.ACCEPTED if accept else Transfer.Status.RETURNED)
    assert set(t.items.values_list("status", flat=True)) == {TransferItem.Status.ACCEPTED if accept else TransferItem.Status.RETURNED}
    for kind, obj in records.items():
        assert _where(kind, obj) == expected, kind
    task.refresh_from_db()
    assert (task.org_path, task.reminded) == ((tree.b1v1.path, []) if accept else (tree.a1v1.path, ["2026-11-01"]))
    alert.refresh_from_db()
    team_b1 = receivers["alerts.alert"]
    if accept:
        assert (alert.org_unit, alert.owner_unit, alert.state) == (tree.b1v1, tree.b1, "new")
        assert [a.pk for a in alert_selectors.console_alerts(team_b1)] == [alert.pk]
        assert list(alert_selectors.console_alerts(team_a1)) == []
        event = alert.events.get(kind=AlertEvent.Kind.TRANSFERRED)
        assert (event.from_unit, event.to_unit, event.actor) == (tree.a1, tree.b1, team_b1)
        assert Notification.objects.filter(recipient=team_b1, kind="alert_transferred", alert=alert).count() == 1
    else:
        assert (alert.org_unit, alert.owner_unit) == (tree.a1v1, tree.a1)
        assert [a.pk for a in alert_selectors.console_alerts(team_a1)] == [alert.pk]
        assert list(alert_selectors.console_alerts(team_b1)) == []
        assert not alert.events.filter(kind=AlertEvent.Kind.TRANSFERRED).exists()


def test_closed_alert_does_not_travel(tree, personas, people, team_a1):
    from xinli.alerts.services import acknowledge, close

    alert = raise_alert(Signal(level="orange", source="manual", cause="manual:test", summary="情绪低落",
                               org_unit=tree.a1v1, person=people.in_a1v1, reported_by=personas.village_worker_1))
    acknowledge(team_a1, alert.pk)
    close(team_a1, alert.pk, outcome="contacted_safe", note="已联系，情绪平稳")
    archive_services.update_person(User.objects.get(username="registrar"), people.in_a1v1, {"org_unit": tree.b1v1})
    assert not Transfer.objects.exists()


def test_alert_label_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        text = transfers.HOLDERS["alerts.alert"].label({"level": "red", "state": "new"})
    assert text == "未关闭的预警（红色，新预警）"
