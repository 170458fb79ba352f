"""Register a patient and record follow-ups: schedule, alerts, team, referral, death; bad input; scope and roles."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from xinli.alerts.models import Alert, Notification
from xinli.smd import services
from xinli.smd.models import Emergency, Patient, Support, Task, TeamMember

from .conftest import visit

pytestmark = pytest.mark.django_db


def test_registration_schedules_the_first_follow_up(patient, doctor):
    assert patient.doctor == doctor and patient.status == "in_register" and patient.consent_on is not None
    task = Task.objects.get(patient=patient)
    assert task.state == "due" and (task.due - datetime.date.today()).days in (13, 14, 15)


def test_a_stable_follow_up_closes_the_task_and_schedules_three_months(patient, doctor):
    fu = services.record_follow_up(doctor, patient, visit())
    assert (fu.classification, fu.next_due) == ("stable", datetime.date(2027, 2, 20))
    assert list(Task.objects.filter(patient=patient).values_list("state", "due")) == [
        ("done", Task.objects.get(state="done").due), ("due", datetime.date(2027, 2, 20))]
    patient.refresh_from_db()
    assert (patient.classification, patient.last_follow_up, patient.risk) == ("stable", fu.date, 0)
    assert not Alert.objects.exists()
    assert "利培酮" in fu.medications


@pytest.mark.parametrize("risk, level", [(1, None), (2, None), (3, "orange"), (4, "red"), (5, "red")])
def test_risk_level_alerts(patient, doctor, teams_smd, risk, level):
    extra = {"referral_institution": "市精神卫生中心", "referral_reason": "危险性 3 级以上"} if risk >= 3 else {}
    services.record_follow_up(doctor, patient, visit(risk=risk, **extra))
    alerts = list(Alert.objects.all())
    assert [a.level for a in alerts] == ([level] if level else [])


def test_unstable_patient_is_referred_and_gets_a_case_team(patient, doctor, teams_smd):
    with pytest.raises(ValidationError, match="referral_institution"):
        services.record_follow_up(doctor, patient, visit(insight="absent"))
    assert not patient.follow_ups.exists()
    fu = services.record_follow_up(doctor, patient, visit(insight="absent", referral_institution="市精神卫生中心", referral_reason="自知力缺失"))
    assert fu.classification == "unstable" and fu.next_due == fu.date + datetime.timedelta(days=14)
    assert Support.objects.get(patient=patient).kind == "referral_out"
    roles = set(TeamMember.objects.filter(patient=patient).values_list("role", flat=True))
    assert roles == {"village_committee", "grid_worker", "doctor", "police", "civil_affairs", "disability", "volunteer"}
    assert Notification.objects.filter(recipient=doctor, kind="smd_team").count() == 1


def test_death_ends_the_schedule_and_the_register_entry(patient, doctor):
    services.record_follow_up(doctor, patient, {"date": datetime.date(2026, 11, 20), "mode": "phone",
                                                "death_date": datetime.date(2026, 11, 18), "death_cause": "心肌梗死"})
    patient.refresh_from_db()
    assert (patient.status, patient.status_on) == ("died", datetime.date(2026, 11, 18))
    assert not Task.objects.filter(patient=patient, state="due").exists()


def test_emergency_raises_red_and_must_be_completed_in_24_hours(patient, doctor, teams_smd):
    from django.utils import timezone

    em = services.record_emergency(doctor, patient, trigger="danger_others", occurred_at=timezone.now() - datetime.timedelta(hours=25))
    assert em.alert.level == "red" and em.alert.source == "emergency" and em.overdue
    services.complete_emergency(doctor, em, actions="联系派出所协助送医", outcome="已住院", police=True)
    em.refresh_from_db()
    assert not em.overdue and em.police and Emergency.objects.count() == 1
    with pytest.raises(ValidationError):
        services.record_emergency(doctor, patient, trigger="bored", occurred_at=timezone.now())


@pytest.mark.parametrize("changes, field", [
    ({"risk": 6}, "risk"), ({"risk": None}, "risk"), ({"mode": "email"}, "mode"), ({"insight": "some"}, "insight"),
    ({"adherence": "often"}, "adherence"), ({"symptoms": ["dancing"]}, "symptoms"), ({"social_function": {"golf": "good"}}, "social_function"),
    ({"incidents": {"self_harm": -1}}, "incidents"), ({"date": datetime.date(2099, 1, 1)}, "date"),
    ({"lost_reason": "bored"}, "lost_reason"), ({"death_date": datetime.date(2026, 11, 1)}, "death_date"),
])
def test_bad_follow_ups_are_refused_and_write_nothing(patient, doctor, changes, field):
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(doctor, patient, visit(**changes))
    assert field in exc.value.message_dict
    assert not patient.follow_ups.exists() and Task.objects.filter(patient=patient).count() == 1


def test_follow_ups_are_recorded_in_order(patient, doctor):
    services.record_follow_up(doctor, patient, visit(date=datetime.date(2026, 11, 20)))
    with pytest.raises(ValidationError, match="date"):
        services.record_follow_up(doctor, patient, visit(date=datetime.date(2026, 11, 1)))


def test_only_treating_roles_in_scope_write(patient, police, personas, tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    other = make_user("doc_b", [(tree.b1, Role.SMD_DOCTOR)])
    for user in (police, other, personas.village_worker_1):
        with pytest.raises(PermissionDenied):
            services.record_follow_up(user, patient, visit())
    with pytest.raises(ValidationError, match="already"):
        services.register_patient(Patient.objects.get().doctor, patient.person, {
            "diagnosis": "F31", "diagnosed_by": "x", "diagnosed_on": datetime.date(2020, 1, 1), "source": "community"})


def test_reminders_before_and_after_due_are_sent_once(patient, doctor):
    task = Task.objects.get(patient=patient)
    assert services.send_reminders(task.due - datetime.timedelta(days=5)) == 0
    assert services.send_reminders(task.due - datetime.timedelta(days=3)) == 1
    assert services.send_reminders(task.due - datetime.timedelta(days=2)) == 0  # already reminded
    assert services.send_reminders(task.due + datetime.timedelta(days=3)) == 1
    assert list(Notification.objects.filter(recipient=doctor).values_list("kind", flat=True).order_by("id")) == ["smd_due", "smd_overdue"]


def test_without_consent_only_the_statutory_minimum_is_recorded(doctor, people):
    p = services.register_patient(doctor, people.in_a1v2, {"diagnosis": "F22", "diagnosed_by": "市精神卫生中心",
                                                          "diagnosed_on": datetime.date(2021, 1, 1), "source": "community"})
    assert p.consent_community is False
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(doctor, p, visit())
    assert set(exc.value.message_dict) <= {"insight", "adherence", "medications", "sleep", "diet", "social_function"}
    fu = services.record_follow_up(doctor, p, {"date": datetime.date(2026, 11, 20), "mode": "home", "risk": 3,
                                               "referral_institution": "市精神卫生中心"})
    assert fu.classification == "unstable" and fu.insight == "" and not fu.medications


@pytest.mark.parametrize("trigger", ["self_harm", "danger_others", "relapse", "adverse_reaction"])
def test_every_emergency_trigger_raises_a_red_alert(patient, doctor, teams_smd, trigger):
    from django.utils import timezone

    em = services.record_emergency(doctor, patient, trigger=trigger, occurred_at=timezone.now())
    assert (em.alert.level, em.alert.cause, em.alert.person_id) == ("red", "smd:emergency", patient.person_id)
    assert not em.overdue  # within 24 h
