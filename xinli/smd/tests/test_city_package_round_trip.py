"""Issue 17 gap 2: the package to another city carries the person's managed records — the SMD register entry with
follow-ups and emergency records, the active personalised plan, open counselling cases without their session notes,
open crisis cases and open alerts as a summary — in one versioned format under the region-archive crypto. Round trip
in one database: the receiving instance is this database with the sender's rows removed inside a savepoint (the
receiving city never held them); the savepoint is rolled back, and the receipt it produced closes the sender's
records as 迁出."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from xinli.accounts.models import User
from xinli.alerts import crisis
from xinli.alerts.models import Alert, AlertEvent, CrisisCase
from xinli.archives import citytransfer
from xinli.archives import services as archive_services
from xinli.archives.models import Person, PopulationTag
from xinli.core.archive.container import ArchiveError, open_archive
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.counselling import services as counselling_services
from xinli.counselling.models import Case, Plan
from xinli.smd import services
from xinli.smd.models import Emergency, FollowUp, Patient, Task
from xinli.testing.fixtures import make_user

from .conftest import visit

pytestmark = pytest.mark.django_db
KEY = bytes(range(200, 216))
NOTES = "会谈记录：童年经历，仅咨询师可见"


class Rollback(Exception):
    pass


@pytest.fixture
def managed(tree, personas, people, doctor, patient):
    """Everything the sending city manages for 张三丰 in A1v1."""
    today = timezone.localdate()
    person = people.in_a1v1
    for back in (60, 30):
        services.record_follow_up(doctor, patient, visit(date=today - datetime.timedelta(days=back), risk=1))
    em = services.record_emergency(doctor, patient, trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=3),
                                   actions="送市精神卫生中心", police=True, outcome="已住院", complete=True)
    archive_services.set_tags(personas.county_officer, person, ["elderly_empty_nest"])
    plan = counselling_services.create_plan(personas.counsellor, person, goals="减少孤独", interventions="每周电话",
                                            review_on=today + datetime.timedelta(days=30), partners=["family"])
    case = counselling_services.open_case(personas.counsellor, person, reason="失眠与焦虑")
    counselling_services.add_session(personas.counsellor, case, date=today, minutes=50, notes=NOTES)
    crisis_case = crisis.open_case(personas.crisis_team, person, assessment="近期情绪低落", safety_plan="家属陪伴")
    alert = Alert.objects.get(person=person)  # raised by the emergency record
    return {"person": person, "patient": patient, "emergency": em, "plan": plan, "case": case, "crisis": crisis_case,
            "alert": alert}


def _forget_sender(person):
    """The receiving city never held the sender's rows (removed inside a savepoint that is rolled back)."""
    Emergency.objects.filter(patient__person=person).delete()
    FollowUp.objects.filter(patient__person=person).delete()
    Task.objects.filter(patient__person=person).delete()
    Patient.objects.filter(person=person).delete()
    CrisisCase.objects.filter(person=person).delete()
    Alert.objects.filter(person=person).delete()
    Case.objects.filter(person=person).delete()
    Plan.objects.filter(person=person).delete()
    PopulationTag.objects.filter(person=person).delete()
    person.delete()


