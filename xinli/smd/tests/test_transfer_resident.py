"""Issue 17, residents who move: a move of the archive record opens a transfer of what is managed by area; the
receiving unit accepts (the same rows change unit and doctor) or returns it with a reason; an overdue transfer
escalates up the tree (time travel); a patient who left the register is registered again elsewhere with history."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.accounts.models import User
from xinli.alerts import crisis
from xinli.alerts.models import CrisisCase, Notification
from xinli.archives import services as archive_services
from xinli.archives import transfers
from xinli.archives.models import Transfer, TransferItem
from xinli.core.models import AuditEntry
from xinli.core.policy import SMD_FOLLOWUP, Role
from xinli.counselling import services as counselling_services
from xinli.smd import services
from xinli.smd.models import FollowUp, Patient, Status, Task
from xinli.testing.fixtures import make_user

from .conftest import visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor_a2(tree):
    return make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])


def _move(personas, person, unit):
    return archive_services.update_person(personas.county_officer, person, {"org_unit": unit})


def _notices(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).values_list("params", flat=True))


def test_move_opens_a_transfer_and_acceptance_moves_the_same_rows(tree, personas, people, doctor, patient, doctor_a2):
    today = timezone.localdate()
    services.record_follow_up(doctor, patient, visit(date=today - datetime.timedelta(days=3)))
    fu = patient.follow_ups.get()
    counsellor_a2 = make_user("counsellor_a2", [(tree.a2, Role.COUNSELLOR)])
    counsellor_a1 = make_user("counsellor_a1", [(tree.a1, Role.COUNSELLOR)])
    person = people.in_a1v1
    archive_services.set_tags(personas.county_officer, person, ["elderly_empty_nest"])
    plan = counselling_services.create_plan(counsellor_a1, person, goals="减少孤独", interventions="每周电话",
                                            review_on=today + datetime.timedelta(days=30))
    case = crisis.open_case(personas.crisis_team, person, assessment="近期情绪低落")
    patients_before = Patient.objects.count()

    _move(personas, person, tree.a2v1)

    t = Transfer.objects.get(person=person)
    assert (t.status, t.from_unit, t.to_unit) == (Transfer.Status.PENDING, tree.a1v1, tree.a2v1)
    assert t.accept_by == today + datetime.timedelta(days=14)  # the default of transfer_accept_days
    assert sorted(t.items.values_list("kind", flat=True)) == ["alerts.crisis_case", "counselling.plan", "smd.patient"]
    # The sender stays responsible until acceptance: nothing moved yet.
    patient.refresh_from_db()
    assert (patient.org_path, patient.doctor) == (tree.a1v1.path, doctor)
    # The receiving doctor is told and sees it on the SMD worklist; the sending doctor sees it as outgoing only.
    assert _notices(doctor_a2, "transfer_incoming") == [{"transfer": t.pk, "unit": tree.a2v1.name, "day": t.accept_by.isoformat()}]
    assert [x.pk for x in transfers.decidable(doctor_a2, SMD_FOLLOWUP)] == [t.pk]
    assert transfers.decidable(doctor, SMD_FOLLOWUP) == []
    assert list(transfers.outgoing(doctor)) == [t] and list(transfers.incoming(doctor)) == []
    with pytest.raises(PermissionDenied):
        transfers.accept(doctor, t)

    transfers.accept(doctor_a2, t)

    patient.refresh_from_db()
    assert (patient.org_path, patient.county_code, patient.doctor, patient.moved_in_on) == (tree.a2v1.path, "370202", doctor_a2, today)
    assert Patient.objects.count() == patients_before  # nothing copied
    assert set(Task.objects.filter(patient=patient, state="due").values_list("org_path", flat=True)) == {tree.a2v1.path}
    fu.refresh_from_db()
    assert fu.org_path == tree.a1v1.path  # a follow-up keeps the unit where it was done
    t.refresh_from_db()
    assert t.status == Transfer.Status.PENDING  # the plan and the crisis case wait for their own receivers
    assert _notices(doctor, "transfer_accepted") == [{"transfer": t.pk, "unit": tree.a2v1.name}]

    transfers.accept(counsellor_a2, t)
    plan.refresh_from_db()
    assert (plan.org_path, plan.worker) == (tree.a2v1.path, counsellor_a2)
    transfers.accept(personas.crisis_team, t)  # the county's crisis team also covers the new unit
    assert CrisisCase.objects.get(pk=case.pk).org_path == tree.a2v1.path
    t.refresh_from_db()
    assert (t.status, t.decided_by) == (Transfer.Status.ACCEPTED, personas.crisis_team)
    assert set(t.items.values_list("status", "moved_on")) == {("accepted", today)}
    with pytest.raises(ValidationError):
        transfers.accept(doctor_a2, t)  # decided already
    assert AuditEntry.objects.filter(object_type="archives.transfer", object_id=str(t.pk), action="update").count() == 3


def test_return_needs_a_reason_and_leaves_everything_with_the_sender(tree, personas, people, doctor, patient, doctor_a2):
    _move(personas, people.in_a1v1, tree.a2v1)
    t = Transfer.objects.get(person=people.in_a1v1)
    with pytest.raises(ValidationError) as err:
        transfers.return_transfer(doctor_a2, t, reason="  ")
    assert "reason" in err.value.message_dict
    t.refresh_from_db()
    assert t.status == Transfer.Status.PENDING and t.items.get().status == TransferItem.Status.PENDING  # nothing written

    transfers.return_transfer(doctor_a2, t, reason="按地址查无此人")

    t.refresh_from_db()
    assert (t.status, t.reason, t.decided_by) == (Transfer.Status.RETURNED, "按地址查无此人", doctor_a2)
    patient.refresh_from_db()
    assert (patient.org_path, patient.doctor, patient.moved_in_on) == (tree.a1v1.path, doctor, None)
    # The sender's doctors (both hold smd.followup over A1) and the officer who moved the record are told.
    for user in (doctor, personas.smd_doctor, personas.county_officer):
        assert _notices(user, "transfer_returned") == [{"transfer": t.pk, "unit": tree.a2v1.name}]


def test_moving_again_before_acceptance_cancels_the_first_transfer(tree, personas, people, patient):
    _move(personas, people.in_a1v1, tree.a2v1)
    _move(personas, people.in_a1v1, tree.a1v2)
    first, second = Transfer.objects.filter(person=people.in_a1v1).order_by("pk")
    assert (first.status, second.status, second.from_unit, second.to_unit) == ("cancelled", "pending", tree.a2v1, tree.a1v2)
    assert second.items.get().from_path == tree.a1v1.path  # the record never left A1v1


def test_nothing_managed_no_transfer(tree, personas, people):
    _move(personas, people.in_a1v2, tree.a2v1)
    assert not Transfer.objects.exists()


def test_overdue_transfer_escalates_up_the_tree(tree, personas, people, patient, doctor_a2, monkeypatch):
    """Time travel: accept_by is today + 14. On day 14 nothing happens; on day 15 the county's health officer (above
    the receiving doctors' street A2) is told; 14 days later still pending, the city's officer; then the city again."""
    _move(personas, people.in_a1v1, tree.a2v1)
    t = Transfer.objects.get()
    city_officer = User.objects.get(username="registrar")  # the people fixture's health officer over the city
    real_now = timezone.now()

    def travel(days):
        monkeypatch.setattr(timezone, "now", lambda: real_now + datetime.timedelta(days=days))

    from xinli.archives.tasks import escalate_transfers

    travel(14)
    assert escalate_transfers.call_local() == 0
    travel(15)
    assert escalate_transfers.call_local() == 1
    t.refresh_from_db()
    assert (t.escalations, t.escalated_to, t.accept_by) == (1, tree.county_a, timezone.localdate() + datetime.timedelta(days=14))
    assert t.overdue is False
    assert [n["transfer"] for n in _notices(personas.county_officer, "transfer_escalated")] == [t.pk]
    assert _notices(doctor_a2, "transfer_escalated") == []
    assert escalate_transfers.call_local() == 0  # once per deadline
    travel(30)
    assert escalate_transfers.call_local() == 1
    t.refresh_from_db()
    assert (t.escalations, t.escalated_to) == (2, tree.city)
    assert len(_notices(city_officer, "transfer_escalated")) == 1
    travel(45)
    assert escalate_transfers.call_local() == 1  # nobody above the city: its officer is reminded again
    t.refresh_from_db()
    assert (t.escalations, t.escalated_to) == (3, tree.city)
    assert len(_notices(city_officer, "transfer_escalated")) == 2
    # Still acceptable by the receiving doctor.
    transfers.accept(doctor_a2, t)
    assert Transfer.objects.get().status == Transfer.Status.ACCEPTED


def test_accept_days_is_region_data(tree, personas, people, patient):
    from xinli.regions.services import set_parameter

    set_parameter(personas.county_officer, unit=tree.county_a, key="transfer_accept_days", value=7, source="区卫健委通知")
    _move(personas, people.in_a1v1, tree.a2v1)
    assert Transfer.objects.get().accept_by == timezone.localdate() + datetime.timedelta(days=7)


def test_a_patient_who_left_is_registered_again_elsewhere_with_history(tree, personas, people, doctor, patient, doctor_a2):
    today = timezone.localdate()
    services.record_follow_up(doctor, patient, visit(date=today - datetime.timedelta(days=10)))
    services.change_status(doctor, patient, status=Status.MOVED_OUT, reason="迁往外地")
    # Moving the archive record now opens no transfer: the register entry is closed.
    _move(personas, people.in_a1v1, tree.a2v1)
    assert not Transfer.objects.exists()
    again = services.register_patient(doctor_a2, people.in_a1v1, {
        "diagnosis": "F31", "diagnosed_by": "市精神卫生中心", "diagnosed_on": datetime.date(2024, 3, 1), "source": "community",
        "residence": "home", "consent_community": True})
    assert again.pk == patient.pk
    assert (again.status, again.org_path, again.doctor, again.diagnosis, again.registered_on) == (
        Status.IN_REGISTER, tree.a2v1.path, doctor_a2, "F31", today)
    assert FollowUp.objects.filter(patient=again).count() == 1  # the old follow-up is kept
    assert list(Task.objects.filter(patient=again, state="due").values_list("due", "org_path")) == [
        (today + datetime.timedelta(days=14), tree.a2v1.path)]
    entry = AuditEntry.objects.filter(object_type="smd.patient", object_id=str(patient.pk)).order_by("-id").first()
    assert entry.detail["registered_again"] is True and entry.detail["previous"]["status"] == "moved_out"


def test_a_patient_still_in_the_register_is_not_registered_twice(tree, personas, people, patient, doctor):
    with pytest.raises(ValidationError) as err:
        services.register_patient(doctor, people.in_a1v1, {"diagnosis": "F20", "diagnosed_by": "x", "diagnosed_on": datetime.date(2024, 1, 1),
                                                           "source": "hospital"})
    assert "transfer" in str(err.value.message_dict["person"])


def test_the_audit_viewer_names_what_a_transfer_handed_over(tree, personas, people, patient):
    from django.utils import translation

    from xinli.core import audit_display

    _move(personas, people.in_a1v1, tree.a2v1)
    entry = AuditEntry.objects.get(object_type="archives.transfer", action="create")
    with translation.override("zh-hans"):
        shown = audit_display._value(None, "items", entry.detail["items"])
    assert shown == "严重精神障碍患者管理档案"
