"""Migration archives 0005 backfills the name + birth date blind index of the records already in the archive."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from xinli.archives.models import name_birth_key
from xinli.core.fields import blind_index

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("archives", "0004_transfer_transferitem")]
AFTER = [("archives", "0005_possible_duplicates_merge")]


@pytest.fixture
def back_to_latest():
    """Migrating archives back unapplies every migration that depends on it (other apps' too): the schema is put back
    to the latest state afterwards, or later tests find tables missing."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_backfill_fills_the_index_of_existing_records(tree, back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("archives", "Person")
    unit = tree.a1v1
    rows = [old.objects.create(name=name, birth_date=birth, org_unit_id=unit.pk, org_path=unit.path, county_code=unit.county_code)
            for name, birth in (("周八", datetime.date(1980, 1, 1)), ("周八", None), ("吴十", datetime.date(1990, 5, 5)))]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("archives", "Person")
    got = {p.pk: p.name_birth_bidx for p in new.objects.filter(pk__in=[r.pk for r in rows])}
    assert got == {
        rows[0].pk: blind_index("name_birth", name_birth_key("周八", datetime.date(1980, 1, 1))),
        rows[1].pk: None,  # no birth date: no index
        rows[2].pk: blind_index("name_birth", name_birth_key("吴十", datetime.date(1990, 5, 5))),
    }
    assert got[rows[0].pk] != got[rows[2].pk]
