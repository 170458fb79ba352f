"""The read-replica alias: with XINLI_REPLICA_DATABASE_URL configured, dashboards, the values API and exports read
rollups (and the report's aggregate counts) from "replica", while audit entries and every other write stay on
"default"; without it everything reads "default".

The alias is registered here at run time exactly as settings.py does it (same database, ``TEST: MIRROR default``),
so the rest of the suite runs without it. The replica is a second connection, so it sees only committed rows: the
replica tests are transactional (``transaction=True``) and must name both databases for pytest-django.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from xinli.core.db import REPLICA, read_alias
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.indicators import services as indicators
from xinli.reports.models import Report
from xinli.testing.fixtures import login_verified, make_user

YEAR = datetime.date.today().year
ROLLUP = "indicators_rollup"
# XINLI_REPLICA_DATABASE_URL set for this run: settings.py defined the alias (mirroring the test database) already.
CONFIGURED = REPLICA in connections.settings


def _tables(ctx, table):
    return [q["sql"] for q in ctx.captured_queries if table in q["sql"]]


def _officer_client(tree):
    from xinli.network import services as network

    officer = make_user("replica_officer", [(tree.city, Role.HEALTH_OFFICER)])
    network.create_site(officer, org_unit=tree.a1v1, name="咨询室1", kind="village_room", opened_on=datetime.date(YEAR - 1, 1, 1))
    indicators.rebuild(YEAR, codes={"T01"})
    client = Client()
    login_verified(client, officer)
    return client


@pytest.mark.skipif(CONFIGURED, reason="XINLI_REPLICA_DATABASE_URL is set")
@pytest.mark.django_db
def test_without_a_replica_dashboards_read_default(tree):
    assert REPLICA not in connections.settings and read_alias() == "default"
    client = _officer_client(tree)
    with CaptureQueriesContext(connections["default"]) as ctx:
        r = client.get("/indicators/export.xlsx", {"org": tree.city.code, "year": str(YEAR)})
    assert r.status_code == 200 and _tables(ctx, ROLLUP)


@pytest.fixture(scope="class")
def replica(django_db_setup):
    """Register the "replica" alias as settings.py would for XINLI_REPLICA_DATABASE_URL, pointing at the test
    database (what ``TEST: {"MIRROR": "default"}`` does), and remove it afterwards."""
    if CONFIGURED:
        yield REPLICA
        return
    cfg = {**connections["default"].settings_dict}
    cfg["TEST"] = {**cfg.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = cfg
    yield REPLICA
    connections[REPLICA].close()
    del connections[REPLICA]
    connections.settings.pop(REPLICA, None)


@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
@pytest.mark.usefixtures("replica")
class TestWithReplica:
    def test_dashboards_api_and_excel_read_rollups_from_the_replica(self, tree):
        assert read_alias() == REPLICA
        client = _officer_client(tree)
        with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[REPLICA]) as rep:
            pages = [
                client.get("/indicators/", {"org": tree.city.code, "year": str(YEAR)}),
                client.get("/indicators/", {"org": tree.city.code, "year": str(YEAR), "format": "xlsx"}),
                client.get("/indicators/T01/", {"org": tree.county_a.code, "year": str(YEAR)}),
                client.get("/indicators/export.xlsx", {"org": tree.city.code, "year": str(YEAR)}),
                client.get("/api/v1/indicators/values/", {"indicator": "T01", "org": tree.city.code, "period": str(YEAR)}),
            ]
        assert [p.status_code for p in pages] == [200] * 5
        assert _tables(rep, ROLLUP) and not _tables(primary, ROLLUP)
        # The replica answered with the committed rollups: T01 of the city is 1 of 4 villages.
        rows = list(load_workbook(io.BytesIO(pages[3].content)).active.iter_rows(min_row=2, values_only=True))
        city = next(row for row in rows if row[0] == tree.city.code and row[2] == "T01")
        assert city[4:7] == (0.25, 1, 4)
        assert Decimal(pages[4].json()["results"][0]["value"]) == Decimal("0.25")

    def test_report_reads_aggregates_from_the_replica_and_audits_on_default(self, tree):
        client = _officer_client(tree)
        audits = AuditEntry.objects.using("default").count()
        with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[REPLICA]) as rep:
            client.post("/reports/", {"org": tree.city.code, "year": str(YEAR)})  # Huey is immediate: built on commit
        report = Report.objects.using("default").get()
        assert report.state == "done" and b"word/document.xml" in bytes(report.content)
        assert _tables(rep, ROLLUP) and _tables(rep, "archives_person")  # rollups and the residents' count
        assert not _tables(primary, ROLLUP) and not _tables(primary, "archives_person")
        # The export is audited on the primary, never on the replica.
        assert AuditEntry.objects.using("default").filter(action="export", object_type="reports.report").exists()
        assert AuditEntry.objects.using("default").count() > audits
        assert not [q for q in rep.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
        assert [q for q in primary.captured_queries if "INSERT" in q["sql"].upper() and "core_auditentry" in q["sql"]]