def test_round_trip_carries_every_managed_record_and_the_receipt_closes_the_sender(tree, personas, doctor, managed):
    person = managed["person"]
    person_pk, id_number, name = person.pk, person.id_number, person.name
    data, digest = citytransfer.export_package(doctor, person, KEY, to="烟台市")
    assert id_number.encode() not in data and name.encode() not in data and NOTES.encode() not in data
    _header, payload = open_archive(data, KEY)
    assert (payload["kind"], payload["version"]) == ("xinli-person-transfer", 2)
    assert sorted(payload["records"]) == ["alerts.alert", "alerts.crisis_case", "counselling.case", "counselling.plan", "smd.patient"]
    assert payload["records"]["counselling.case"] == [{"reason": "失眠与焦虑", "opened_at": managed["case"].opened_at.isoformat(),
                                                       "sessions": 1, "session_dates": [timezone.localdate().isoformat()]}]
    assert NOTES not in repr(payload)  # session notes never leave
    smd = payload["records"]["smd.patient"][0]
    assert (len(smd["follow_ups"]), len(smd["emergencies"]), smd["emergencies"][0]["actions"]) == (2, 1, "送市精神卫生中心")
    assert payload["person"]["tags"] == ["elderly_empty_nest"]
    export = AuditEntry.objects.get(action="export", person_id=person.pk, purpose="transfer")
    assert export.detail["records"] == {"smd.patient": 1, "counselling.plan": 1, "counselling.case": 1, "alerts.alert": 1,
                                        "alerts.crisis_case": 1}

    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    counsellor_b1 = make_user("counsellor_b1", [(tree.b1, Role.COUNSELLOR)])
    team_b1 = make_user("team_b1", [(tree.b1, Role.CRISIS_TEAM)])
    today = timezone.localdate()
    try:
        with transaction.atomic():
            _forget_sender(person)
            moved, receipt, counts = citytransfer.import_package(doctor_b1, data, KEY, unit=tree.b1v1)
            assert (moved.name, moved.id_number, moved.org_unit, moved.status) == (name, id_number, tree.b1v1, "active")
            assert counts == {"smd.patient": 4, "counselling.plan": 1, "counselling.case": 1, "alerts.alert": 1,
                              "alerts.crisis_case": 1}  # the entry + 2 follow-ups + 1 emergency
            p = Patient.objects.get(person=moved)
            assert (p.source, p.doctor, p.org_path, p.moved_in_on, p.last_follow_up) == (
                "transfer", doctor_b1, tree.b1v1.path, today, today - datetime.timedelta(days=30))
            assert p.follow_ups.count() == 2
            e = p.emergencies.get()
            assert (e.trigger, e.actions, e.police, e.outcome, e.org_path) == ("relapse", "送市精神卫生中心", True, "已住院", tree.b1v1.path)
            plan = Plan.objects.get(person=moved)
            assert (plan.goals, plan.worker, plan.org_path, plan.partners, plan.state) == (
                "减少孤独", counsellor_b1, tree.b1v1.path, ["family"], "active")
            case = Case.objects.get(person=moved)
            assert (case.counsellor, case.org_path, case.sessions.count()) == (counsellor_b1, tree.b1v1.path, 0)
            assert case.reason.startswith("失眠与焦虑\n（外市迁入") and "已会谈 1 次" in case.reason
            cc = CrisisCase.objects.get(person=moved)
            assert (cc.state, cc.org_path, cc.safety_plan) == ("open", tree.b1v1.path, "家属陪伴")
            alert = Alert.objects.get(person=moved)
            assert (alert.level, alert.org_unit, alert.owner_unit, alert.state, alert.cause) == (
                "red", tree.b1v1, tree.b1, "new", "transfer:smd:emergency")
            assert alert.summary.startswith("外市迁入前未关闭的预警")
            from xinli.alerts.selectors import console_alerts
            assert [a.pk for a in console_alerts(team_b1)] == [alert.pk]
            with pytest.raises(Exception, match="register"):  # the same package twice: refused, all or nothing
                with transaction.atomic():
                    citytransfer.import_package(doctor_b1, data, KEY, unit=tree.b1v1)
            assert Plan.objects.filter(person=moved).count() == 1
            raise Rollback
    except Rollback:
        pass

    # Back at the sending city: everything is as it was until the receipt comes.
    assert Patient.objects.get(pk=managed["patient"].pk).status == "in_register"
    closed_person, closed = citytransfer.close_with_receipt(doctor, data, receipt, KEY)
    assert closed == {"smd.patient": 1, "counselling.plan": 1, "counselling.case": 1, "alerts.alert": 1, "alerts.crisis_case": 1,
                      "archives.person": 1}
    assert closed_person.pk == person_pk and Person.objects.get(pk=person_pk).status == "moved_out"
    p = Patient.objects.get(pk=managed["patient"].pk)
    assert (p.status, p.status_on) == ("moved_out", today)
    assert tree.b1v1.code in p.status_reason
    assert Plan.objects.get(pk=managed["plan"].pk).state == "closed"
    c = Case.objects.get(pk=managed["case"].pk)
    assert (c.state, c.sessions.get().notes) == ("closed", NOTES)  # history kept
    assert CrisisCase.objects.get(pk=managed["crisis"].pk).state == "closed"
    a = Alert.objects.get(pk=managed["alert"].pk)
    assert (a.state, a.outcome) == ("closed", "moved_away")
    assert a.events.filter(kind=AlertEvent.Kind.CLOSED).count() == 1
    assert p.follow_ups.count() == 2 and p.emergencies.count() == 1
    # Idempotent: the receipt again closes nothing more.
    assert citytransfer.close_with_receipt(doctor, data, receipt, KEY)[1] == {}


