"""A residents import's worker process (``imports.worker``) prepares each next batch; the import's outcome is the
same with it as without it, and a worker that fails, dies, falls silent or sends another batch is given up and the
import finishes in-process."""

from __future__ import annotations

import os
import time

import pytest

from xinli.archives.models import Consent, Person, PopulationTag
from xinli.archives.normalize import normalize_id_number, normalize_phone
from xinli.core.fields import blind_index
from xinli.imports import services, worker
from xinli.imports.kinds import KINDS
from xinli.imports.models import Kind

from .helpers import csv_bytes, good_rows, row

pytestmark = pytest.mark.django_db


def _rows() -> list[list[str]]:
    rows = good_rows(25)
    rows[3][5] = "13912345678"  # a phone: its blind index too
    rows.insert(7, row())  # blank
    rows.insert(12, row(name="坏", id_number="1", sex="X", org_unit_code="370202001001", tags="没有"))  # three problems
    rows.insert(18, row(name="外", id_number=good_rows(1, start=90)[0][2], org_unit_code="999999999999"))  # not our area
    rows.append(rows[0])  # the same person twice
    return rows


@pytest.fixture
def taken(monkeypatch):
    """What the importing process took from its workers: [(batch start, number of rows prepared)]."""
    out = []
    take = worker.Prefetch.take

    def spy(self, start):
        got = take(self, start)
        out.append((start, len(got)))
        return got

    monkeypatch.setattr(worker.Prefetch, "take", spy)
    return out


def _run(user, data: bytes, *, dry_run=False, batch_size=10):
    path, digest, _ = services.store_file("f.csv", [data])
    job = services.create_job(user, kind=Kind.RESIDENTS, strategy="upsert", dry_run=dry_run, file_name="f.csv",
                              path=path, digest=digest)
    return services.run(job.pk, batch_size=batch_size)


def _report(job):
    return ((job.state, job.created, job.updated, job.unchanged, job.refused, job.rows_done),
            list(job.problems.order_by("line", "column", "message").values_list("line", "column", "message")))


def test_the_worker_prepares_every_next_batch_and_the_outcome_is_the_same_as_without_it(tree, personas, settings, taken):
    data = csv_bytes(_rows())
    settings.XINLI_IMPORT_PREPARE_PROCESS = False
    alone = _report(_run(personas.county_officer, data, dry_run=True))
    assert taken == []
    settings.XINLI_IMPORT_PREPARE_PROCESS = True
    assert _report(_run(personas.county_officer, data, dry_run=True)) == alone
    assert taken == [(0, 9), (10, 10), (20, 9)]  # three batches, every row but the blank one prepared by the worker
    # A dry run rolls each batch back: the last row, the first person again, is new again there.
    assert alone[0] == ("done", 26, 0, 0, 2, 29) and {c for _l, c, _m in alone[1]} >= {"sex", "id_number", "tags", "org_unit_code"}
    taken.clear()
    job = _run(personas.county_officer, data)
    assert _report(job)[0] == ("done", 25, 0, 1, 2, 29) and len(taken) == 3
    # Stored as the services store them: readable fields, blind indexes of the cleaned values, tags and consents.
    assert Person.objects.count() == 25 and PopulationTag.objects.count() == 25 and Consent.objects.count() == 25
    for r in good_rows(25):
        person = Person.objects.get(id_number_bidx=blind_index("id_number", r[2], normalize_id_number))
        assert (person.name, person.id_number, person.address) == (r[1], r[2], r[6])
        assert person.name_bidx == blind_index("name", r[1], Person._meta.get_field("name_bidx").normalizer)
        assert person.birth_date is not None and person.sex in ("M", "F")
    phoned = Person.objects.get(phone_bidx=blind_index("phone", "13912345678", normalize_phone))
    assert phoned.phone == "13912345678"


def test_a_small_import_needs_no_worker(tree, personas, taken):
    assert _run(personas.county_officer, csv_bytes(good_rows(10))).created == 10
    assert taken == []


def _exits(batch):
    os._exit(3)


def _raises(batch):
    raise ZeroDivisionError("broken prepare")


def _sleeps(batch):
    time.sleep(30)


def _queries(batch):
    return {line: Person.objects.count() for line, _row in batch}


@pytest.mark.parametrize("prepare, why", [(_exits, "it ended"), (_raises, "ZeroDivisionError"), (_sleeps, "no batch"),
                                          (_queries, "may not query the database")])
def test_a_worker_that_dies_fails_or_falls_silent_is_given_up_and_the_import_finishes(tree, personas, monkeypatch, prepare, why):
    given_up = []
    give_up = worker.Prefetch._give_up
    monkeypatch.setattr(worker.Prefetch, "_give_up", lambda self, reason: given_up.append(reason) or give_up(self, reason))
    monkeypatch.setattr(worker, "SILENCE", 0.5)
    monkeypatch.setattr(KINDS[Kind.RESIDENTS], "prepare", prepare)
    job = _run(personas.county_officer, csv_bytes(good_rows(30)))
    assert (job.state, job.created, job.refused, job.rows_done) == ("done", 30, 0, 30)
    assert Person.objects.count() == 30 and PopulationTag.objects.count() == 30
    assert len(given_up) == 1 and why in given_up[0]


def _prefetch(batches, prepare):
    return worker.Prefetch(iter(batches), prepare)


def test_prefetch_sends_each_batch_with_its_start_and_refuses_another_start():
    batches = [(0, [(2, {"a": 1}), (3, {"a": 2})]), (2, [(4, {"a": 3})])]
    prefetch = _prefetch(batches, lambda batch: {line: r["a"] * 10 for line, r in batch})
    try:
        assert prefetch.take(0) == {2: 10, 3: 20} and prefetch.take(2) == {4: 30} and prefetch.received == 2
    finally:
        prefetch.stop()
    prefetch = _prefetch(batches, lambda batch: {})
    pid = prefetch.pid
    assert prefetch.take(5) == {} and "expected 5" in prefetch.given_up
    assert prefetch.take(0) == {} and prefetch.pid is None  # given up for good, and the process is gone
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_the_setting_turns_the_worker_off(settings):
    settings.XINLI_IMPORT_PREPARE_PROCESS = False
    assert worker.start(iter([]), lambda batch: {}, 10_000, 2000) is None
    settings.XINLI_IMPORT_PREPARE_PROCESS = True
    assert worker.start(iter([]), lambda batch: {}, 2000, 2000) is None  # one batch: nothing to prepare ahead
    prefetch = worker.start(iter([]), lambda batch: {}, 2001, 2000)
    try:
        assert isinstance(prefetch, worker.Prefetch) and prefetch.take(0) == {} and "no more batches" in prefetch.given_up
    finally:
        prefetch.stop()
