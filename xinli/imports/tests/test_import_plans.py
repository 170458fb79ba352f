"""Personalised plans (个性化心理疏导方案): imported through counselling.services.create_plan (imported=True) and
review_plan; matched by source id; re-import unchanged; bad rows reported by column; strategies; scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.core.models import AuditEntry
from xinli.counselling.models import Plan
from xinli.imports.kinds import PLAN_COLUMNS
from xinli.imports.models import ImportJob, SourceLink
from xinli.testing.fixtures import id_number, login_verified

from .helpers import csv_bytes, good_rows, kind_csv, problems, run_kind, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(tree, personas):
    """Residents S0..S3 (tag 空巢老人) in A1v1, S4 in county B (outside the officer's area)."""
    job = run_kind(personas.county_officer, "residents", csv_bytes(good_rows(4)))
    assert job.created == 4
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    b = make_user("officer_b", [(tree.county_b, Role.HEALTH_OFFICER)])
    outside = good_rows(1, start=4, unit="370203100200")
    assert run_kind(b, "residents", csv_bytes(outside)).created == 1
    return [r[2] for r in good_rows(5)]  # their ID numbers


def _plan(**v):
    base = {"source_id": "PL1", "resident_source_id": "S0", "tag": "空巢老人", "goals": "缓解孤独", "interventions": "每两周探访",
            "partners": "家庭、社会", "started_on": "2024-01-15", "review_on": "2025-01-15", "state": "有效", "worker": "counsellor"}
    base.update(v)
    return base


GOOD = [_plan(), _plan(source_id="PL2", resident_source_id="S1", state="已结束", partners="政府")]


def test_plans_through_the_page_dry_run_then_import_then_unchanged(residents, personas):
    client = Client()
    login_verified(client, personas.county_officer)
    data = kind_csv(PLAN_COLUMNS, GOOD)
    assert upload(client, "plans", data, dry_run=True).status_code == 302
    dry = ImportJob.objects.filter(kind="plans").get()
    assert (dry.state, dry.created, dry.refused) == ("done", 2, 0) and not Plan.objects.exists()
    assert client.get(f"/imports/{dry.pk}/").status_code == 200
    client.post(f"/imports/{dry.pk}/run/")
    real = ImportJob.objects.filter(kind="plans", dry_run=False).get()
    assert (real.created, real.updated, real.unchanged, real.refused) == (2, 0, 0, 0)
    p1 = Plan.objects.get(pk=SourceLink.objects.get(kind="plans", source_id="PL1").object_id)
    assert (p1.goals, p1.partners, p1.worker.username, p1.state, p1.review_on) == (
        "缓解孤独", ["family", "social"], "counsellor", "active", datetime.date(2025, 1, 15))
    assert p1.created_at.date() == datetime.date(2024, 1, 15)
    p2 = Plan.objects.get(pk=SourceLink.objects.get(kind="plans", source_id="PL2").object_id)
    assert p2.state == "closed" and p2.closed_at is not None
    audits = AuditEntry.objects.count()
    upload(client, "plans", data, dry_run=False)
    again = ImportJob.objects.filter(kind="plans").order_by("-pk").first()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 2, 0)
    assert Plan.objects.count() == 2
    assert AuditEntry.objects.count() == audits + 2  # the job's own create and finish entries only
    assert client.get("/imports/template/plans/").status_code == 200


def test_plans_command_dry_run_writes_nothing(residents, personas, tmp_path, capsys):
    f = tmp_path / "plans.csv"
    f.write_bytes(kind_csv(PLAN_COLUMNS, GOOD))
    call_command("import_records", "plans", str(f), "--dry-run", "--user", personas.county_officer.username)
    assert "created 2" in capsys.readouterr().out and not Plan.objects.exists()


BAD = [
    _plan(source_id="B1", resident_source_id="NOPE"),                               # 2 unknown resident
    _plan(source_id="B2", resident_source_id="", tag="留守儿童"),                       # 3 no ID, no source id -> id_number; tag held? (no person)
    _plan(source_id="B3", resident_source_id="S2", tag="外星人"),                     # 4 tag unknown
    _plan(source_id="B4", resident_source_id="S2", tag="留守儿童"),                   # 5 tag not held
    _plan(source_id="B5", resident_source_id="S2", worker="nobody_here"),             # 6 worker unknown
    _plan(source_id="B6", resident_source_id="S2", worker="police_liaison"),          # 7 worker outside the area
    _plan(source_id="B7", resident_source_id="S2", started_on="2024-13-01", goals=""),  # 8 bad date AND missing goals
    _plan(source_id="B8", resident_source_id="S2", partners="邻居", state="暂停"),       # 9 partners and state
    _plan(source_id="B9", resident_source_id="S2", review_on="2023-01-01"),           # 10 review before start (service rule)
    _plan(source_id="B10", resident_source_id="S4"),                                  # 11 resident outside the area
]


def test_bad_rows_reported_by_line_and_column(residents, personas):
    job = run_kind(personas.county_officer, "plans", kind_csv(PLAN_COLUMNS, BAD), dry_run=True)
    assert (job.created, job.refused) == (0, 10)
    assert problems(job) == [(2, "resident_source_id"), (3, "id_number"), (4, "tag"), (5, "tag"), (6, "worker"), (7, "worker"),
                             (8, "goals"), (8, "started_on"), (9, "partners"), (9, "state"), (10, "review_on"), (11, "resident_source_id")]
    assert all(" / " in m for m in job.problems.values_list("message", flat=True))


def test_strategies(residents, personas):
    officer = personas.county_officer
    # update only: an unknown plan is refused.
    job = run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, [GOOD[0]]), strategy="update")
    assert (job.created, job.refused) == (0, 1) and problems(job) == [(2, "source_id")]
    assert run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, [GOOD[0]]), strategy="create").created == 1
    later = datetime.date.today() + datetime.timedelta(days=30)
    changed = [_plan(review_on=later.isoformat())]
    # create only: a known plan with another review date is refused, the archive keeps its date.
    job = run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, changed), strategy="create")
    assert (job.updated, job.refused) == (0, 1) and Plan.objects.get().review_on == datetime.date(2025, 1, 15)
    # update: the review date moves (review_plan); then closing it.
    job = run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, changed), strategy="update")
    assert (job.updated, job.refused) == (1, 0) and Plan.objects.get().review_on == later
    job = run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, [_plan(review_on=later.isoformat(), state="已结束")]), strategy="upsert")
    assert job.updated == 1 and Plan.objects.get().state == "closed"
    # goals are not changed by an import: refused naming the column.
    job = run_kind(officer, "plans", kind_csv(PLAN_COLUMNS, [_plan(review_on=later.isoformat(), state="已结束", goals="新目标")]))
    assert problems(job) == [(2, "goals")] and Plan.objects.get().goals == "缓解孤独"


def test_scope_refusal_for_an_importer_of_another_county(residents, tree, personas):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    b = make_user("officer_b2", [(tree.county_b, Role.HEALTH_OFFICER)])
    job = run_kind(b, "plans", kind_csv(PLAN_COLUMNS, [_plan(resident_source_id="", id_number=id_number("19600110", 100))]))
    assert (job.created, job.refused) == (0, 1) and problems(job) == [(2, "id_number")]
    assert not Plan.objects.exists()