def test_a_package_with_a_kind_the_receiver_does_not_know_is_refused(tree, doctor, managed, monkeypatch):
    from xinli.archives import transfers

    data, _digest = citytransfer.export_package(doctor, managed["person"], KEY, to="烟台市")
    monkeypatch.delitem(transfers.HOLDERS, "counselling.case")
    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    before = Person.objects.count()
    with pytest.raises(ArchiveError, match="counselling.case"):
        citytransfer.import_package(doctor_b1, data, KEY, unit=tree.b1v1)
    assert Person.objects.count() == before


def test_who_may_send_and_receive(tree, personas, people, doctor, managed):
    # A village worker edits the archive of A1v1 but does not follow up SMD patients: an SMD entry does not leave with them.
    with pytest.raises(Exception) as err:
        citytransfer.export_package(personas.village_worker_1, managed["person"], KEY, to="烟台市")
    assert type(err.value).__name__ == "PermissionDenied"
    data, _digest = citytransfer.export_package(doctor, managed["person"], KEY, to="烟台市")
    police = make_user("police_b1", [(tree.b1, Role.POLICE_LIAISON)])
    with pytest.raises(Exception) as err:
        citytransfer.import_package(police, data, KEY, unit=tree.b1v1)
    assert type(err.value).__name__ == "PermissionDenied"
    # A person without an SMD entry: the area worker may send their plan.
    person = people.in_a1v2
    archive_services.set_tags(personas.county_officer, person, ["elderly_empty_nest"])
    counselling_services.create_plan(personas.counsellor, person, goals="g", interventions="i",
                                     review_on=timezone.localdate() + datetime.timedelta(days=5))
    data, _digest = citytransfer.export_package(personas.village_worker_2, person, KEY, to="烟台市")
    assert sorted(open_archive(data, KEY)[1]["records"]) == ["counselling.plan"]
    # Nothing managed: nothing to send.
    with pytest.raises(ArchiveError, match="nothing"):
        citytransfer.export_package(personas.county_officer, people.in_a2v1, KEY, to="烟台市")
    assert User.objects.filter(username="police_b1").exists()


def test_a_version_1_package_is_still_read(tree, doctor, managed):
    """Packages written before the format carried every holder (version 1: the SMD record only)."""
    from xinli.core.archive.container import seal

    person, patient = managed["person"], managed["patient"]
    v1 = {"kind": "xinli-person-transfer", "version": 1, "to": "x", "from_org": patient.org_path,
          "person": {f: citytransfer.plain(getattr(person, f)) for f in citytransfer.PERSON_FIELDS},
          "patient": {"diagnosis": "F20", "diagnosed_by": "医院", "diagnosed_on": "2020-05-01", "residence": "home"},
          "follow_ups": []}
    payload = citytransfer.read_package(seal(v1, KEY, org="370202001001", created=timezone.now().isoformat()), KEY)
    assert payload["records"] == {"smd.patient": [{"diagnosis": "F20", "diagnosed_by": "医院", "diagnosed_on": "2020-05-01",
                                                   "residence": "home", "follow_ups": []}]}


