"""Both Word reports show each indicator in its own unit (``indicators.display.format_value``) and its numerator and
denominator as counted (``format_parts``: T11's and WF1's pre-scaled numerators divided back), whoever asks."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from docx import Document

from xinli.indicators.display import format_parts
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.reports import annual, pilot

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year - 1


def _put(unit, code, num, den, value, year=YEAR):
    Rollup.objects.create(indicator=code, period=str(year), org_unit=unit, org_path=unit.path, numerator=num, denominator=den,
                          value=None if value is None else Decimal(value))


def _rows(content: bytes) -> tuple[dict[str, list[str]], str]:
    """The indicator tables' rows by code (first cell "T20 …") and the paragraphs' text."""
    doc = Document(io.BytesIO(content))
    rows = {}
    for table in doc.tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            code = cells[0].split(" ")[0]
            if code in REGISTRY:
                rows[code] = cells
    return rows, "\n".join(p.text for p in doc.paragraphs)


@pytest.fixture
def values(tree):
    county = tree.county_a
    _put(county, "T20", 3, None, "3")  # 3 extreme incidents (a count) …
    _put(county, "T20", 2, None, "2", year=YEAR - 1)  # … against last year's 2: the target, not met
    _put(county, "T11", 213, 50000, "4.26")  # 213 patients in register ÷ 50,000 residents × 1000 = 4.26 ‰
    _put(county, "WF1", 27, 50000, "5.4")  # 27 staff ÷ 50,000 residents × 10,000 = 5.4 per 10,000
    _put(county, "T01", 136, 195, "0.697436")  # 136 of 195 villages = 69.7 %
    _put(county, "T08", 1, None, "1")  # yes
    return county


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_annual_summary_shows_each_indicator_in_its_unit(values, language):
    with translation.override(language):  # an English-speaking officer gets the same Chinese document
        rows, _text = _rows(annual.build(values, YEAR))
    assert rows["T20"][1:4] == ["3", "3", "2"]  # value, numerator alone (no denominator), target: counts, not "300.0%"
    assert rows["T11"][1:4] == ["4.26‰", "213 / 50,000", "4.50‰"]
    assert rows["WF1"][1:3] == ["5.4/万人", "27 / 50,000"]
    assert rows["T01"][1:4] == ["69.7%", "136 / 195", "80.0%"]
    assert rows["T08"][1:3] == ["是", "1"]
    cells = " ".join(" ".join(r) for r in rows.values())
    assert "300.0%" not in cells and "213000" not in cells and "270000" not in cells


def test_pilot_report_shows_each_indicator_in_its_unit(values):
    with translation.override("en"):
        rows, text = _rows(pilot.build(values, YEAR))
    assert rows["T20"][1:4] == ["3", "3", "2"]
    assert rows["T11"][1:3] == ["4.26‰", "213 / 50,000"] and rows["WF1"][1:3] == ["5.4/万人", "27 / 50,000"]
    assert rows["T01"][1:3] == ["69.7%", "136 / 195"] and rows["T08"][1] == "是"
    # T20 is above last year's count, so it is listed among the problems — as a count with its count target.
    assert "T20 因心理问题导致的极端案(事)件：3（目标 2）" in text and "300.0%" not in text


@pytest.mark.parametrize(("code", "num", "den", "shown"), [
    ("T01", "136.0000", "195.0000", "136 / 195"),
    ("T11", "213.0000", "50000.0000", "213 / 50,000"),  # stored unscaled
    ("WF1", "27.0000", "50000.0000", "27 / 50,000"),
    ("WF1", "2.5000", "10000.0000", "2.5 / 10,000"),
    ("T20", "3.0000", None, "3"),
    ("T08", "0.0000", None, "0"),
    ("T01", None, None, "—"),
])
def test_parts_are_shown_as_counted(code, num, den, shown):
    rollup = Rollup(numerator=None if num is None else Decimal(num), denominator=None if den is None else Decimal(den))
    assert format_parts(rollup, REGISTRY[code]) == shown
    assert format_parts(None, REGISTRY[code]) == "—"
