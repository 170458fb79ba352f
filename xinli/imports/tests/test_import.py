"""Import for real: through the page and the command; re-import changes nothing; a killed import resumes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.archives.models import Consent, Person, PopulationTag
from xinli.core.models import AuditEntry
from xinli.imports import services
from xinli.imports.models import ImportJob
from xinli.testing.fixtures import login_verified

from .helpers import csv_bytes, good_rows, row, write

pytestmark = pytest.mark.django_db


def _by_source(source_id: str) -> Person:
    from xinli.imports.models import SourceLink

    return Person.objects.get(pk=SourceLink.objects.get(source_id=source_id).object_id)


def _upload(client, data: bytes, *, dry_run: bool, name="residents.csv", strategy="upsert"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = {"file": SimpleUploadedFile(name, data), "kind": "residents", "strategy": strategy}
    if dry_run:
        post["dry_run"] = "1"
    return client.post("/imports/new/", post)


def test_import_through_the_page_then_again_unchanged(tree, personas):
    client = Client()
    login_verified(client, personas.county_officer)
    form = client.get("/imports/new/").content.decode()  # templates first, then the form; each strategy explained
    assert "第一步：填写模板" in form and 'href="/imports/template/residents/?format=csv"' in form
    assert "只登记档案中尚没有的记录" in form and "找不到对应记录的行会作为问题列出" in form and "请先试运行" in form
    data = csv_bytes(good_rows(3) + [row(name="坏", id_number="1", org_unit_code="370202001001")])
    r = _upload(client, data, dry_run=True)
    assert r.status_code == 302
    dry = ImportJob.objects.get()
    assert (dry.state, dry.created, dry.refused) == ("done", 3, 1) and Person.objects.count() == 0
    page = client.get(f"/imports/{dry.pk}/")
    assert page.status_code == 200 and "身份证号" in page.content.decode()
    assert "有 1 行存在问题：现在正式导入，这些行会被拒绝" in page.content.decode()  # said before importing for real
    # Import the checked file for real from the dry run's page.
    r = client.post(f"/imports/{dry.pk}/run/")
    real = ImportJob.objects.exclude(pk=dry.pk).get()
    assert r.status_code == 302 and r["Location"] == f"/imports/{real.pk}/"
    assert (real.created, real.updated, real.unchanged, real.refused, real.rows_done) == (3, 0, 0, 1, 4)
    assert Person.objects.count() == 3 and PopulationTag.objects.count() == 3 and Consent.objects.count() == 3
    assert real.digest == dry.digest and len(real.digest) == 64
    progress = client.get(f"/imports/{real.pk}/progress/").json()
    assert progress["percent"] == 100 and progress["rows_done"] == 4
    # The same file again: nothing changes.
    audits = AuditEntry.objects.filter(object_type__icontains="person").count()
    _upload(client, data, dry_run=False)
    again = ImportJob.objects.order_by("-pk").first()
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 3, 1)
    assert Person.objects.count() == 3 and PopulationTag.objects.count() == 3 and Consent.objects.count() == 3
    assert AuditEntry.objects.filter(object_type__icontains="person").count() == audits
    history = client.get("/imports/").content.decode()
    assert "residents.csv" in history and again.digest[:12] in history


def test_update_strategy_changes_only_what_differs(tree, personas, tmp_path):
    officer = personas.county_officer
    rows = good_rows(2)
    call_command("import_records", "residents", write(tmp_path, rows), "--user", officer.username)
    rows[1][6] = "新地址1号"  # address
    rows[0][8] = "空巢老人、丧偶老人"  # tags
    call_command("import_records", "residents", write(tmp_path, rows), "--strategy", "update", "--user", officer.username)
    job = ImportJob.objects.order_by("-pk").first()
    assert (job.created, job.updated, job.unchanged, job.refused) == (0, 2, 0, 0)
    assert _by_source("S1").address == "新地址1号"
    assert sorted(_by_source("S0").tags.filter(until__isnull=True).values_list("tag", flat=True)) == \
        ["elderly_empty_nest", "elderly_widowed"]
    # create only: a changed known person is refused, the archive keeps its values.
    rows[1][6] = "又一个地址"
    call_command("import_records", "residents", write(tmp_path, rows), "--strategy", "create", "--user", officer.username)
    job = ImportJob.objects.order_by("-pk").first()
    assert (job.created, job.updated, job.unchanged, job.refused) == (0, 0, 1, 1)
    assert _by_source("S1").address == "新地址1号"


def test_killed_import_resumes_from_its_checkpoint(tree, personas, tmp_path):
    """12 rows in batches of 5: killed after 2 batches (10 rows committed), resumed: 12 persons, no duplicate."""
    officer = personas.county_officer
    path, digest, _ = services.store_file("r.csv", [csv_bytes(good_rows(12))])
    job = services.create_job(officer, kind="residents", strategy="upsert", dry_run=False, file_name="r.csv", path=path, digest=digest)
    batches = []

    def kill(j):
        batches.append(j.pk)
        if len(batches) == 2:
            raise RuntimeError("worker killed")

    services.after_batch = kill
    try:
        with pytest.raises(RuntimeError):
            services.run(job.pk, batch_size=5)
    finally:
        services.after_batch = None
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.created) == ("running", 10, 10)
    assert Person.objects.count() == 10
    client = Client()
    login_verified(client, officer)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "导入中" in page and "生成中" not in page  # an import's state, not a report's
    job = services.run(job.pk, batch_size=5)
    assert (job.state, job.rows_done, job.created, job.unchanged, job.refused) == ("done", 12, 12, 0, 0)
    assert Person.objects.count() == 12 and PopulationTag.objects.count() == 12
    assert len(services.created_person_ids(job)) == 12 == len(set(services.created_person_ids(job)))


def test_command_dry_run_writes_nothing_and_refuses_a_user_without_the_capability(tree, personas, tmp_path, capsys):
    f = write(tmp_path, good_rows(2))
    call_command("import_records", "residents", f, "--dry-run", "--user", personas.county_officer.username)
    assert "created 2" in capsys.readouterr().out and Person.objects.count() == 0
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_records", "residents", f, "--user", personas.village_worker_1.username)
    assert Person.objects.count() == 0


def test_pages_refuse_without_the_capability_and_outside_the_area(tree, personas):
    client = Client()
    login_verified(client, personas.village_worker_1)
    assert client.get("/imports/").status_code == 404
    assert client.get("/imports/new/").status_code == 404


def test_id_number_held_outside_the_area_is_refused_and_a_review_requested(tree, personas, people, tmp_path):
    from xinli.archives.models import DuplicateRequest

    outsider = people.in_b1v1  # county B; the importer works in county A
    rows = good_rows(2) + [row(name="重复", id_number=outsider.id_number, org_unit_code="370202001001")]
    call_command("import_records", "residents", write(tmp_path, rows), "--user", personas.county_officer.username)
    job = ImportJob.objects.get()
    assert (job.created, job.refused) == (2, 1)
    problem = job.problems.get()
    assert (problem.line, problem.column) == (4, "id_number") and "review" in problem.message
    assert DuplicateRequest.objects.filter(status="open").count() == 1
    assert Person.objects.filter(org_path__startswith=tree.county_a.path).count() == \
        2 + len([p for p in people.all() if p.org_path.startswith(tree.county_a.path)])


def test_a_second_run_of_a_job_whose_checkpoint_moved_on_stops_without_counting(tree, personas):
    """Two workers resuming one job: the one that finds the checkpoint moved rolls its batch back and stops."""
    officer = personas.county_officer
    path, digest, _ = services.store_file("r.csv", [csv_bytes(good_rows(6))])
    job = services.create_job(officer, kind="residents", strategy="upsert", dry_run=False, file_name="r.csv", path=path, digest=digest)

    def other_worker(j):
        services.after_batch = None
        ImportJob.objects.filter(pk=j.pk).update(rows_done=6, created=6)  # the other run finished meanwhile

    services.after_batch = other_worker
    try:
        services.run(job.pk, batch_size=3)
    finally:
        services.after_batch = None
    job.refresh_from_db()
    assert (job.rows_done, job.created) == (6, 6)  # not 9: the second batch was not counted again
    assert Person.objects.count() == 3  # (the first batch's 3; the other worker is simulated by the counts only)


def test_possible_duplicates_of_the_new_records_go_to_the_review_list(tree, personas, tmp_path):
    """An imported 居民0 (born 1960-01-10) beside an archive record of the same name and birth date with another ID
    number: the pair is listed for review after the import, nothing is merged; a dry run lists nothing."""
    import datetime

    from xinli.archives.models import PossibleDuplicate
    from xinli.archives.services import register_person
    from xinli.testing.fixtures import id_number

    officer = personas.county_officer
    existing = register_person(officer, {"name": "居民0", "id_number": id_number("19600110", seq=999),
                                         "birth_date": datetime.date(1960, 1, 10), "org_unit": tree.a1v2}).person
    for dry_run in (True, False):
        path, digest, _ = services.store_file("r.csv", [csv_bytes(good_rows(2))])
        job = services.create_job(officer, kind="residents", strategy="upsert", dry_run=dry_run, file_name="r.csv", path=path, digest=digest)
        services.run(job.pk)
        if dry_run:
            assert not PossibleDuplicate.objects.exists()
    (pair,) = PossibleDuplicate.objects.all()
    imported = Person.objects.get(pk=services.created_person_ids(job)[0])  # the first row: 居民0
    assert imported.name == "居民0" and imported.pk != existing.pk
    assert {pair.person_a_id, pair.person_b_id} == {existing.pk, imported.pk} and pair.state == "open"
    assert Person.objects.count() == 3  # nothing merged