def test_the_audit_viewer_names_the_kinds_in_words():
    from django.utils import translation

    from xinli.core import audit_display

    with translation.override("zh-hans"):
        assert audit_display._value(None, "records", {"smd.patient": 4, "alerts.alert": 1}) == "严重精神障碍患者管理档案 4、未关闭的预警 1"
        assert audit_display._value(None, "closed", {"counselling.plan": 1, "archives.person": 1}) == "个性化疏导方案 1、居民档案 1"
        assert audit_display._key(None, "digest") == "文件 SM3 摘要"


def test_a_closed_high_risk_case_travels_with_its_pending_follow_up_contacts(tree, personas, people, doctor, patient):
    """A high-risk case closed at the sending city leaves 7/30/90-day contacts; the one made stays there, the two
    pending ones arrive due on their days in the receiving team's list and leave the sender's on the receipt."""
    from xinli.alerts.models import FollowUp as CrisisFollowUp
    from xinli.alerts.selectors import visible_follow_ups

    person = people.in_a1v1
    person_pk = person.pk
    case = crisis.open_case(personas.crisis_team, person, assessment="自伤念头", safety_plan="家属陪伴")
    crisis.close_case(personas.crisis_team, case, summary="情绪平稳，转随访", high_risk=True)
    first, *pending = case.follow_ups.order_by("due")
    CrisisFollowUp.objects.filter(pk=first.pk).update(done_at=timezone.now(), done_by=personas.crisis_team)
    dues = [f.due for f in pending]
    assert len(dues) == 2

    data, _digest = citytransfer.export_package(doctor, person, KEY, to="烟台市")
    (row,) = open_archive(data, KEY)[1]["records"]["alerts.crisis_case"]
    assert (row["state"], row["high_risk"], row["follow_ups"]) == ("closed", True, [d.isoformat() for d in dues])

    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    team_b1 = make_user("team_b1", [(tree.b1, Role.CRISIS_TEAM)])
    try:
        with transaction.atomic():
            _forget_sender(person)
            moved, _receipt, counts = citytransfer.import_package(doctor_b1, data, KEY, unit=tree.b1v1)
            assert counts["alerts.crisis_case"] == 1
            arrived = CrisisCase.objects.get(person=moved)
            assert (arrived.state, arrived.high_risk, arrived.org_path, arrived.closing_summary) == (
                "closed", True, tree.b1v1.path, "情绪平稳，转随访")
            assert "待完成随访 2 次" in arrived.assessment
            listed = list(visible_follow_ups(team_b1).filter(done_at__isnull=True))
            assert [(f.case_id, f.due, f.org_path) for f in listed] == [(arrived.pk, d, tree.b1v1.path) for d in dues]
            raise Rollback
    except Rollback:
        pass

    # The receipt of the same import (made again inside a savepoint that is rolled back), back at the sender.
    with transaction.atomic():
        sid = transaction.savepoint()
        _forget_sender(Person.objects.get(pk=person_pk))
        _moved, receipt, _counts = citytransfer.import_package(doctor_b1, data, KEY, unit=tree.b1v1)
        transaction.savepoint_rollback(sid)
    closed = citytransfer.close_with_receipt(doctor, data, receipt, KEY)[1]
    assert closed["alerts.crisis_case"] == 1
    case.refresh_from_db()
    assert case.follow_ups.filter(done_at__isnull=True).count() == 0
    assert list(case.follow_ups.values_list("pk", flat=True)) == [first.pk]  # the contact made stays as history
    assert all(d.isoformat() in case.closing_summary for d in dues) and case.closing_summary.startswith("情绪平稳，转随访")
    entry = AuditEntry.objects.filter(object_type="alerts.crisiscase", object_id=str(case.pk)).latest("pk")
    assert entry.detail["follow_ups_handed_over"] == [d.isoformat() for d in dues]
    assert not visible_follow_ups(personas.crisis_team).filter(case=case, done_at__isnull=True).exists()
