"""The scorecard shows each value and target in its indicator's own unit (a rate as a percentage, ‰, per 10,000,
a count, yes/no) instead of raw fractions, and every column has a header (the drill-down one too)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from xinli.core.policy import Role
from xinli.indicators.display import format_value
from xinli.indicators.models import Rollup
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def _put(unit, code, num, den, value):
    Rollup.objects.create(indicator=code, period=str(YEAR), org_unit=unit, org_path=unit.path, numerator=num,
                          denominator=den, value=Decimal(value))


@pytest.mark.parametrize(("kind", "value", "shown"), [
    ("rate", "0.697333", "69.7%"), ("rate", "1", "100.0%"), ("rate", "0.002", "0.2%"), ("rate", "0.8", "80.0%"),
    ("permille", "4.26", "4.26‰"), ("per10k", "5.448", "5.4/万人"), ("count", "3", "3"), ("flag", "1", "是"),
    ("flag", "0", "否"), ("rate", None, "—"),
])
def test_values_are_shown_in_their_unit(kind, value, shown):
    assert format_value(None if value is None else Decimal(value), kind) == shown


def test_scorecard_shows_units_and_labels_every_column(tree):
    county = tree.county_a
    _put(county, "T01", 136, 195, "0.697436")
    _put(county, "T11", 213000, 50000, "4.26")
    _put(county, "WF1", 27240, 50000, "0.5448")
    _put(county, "T08", 1, None, "1")
    officer = make_user("units_officer", [(tree.city, Role.HEALTH_OFFICER)])
    client = Client()
    login_verified(client, officer)
    html = client.get("/indicators/", {"org": county.code, "year": str(YEAR)}).content.decode()
    table = html.split("<table>")[1].split("</table>")[0]
    assert "<th></th>" not in table  # the code and drill-down columns are labelled
    assert "<th>代码</th>" in table and "<th>下级区划排名</th>" in table

    def row(code):
        return re.sub(r"<[^>]+>", " ", table.split(f">{code}</a>")[1].split("</tr>")[0])

    assert "69.7%" in row("T01") and "80.0%" in row("T01")  # value and target (0.8) as percentages
    assert "4.26‰" in row("T11") and "4.50‰" in row("T11")
    assert "0.5/万人" in row("WF1")
    assert "是" in row("T08")
    assert "0.697" not in table
