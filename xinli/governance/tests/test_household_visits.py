"""Grids and household visits (issue 19 part 2): grid cells imported like org units; a visit records the plan's risk
signs, a dispute and needs, and the declared rules tag the person (T09), open a plan, raise an alert and send work
orders; bad input names the field and writes nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.archives.models import PopulationTag
from xinli.counselling.models import Plan
from xinli.governance import grids
from xinli.governance.models import GridCell, GridResident, HouseholdVisit, WorkOrder
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def grid(offices, tree):
    report = grids.import_grids("code,name,org_unit_code,households,worker\n"
                                f"{tree.a1v1.code}-01,太平角第一网格,{tree.a1v1.code},320,village_worker_1\n")
    assert report.ok, report.errors
    return GridCell.objects.get()


def test_grid_import_reports_every_bad_row_and_writes_nothing(tree, offices):
    report = grids.import_grids("code,name,org_unit_code,households,worker\n"
                                f"{tree.a1v1.code}-01,一网格,{tree.a1v1.code},x,\n"
                                f"{tree.a1.code}-01,街道网格,{tree.a1.code},10,\n"
                                f"{tree.a1v1.code}-02,,{tree.a1v1.code},10,nobody_here\n")
    assert sorted({line for line, _m in report.errors}) == [2, 3, 4]
    assert not GridCell.objects.exists()


def test_a_visit_with_signs_a_dispute_and_needs_sets_everything_in_motion(grid, offices, people):
    person = people.in_a1v1
    visit = grids.record_visit(offices.grid_worker, person, grid=grid, visited_on=TODAY(), situation="夫妻常争吵，丈夫失业",
                               risk_signs=["conflict", "abnormal_behaviour"], needs=["poverty"], dispute_type="neighbour",
                               dispute_parties="与邻居因噪音争执", mediation="refer", refer_needs=True)
    assert GridResident.objects.get(person=person).grid == grid
    assert set(PopulationTag.objects.filter(person=person, until__isnull=True).values_list("tag", flat=True)) >= {"conflict_distress"}
    plan = Plan.objects.get(person=person)
    assert visit.actions["plan"] == {"opened": plan.pk} and plan.worker == offices.grid_worker
    alert = Alert.objects.get(pk=visit.actions["alert"])
    assert alert.level == "orange" and "行为失常" in alert.summary_text()
    orders = {o["kind"]: o for o in visit.actions["orders"]}
    assert orders["dispute_mediation"]["sent"] and orders["hardship_aid"]["sent"]
    assert WorkOrder.objects.get(pk=orders["dispute_mediation"]["order"]).office == offices.justice_a1
    assert WorkOrder.objects.get(pk=orders["hardship_aid"]["order"]).office == offices.civil_a1
    # A second visit with the same signs: the tag and the plan exist already, nothing is doubled.
    again = grids.record_visit(offices.grid_worker, person, grid=grid, visited_on=TODAY(), risk_signs=["conflict"])
    assert "tags" not in again.actions and Plan.objects.filter(person=person).count() == 1
    assert "plan" not in again.actions


def test_a_visit_without_signs_changes_nothing_else(grid, offices, people):
    visit = grids.record_visit(offices.grid_worker, people.in_a1v1, grid=grid, visited_on=TODAY(), situation="一切正常")
    assert visit.actions == {} and not Alert.objects.exists() and not WorkOrder.objects.exists()


def test_bad_visits_name_the_field_and_write_nothing(grid, offices, people, tree):
    person = people.in_a1v1
    cases = [
        ({"visited_on": TODAY() + datetime.timedelta(days=1)}, "visited_on"),
        ({"dispute_type": "neighbour", "mediation": "refer"}, "dispute_parties"),
        ({"dispute_type": "neighbour", "dispute_parties": "甲乙", "mediation": "mediating"}, "mediator"),
        ({"mediation": "resolved"}, "dispute_type"),
        ({"risk_signs": ["bored"]}, "risk_signs"),
    ]
    for extra, field in cases:
        kwargs = {"visited_on": TODAY(), **extra}
        with pytest.raises(ValidationError) as err:
            grids.record_visit(offices.grid_worker, person, grid=grid, **kwargs)
        assert field in err.value.message_dict, (extra, err.value.message_dict)
    with pytest.raises(PermissionDenied):  # a resident of another county
        grids.record_visit(offices.grid_worker, people.in_b1v1, grid=grid, visited_on=TODAY())
    other = people.in_a1v2  # same township, another village: not this grid's
    with pytest.raises(PermissionDenied):
        grids.record_visit(offices.grid_worker, other, grid=grid, visited_on=TODAY())
    assert not HouseholdVisit.objects.exists() and not GridResident.objects.exists()


def test_the_grid_worker_records_a_visit_on_the_page(grid, offices, people):
    person = people.in_a1v1
    client = Client()
    login_verified(client, offices.grid_worker)
    assert f"/grids/visit/?person={person.pk}" in client.get(f"/persons/{person.pk}/").content.decode()
    page = client.get(f"/grids/visit/?person={person.pk}").content.decode()
    shown = re.sub(r"<[^>]+>", " ", page.split("<main>")[1])  # the visible text: no English label or raw code
    assert "太平角第一网格" in shown and "矛盾突出" in shown and "risk" not in shown and "abnormal_behaviour" not in shown
    r = client.post(f"/grids/visit/?person={person.pk}", {"grid": grid.pk, "visited_on": "", "situation": "x"})
    assert r.status_code == 400 and "走访日期" in r.content.decode()
    r = client.post(f"/grids/visit/?person={person.pk}", {"grid": grid.pk, "visited_on": TODAY().isoformat(),
                                                          "situation": "情绪低落", "risk_signs": ["frustration"]})
    assert r.status_code == 302
    listing = client.get(f"/grids/{grid.pk}/").content.decode()
    assert person.name in listing and "生活失意" in listing
    assert client.get("/grids/").status_code == 200


def test_the_grid_import_command_writes_all_or_nothing(tree, offices, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.csv"
    bad.write_text(f"code,name,org_unit_code\n{tree.a1v1.code}-01,,{tree.a1v1.code}\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_grids", str(bad))
    good = tmp_path / "grids.csv"
    good.write_text(f"code,name,org_unit_code\n{tree.a1v1.code}-01,一网格,{tree.a1v1.code}\n", encoding="utf-8")
    call_command("import_grids", str(good))
    assert list(GridCell.objects.values_list("name", flat=True)) == ["一网格"]
