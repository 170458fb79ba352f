"""SMD emergencies (应急处置) with the case-team members who took part: imported through
smd.services.record_emergency(imported=True) and add_team_member — no alert, no one paged; matched by source id;
re-import unchanged; bad rows by column; strategies; scope."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from xinli.alerts.models import Alert, Notification
from xinli.core.models import AuditEntry
from xinli.imports.kinds import EMERGENCY_COLUMNS, SMD_COLUMNS
from xinli.imports.models import ImportJob, SourceLink
from xinli.smd.models import Emergency, Patient, TeamMember
from xinli.testing.fixtures import id_number, login_verified

from .helpers import kind_csv, problems, run_kind, upload

pytestmark = pytest.mark.django_db
A, B = id_number("19700101", 201), id_number("19710101", 203)


@pytest.fixture
def patients(tree, personas):
    rows = [{"id_number": idn, "name": "患者", "org_unit_code": "370202001001", "diagnosis": "精神分裂症", "diagnosed_by": "市精神卫生中心", "diagnosed_on": "2020-03-01",
             "source": "医院报告", "residence": "居家", "consent": "是", "follow_up_date": "2024-01-10", "mode": "门诊", "risk": "0",
             "insight": "完全", "adherence": "规律"} for idn in (A, B)]
    assert run_kind(personas.smd_doctor, "smd_patients", kind_csv(SMD_COLUMNS, rows)).created == 2
    return Patient.objects.order_by("pk")


def _em(**v):
    base = {"source_id": "EM1", "id_number": A, "occurred_at": "2024-03-01 14:30", "trigger": "有自伤自杀危险",
            "actions": "劝说，陪同送医", "police": "是", "ambulance": "否", "outcome": "住院治疗", "completed_on": "2024-03-01 18:00",
            "team": "李四（民警）、王五（村（居）委会成员）"}
    base.update(v)
    return base


GOOD = [_em(), _em(source_id="EM2", id_number=B, occurred_at="2024-05-02 09:00", trigger="病情复发或明显加重", completed_on="",
                     team="赵六（网格员）")]


def test_emergencies_through_the_page_no_alert_then_unchanged(patients, personas):
    client = Client()
    login_verified(client, personas.smd_doctor)
    data = kind_csv(EMERGENCY_COLUMNS, GOOD)
    upload(client, "emergencies", data, dry_run=True)
    dry = ImportJob.objects.get(kind="emergencies")
    assert (dry.state, dry.created, dry.refused) == ("done", 2, 0), list(dry.problems.values_list("line", "column", "message"))
    assert not Emergency.objects.exists()
    client.post(f"/imports/{dry.pk}/run/")
    real = ImportJob.objects.get(kind="emergencies", dry_run=False)
    assert (real.created, real.updated, real.unchanged, real.refused) == (2, 0, 0, 0)
    em = Emergency.objects.get(pk=SourceLink.objects.get(kind="emergencies", source_id="EM1").object_id)
    assert (em.trigger, em.police, em.ambulance, em.outcome, em.alert_id) == ("self_harm", True, False, "住院治疗", None)
    assert timezone.localtime(em.completed_at).hour == 18 and timezone.localtime(em.occurred_at).minute == 30
    assert sorted((m.role, m.name) for m in TeamMember.objects.filter(patient=em.patient)) == [("police", "李四"), ("village_committee", "王五")]
    assert not Alert.objects.exists() and not Notification.objects.exists()  # imported history pages no one
    assert AuditEntry.objects.filter(object_type__icontains="emergency", detail__imported=True).count() == 2
    upload(client, "emergencies", data, dry_run=False)
    again = ImportJob.objects.filter(kind="emergencies").order_by("-pk").first()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 0)
    assert Emergency.objects.count() == 2 and TeamMember.objects.count() == 3


def test_emergencies_command_dry_run(patients, personas, tmp_path, capsys):
    f = tmp_path / "em.csv"
    f.write_bytes(kind_csv(EMERGENCY_COLUMNS, GOOD))
    call_command("import_records", "emergencies", str(f), "--dry-run", "--user", personas.smd_doctor.username)
    assert "created 2" in capsys.readouterr().out and not Emergency.objects.exists()


BAD = [
    _em(source_id="X1", id_number=id_number("19800101", 111)),           # 2 not in the archive
    _em(source_id="X2", occurred_at="2024-03-01 25:99"),                  # 3 bad time
    _em(source_id="X3", trigger="打架"),                                   # 4 unknown trigger
    _em(source_id="X4", police="也许"),                                    # 5 yes/no
    _em(source_id="X5", team="李四（厨师）"),                                # 6 unknown role
    _em(source_id="X6", outcome="", actions=""),                          # 7 both required
    _em(source_id="X7", completed_on="2024-02-01 08:00"),                 # 8 completed before it happened (service rule)
    _em(source_id="X8", occurred_at="2099-01-01 10:00"),                  # 9 in the future (service rule)
]


def test_bad_rows_reported_by_line_and_column(patients, personas, people):
    job = run_kind(personas.smd_doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, BAD), dry_run=True)
    assert (job.created, job.refused) == (0, 8)
    assert problems(job) == [(2, "id_number"), (3, "occurred_at"), (4, "trigger"), (5, "police"), (6, "team"),
                             (7, "actions"), (7, "outcome"), (8, "completed_on"), (9, "occurred_at")]


def test_a_resident_who_is_not_a_patient_is_refused(patients, personas, people):
    job = run_kind(personas.smd_doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, [_em(id_number=people.in_a1v1.id_number)]))
    assert problems(job) == [(2, "id_number")] and "名册" in job.problems.get().message


def test_strategies(patients, personas):
    doctor = personas.smd_doctor
    job = run_kind(doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, [GOOD[0]]), strategy="update")
    assert (job.created, job.refused) == (0, 1)
    assert run_kind(doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, [GOOD[0]]), strategy="create").created == 1
    changed = [_em(outcome="门诊治疗", team="李四（民警）、王五（村（居）委会成员）、钱七（志愿者）")]
    job = run_kind(doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, changed), strategy="create")
    assert (job.updated, job.refused) == (0, 1) and Emergency.objects.get().outcome == "住院治疗"
    job = run_kind(doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, changed), strategy="update")
    assert (job.updated, job.refused) == (1, 0) and Emergency.objects.get().outcome == "门诊治疗"
    assert TeamMember.objects.count() == 3
    # Another time for the same source id: refused, not a second emergency.
    job = run_kind(doctor, "emergencies", kind_csv(EMERGENCY_COLUMNS, [_em(occurred_at="2024-03-02 10:00")]))
    assert problems(job) == [(2, "occurred_at")] and Emergency.objects.count() == 1


def test_scope_refusal(patients, tree, personas):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    other = make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])
    job = run_kind(other, "emergencies", kind_csv(EMERGENCY_COLUMNS, GOOD))
    assert (job.created, job.refused) == (0, 2) and problems(job) == [(2, "id_number"), (3, "id_number")]
    assert not Emergency.objects.exists()


def test_a_report_made_through_the_page_keeps_both_languages(patients, personas):
    client = Client()
    login_verified(client, personas.smd_doctor)
    upload(client, "emergencies", kind_csv(EMERGENCY_COLUMNS, [_em(trigger="打架")]), dry_run=True)
    (message,) = ImportJob.objects.get(kind="emergencies").problems.values_list("message", flat=True)
    assert message.startswith("处置原因") and " / Reason for the emergency" in message
