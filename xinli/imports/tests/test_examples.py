"""docs/examples/: every example file dry-runs with no problem against the demo city (``seed_demo --size tiny --seed 1``,
whose first village, township and accounts are those of ``--size small --seed 1``), imported in order; every
``*-bad-rows.csv`` reports its problems by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from xinli.accounts.models import User

from .helpers import problems, run_kind

EXAMPLES = Path(settings.BASE_DIR) / "docs" / "examples"
# (kind, importer, rows) in the order the files import into a fresh demo.
ORDER = [("residents", "county_officer", 5), ("smd_patients", "smd_doctor", 5), ("plans", "county_officer", 3),
         ("emergencies", "smd_doctor", 2), ("cases", "county_officer", 2), ("work_orders", "zongzhi_county", 3)]
BAD = {
    "residents": [(2, "name"), (3, "id_number"), (4, "sex"), (5, "birth_date"), (5, "phone"), (6, "org_unit_code"),
                  (7, "org_unit_code"), (8, "tags"), (9, "consents"), (10, "sex"), (11, "org_unit_code")],
    "smd_patients": [(2, "diagnosis"), (3, "id_number"), (4, "follow_up_date"), (5, "risk"), (6, "org_unit_code"), (7, "insight"),
                     (8, "mode"), (9, "follow_up_date")],
    "plans": [(2, "resident_source_id"), (3, "tag"), (4, "tag"), (5, "worker"), (6, "worker"), (7, "goals"), (7, "started_on"),
              (8, "partners"), (8, "state"), (9, "review_on"), (10, "interventions")],
    "emergencies": [(2, "id_number"), (3, "occurred_at"), (4, "trigger"), (5, "police"), (6, "team"), (7, "actions"), (7, "outcome"),
                    (8, "completed_on"), (9, "occurred_at"), (10, "id_number")],
    "work_orders": [(2, "source_id"), (3, "kind"), (4, "title"), (5, "org_unit_code"), (6, "department")],
    "cases": [(2, "state"), (3, "resident_source_id"), (4, "counsellor"), (5, "counsellor"), (6, "opened_on"), (7, "closed_on"),
              (8, "closing_summary"), (8, "reason")],
}


@pytest.mark.django_db
def test_example_files_import_in_order_into_the_demo_city_and_bad_rows_are_reported(tmp_path):
    call_command("seed_demo", size="tiny", seed=1, accounts_file=str(tmp_path / "accounts.json"))
    for kind, username, rows in ORDER:
        user = User.objects.get(username=username)
        data = (EXAMPLES / f"{kind}.csv").read_bytes()
        dry = run_kind(user, kind, data, dry_run=True, name=f"{kind}.csv")
        assert (dry.state, dry.refused, problems(dry)) == ("done", 0, []), list(dry.problems.values_list("line", "message"))
        assert dry.created == (rows if kind != "smd_patients" else 2)
        real = run_kind(user, kind, data, name=f"{kind}.csv")
        assert (real.created, real.refused) == (dry.created, 0)
    for kind, username, _rows in ORDER:  # the same files again: nothing changes
        again = run_kind(User.objects.get(username=username), kind, (EXAMPLES / f"{kind}.csv").read_bytes())
        assert (again.created, again.updated, again.refused, again.unchanged) == (0, 0, 0, 2 if kind == "smd_patients" else _rows)
    for kind, username, _rows in ORDER:
        bad = run_kind(User.objects.get(username=username), kind, (EXAMPLES / f"{kind}-bad-rows.csv").read_bytes(), dry_run=True)
        assert bad.state == "done" and bad.created == 0
        assert problems(bad) == BAD[kind], (kind, list(bad.problems.values_list("line", "column", "message")))
    # The 12345 orders went through the work-order service: to the kind's department, or the one named.
    from xinli.governance.models import WorkOrder

    sent = {o.external_id: o.department.code for o in WorkOrder.objects.filter(external_id__startswith="import:")}
    assert sent == {"import:12345-2026-000101": "civil_affairs", "import:12345-2026-000102": "justice",
                    "import:12345-2026-000103": "health"}
