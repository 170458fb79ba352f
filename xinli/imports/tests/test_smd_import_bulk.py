"""New SMD patients of a batch are written in one go (``bulk_smd_patients`` → ``archives.register_people`` and
``smd.register_patients``): what is stored is exactly what the patient-by-patient path stores."""

from __future__ import annotations

import dataclasses

import pytest

from xinli.core.fields import blind_index
from xinli.core.models import AuditEntry
from xinli.imports import kinds
from xinli.imports.models import Kind
from xinli.smd.models import Patient, Support
from xinli.testing.fixtures import id_number

from .test_smd_import import _row, _run

pytestmark = pytest.mark.django_db


def _history(numbers):
    """Three patients: a stable history, one with an unstable visit (referral, next due in two weeks), one visit."""
    a, b, c = numbers
    return [_row(a, "2024-01-10"), _row(a, "2024-04-10"), _row(a, "2024-07-10"),
            _row(b, "2024-02-01"), _row(b, "2024-03-01", risk="3", insight="absent"), _row(b, "2024-03-15"),
            _row(c, "2024-05-05", adherence="间断")]


def _snapshot(number):
    patient = Patient.objects.get(person__id_number_bidx=blind_index("id_number", number))
    follow_ups = [(f.date, f.classification, f.next_due, f.risk, f.mode, f.insight, f.adherence)
                  for f in patient.follow_ups.order_by("date")]
    tasks = [(t.due, t.state, t.done_on, t.done_by.date if t.done_by else None) for t in patient.tasks.order_by("due", "id")]
    supports = [(s.kind, s.start, s.institution) for s in Support.objects.filter(patient=patient).order_by("start")]
    row = (patient.last_follow_up, patient.classification, patient.risk, patient.status, patient.registered_on,
           patient.doctor_id, patient.diagnosis, patient.consent_community, patient.org_path)
    # The bulk registration of residents audits each new person once, its consents counted in the entry's detail
    # (archives.services.register_people); the single registration has an entry per consent as well.
    entries = sorted(AuditEntry.objects.filter(person_id=patient.person_id).exclude(object_type="archives.consent")
                     .values_list("action", "object_type"))
    return follow_ups, tasks, supports, row, entries


def test_bulk_stores_what_the_row_path_stores(tree, personas, monkeypatch):
    doctor = personas.smd_doctor
    bulk = [id_number("19700101", 301), id_number("19710101", 303), id_number("19720101", 305)]
    rows = [id_number("19700101", 311), id_number("19710101", 313), id_number("19720101", 315)]
    job = _run(doctor, _history(bulk), batch=100)
    assert (job.created, job.refused) == (3, 0)
    monkeypatch.setitem(kinds.KINDS, Kind.SMD_PATIENTS, dataclasses.replace(kinds.KINDS[Kind.SMD_PATIENTS], bulk=None))
    job = _run(doctor, _history(rows), batch=100)
    assert (job.created, job.refused) == (3, 0)
    for mine, theirs in zip(bulk, rows, strict=True):
        assert _snapshot(mine) == _snapshot(theirs)
    follow_ups, tasks, supports, _row_, entries = _snapshot(bulk[1])
    assert [f[1] for f in follow_ups][1] == "unstable" and len(supports) == 1
    assert sorted(t[1] for t in tasks) == ["done", "done", "done", "due"]  # the registration's task and one per visit
    assert entries.count(("create", "smd.followup")) == 3 and ("create", "smd.patient") in entries


def test_a_refused_patient_leaves_the_others_of_the_batch_created(tree, personas):
    doctor = personas.smd_doctor
    a, b, c = id_number("19700101", 321), id_number("19710101", 323), id_number("19720101", 325)
    job = _run(doctor, [_row(a, "2024-01-10"), _row(b, "2024-01-11", diagnosed_by=""), _row(b, "2024-02-11"),
                        _row(c, "2024-01-12", diagnosis="抑郁症")], batch=100)
    # b: no diagnosing institution (refused by the registration after its person was written: redone without it);
    # c: a diagnosis outside the six (refused before anything is written).
    assert (job.created, job.refused) == (1, 2)
    assert sorted(job.problems.values_list("line", "column")) == [(3, "diagnosed_by"), (5, "diagnosis")]
    assert Patient.objects.count() == 1
    # Neither refused patient left an archive record behind (b's was written, then rolled back with the redo).
    from xinli.archives.models import Person

    assert not Person.objects.filter(id_number_bidx__in=[blind_index("id_number", n) for n in (b, c)]).exists()
    assert Person.objects.filter(id_number_bidx=blind_index("id_number", a)).exists()
