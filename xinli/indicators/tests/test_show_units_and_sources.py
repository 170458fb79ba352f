"""Issue 16 item 3 (part): every indicator's value reads in its own unit on the scorecard, its indicator page and the
values API (with ``unit`` and ``indicator_source``); platform indicators are labelled so."""

import datetime
from decimal import Decimal

import pytest

from xinli.core.policy import Role
from xinli.indicators.models import Rollup
from xinli.indicators.registry import REGISTRY
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
# (numerator, denominator, value) and how the value reads: 69.7 %, 4.26 ‰, 5.4 per 10,000, 3 incidents, yes.
CELLS = {"rate": (Decimal(69700), Decimal(100000), Decimal("0.697"), "69.7%"),
         "permille": (Decimal(213), Decimal(50000), Decimal("4.26"), "4.26‰"),
         "per10k": (Decimal(27), Decimal(50000), Decimal("5.4"), "5.4"),
         "count": (Decimal(3), None, Decimal(3), "3"),
         "flag": (Decimal(1), None, Decimal(1), "是")}


@pytest.fixture
def filled(tree):
    for code, ind in REGISTRY.items():
        num, den, value, _shown = CELLS[ind.kind]
        Rollup.objects.create(indicator=code, period=str(YEAR), org_unit=tree.city, org_path=tree.city.path, numerator=num,
                              denominator=den, value=value)
    return make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])


def test_every_indicator_in_its_unit_on_the_pages_and_the_api(client, tree, filled):
    login_verified(client, filled)
    scorecard = client.get(f"/indicators/?org={tree.city.code}&year={YEAR}").content.decode()
    assert "300.0%" not in scorecard and "213000" not in scorecard
    for code, ind in REGISTRY.items():
        shown = CELLS[ind.kind][3]
        page = client.get(f"/indicators/{code}/?org={tree.city.code}&year={YEAR}")
        if page.status_code == 404:
            page = client.get(f"/indicators/indicator/{code}/?org={tree.city.code}&year={YEAR}")
        text = page.content.decode()
        assert shown in text, (code, shown)
        assert ("平台指标" in text) == ind.platform, code
        if not ind.platform:
            assert ind.source in text, code
    assert scorecard.count("（平台指标）") == sum(ind.platform for ind in REGISTRY.values())
    got = {}
    for code in REGISTRY:
        (row,) = client.get(f"/api/v1/indicators/values/?period={YEAR}&org={tree.city.code}&indicator={code}").json()["results"]
        got[code] = row
    for code, ind in REGISTRY.items():
        assert got[code]["unit"] == ind.unit and got[code]["indicator_source"] == ind.source, code
    assert (got["T11"]["numerator"], Decimal(got["T11"]["value"]), got["T20"]["value"]) == ("213", Decimal("4.26"), "3")


def test_every_indicator_in_its_unit_in_the_excel_tables_and_the_federation_file(client, tree, filled):
    """The Excel tables keep the stored number and read in the unit (a number format: 0.697 reads 69.7%); the
    federation file names each value's unit, and an import refuses a file whose unit differs from this instance's."""
    import io

    from django.core.exceptions import ValidationError
    from openpyxl import load_workbook

    from xinli.indicators import federation
    from xinli.indicators.display import EXCEL_FORMATS

    login_verified(client, filled)
    expected = {"rate": "0.0%", "permille": '0.00"‰"', "per10k": '0.0" /万人"', "count": "#,##0", "flag": '"是";"是";"否"'}
    assert EXCEL_FORMATS == expected
    wb = load_workbook(io.BytesIO(client.get(f"/indicators/?org={tree.city.code}&year={YEAR}&format=xlsx").content))
    rows = {row[0].value: row for row in wb.worksheets[0].iter_rows(min_row=2) if row[0].value in REGISTRY}
    assert set(rows) == set(REGISTRY)
    for code, ind in REGISTRY.items():
        value, numerator = rows[code][2], rows[code][3]
        assert value.number_format == expected[ind.kind], code
        assert Decimal(str(value.value)) == CELLS[ind.kind][2], code  # the exact stored number
        assert numerator.number_format == "General" and Decimal(str(numerator.value)) == CELLS[ind.kind][0], code  # unscaled
        if ind.target is not None and ind.target_rule != "decrease":
            assert rows[code][5].number_format == expected[ind.kind], code
    for code, ind in REGISTRY.items():
        page = load_workbook(io.BytesIO(client.get(f"/indicators/{code}/?org={tree.city.code}&year={YEAR}&format=xlsx").content))
        assert page.worksheets[0]["C2"].number_format == expected[ind.kind], code
    year = load_workbook(io.BytesIO(client.get(f"/indicators/export.xlsx?org={tree.city.code}&year={YEAR}").content))
    by_code = {row[2].value: row[4] for row in year.worksheets[0].iter_rows(min_row=2) if row[2].value in REGISTRY}
    assert {code: cell.number_format for code, cell in by_code.items()} == {code: expected[ind.kind] for code, ind in REGISTRY.items()}

    doc = federation.export_values(tree.city, str(YEAR), instance="青岛市")
    units = {v["indicator"]: v["unit"] for v in doc["values"]}
    assert units == {code: ind.unit for code, ind in REGISTRY.items()}
    assert units["T11"] == "per_mille" and units["T08"] == "yes_no" and units["T20"] == "count"
    t11 = next(v for v in doc["values"] if v["indicator"] == "T11")
    t11["unit"] = "percent"
    with pytest.raises(ValidationError) as refused:
        federation.import_values(doc, actor=filled)
    assert refused.value.message_dict.get(f"values[{doc['values'].index(t11)}].unit"), refused.value.message_dict
