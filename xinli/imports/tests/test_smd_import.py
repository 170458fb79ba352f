"""SMD patients with their follow-up history: one patient and all their follow-ups together, never half a patient."""

from __future__ import annotations

import csv
import io

import pytest

from xinli.archives.models import Person
from xinli.imports import services
from xinli.imports.kinds import SMD_COLUMNS
from xinli.smd.models import FollowUp, Patient
from xinli.testing.fixtures import id_number

pytestmark = pytest.mark.django_db
KEYS = [c.key for c in SMD_COLUMNS]


def _row(idn, date, **v):
    base = {"id_number": idn, "name": "患者", "org_unit_code": "370202001001", "diagnosis": "精神分裂症", "diagnosed_by": "市精卫中心",
            "diagnosed_on": "2020-03-01", "source": "医院报告", "residence": "居家", "consent": "是", "follow_up_date": date,
            "mode": "门诊", "risk": "0", "insight": "complete", "adherence": "regular"}
    base.update(v)
    return [base[k] if k in base else "" for k in KEYS]


def _run(user, rows, *, batch=2, dry_run=False):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in SMD_COLUMNS])
    w.writerows(rows)
    path, digest, _ = services.store_file("smd.csv", [buf.getvalue().encode()])
    job = services.create_job(user, kind="smd_patients", strategy="upsert", dry_run=dry_run, file_name="smd.csv", path=path, digest=digest)
    return services.run(job.pk, batch_size=batch)


def test_patients_with_history_batches_never_split_a_patient_and_reimport_is_unchanged(tree, personas):
    doctor = personas.smd_doctor  # township a1, holds smd.followup and imports.run
    a, b, c = id_number("19700101", 201), id_number("19710101", 203), id_number("19720101", 205)
    rows = [_row(a, "2024-01-10"), _row(a, "2024-03-10"), _row(a, "2024-05-10"),     # 3 follow-ups (batch size 2: kept together)
            _row(b, "2024-02-01"), _row(b, "2024-04-01", risk="9"),                    # bad risk: the whole patient refused
            _row(c, "2024-02-02")]
    job = _run(doctor, rows)
    assert (job.created, job.updated, job.unchanged, job.refused, job.rows_done) == (2, 0, 0, 1, 6)
    assert list(job.problems.values_list("line", "column")) == [(6, "risk")]
    assert Patient.objects.count() == 2 and FollowUp.objects.count() == 4
    assert not Person.objects.filter(pk__in=Patient.objects.values("person")).filter(smd_patient__isnull=True).exists()
    assert len(services.created_person_ids(job)) == 2  # the refused patient's person was rolled back with them
    again = _run(doctor, rows)
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 1)
    assert FollowUp.objects.count() == 4
    # One more follow-up for a known patient: updated, one follow-up added.
    more = _run(doctor, [_row(a, "2024-07-10")])
    assert (more.created, more.updated, more.unchanged) == (0, 1, 0) and FollowUp.objects.count() == 5


def test_imported_history_raises_no_alert_and_convenes_no_team(tree, personas):
    """A patient's history with a risk-4 visit in 2024: the visit is saved and classified (unstable, risk 4 on the
    register), but nothing is acted on now — no alert, no case-management team; a visit recorded here would do both."""
    from xinli.alerts.models import Alert
    from xinli.smd.models import TeamMember

    doctor = personas.smd_doctor
    a = id_number("19730101", 207)
    job = _run(doctor, [_row(a, "2024-01-10"), _row(a, "2024-03-10", risk="4", insight="absent")])
    assert (job.created, job.refused) == (1, 0)
    patient = Patient.objects.get()
    assert patient.risk == 4 and FollowUp.objects.filter(patient=patient).count() == 2
    assert not Alert.objects.exists() and not TeamMember.objects.filter(patient=patient).exists()


def test_insight_and_adherence_as_written_in_chinese(tree, personas):
    """The template's example reads 完全 / 规律: labels (and the national form's wording) are taken as well as codes."""
    a = id_number("19740101", 209)
    job = _run(personas.smd_doctor, [_row(a, "2024-01-10", insight="自知力缺失", adherence="间断")])
    assert (job.created, job.refused) == (1, 0), list(job.problems.values_list("column", "message"))
    (fu,) = FollowUp.objects.all()
    assert (fu.insight, fu.adherence) == ("absent", "intermittent")
    template = [c.example for c in SMD_COLUMNS if c.key in ("insight", "adherence")]
    assert template == ["完全", "规律"]
