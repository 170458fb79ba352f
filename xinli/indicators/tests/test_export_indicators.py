"""Each federation file handed out by ``export_indicators`` is one audit entry (root, period, number of values), so
the annual summary can say how much data the area sent upward; imports were already audited."""

import datetime
import io

import pytest
from django.core.management import call_command

from xinli.core.models import AuditEntry
from xinli.indicators import services as indicators
from xinli.indicators.registry import period_end
from xinli.indicators.stats import exchanges

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def test_an_export_is_audited_and_counted_as_data_sent_upward(tree, tmp_path):
    indicators.rebuild(YEAR, codes={"T01"})  # T01 for the city, 2 counties, 3 townships and 4 villages: 10 values
    call_command("export_indicators", "--org", tree.county_a.code, "--period", str(YEAR), "--instance", "shinan",
                 "-o", str(tmp_path / "a.json"))
    call_command("export_indicators", "--org", tree.city.code, "--period", str(YEAR), stdout=io.StringIO())
    entries = list(AuditEntry.objects.filter(action="export", object_type="indicators.federation").order_by("id"))
    assert [(e.org_path, e.detail["rows"], e.detail["period"]) for e in entries] == [
        (tree.county_a.path, 6, str(YEAR)),  # the county, its 2 townships and 3 villages
        (tree.city.path, 10, str(YEAR)),
    ]
    as_of = period_end(str(YEAR))
    # County A's values went up in both files; county B's only in the city's.
    a, b = exchanges(tree.county_a, YEAR, as_of), exchanges(tree.county_b, YEAR, as_of)
    assert (a.exports, a.exported_values, b.exports, b.exported_values) == (2, 16, 1, 10)
    assert exchanges(tree.county_a, YEAR - 1, period_end(str(YEAR - 1))).exports == 0
