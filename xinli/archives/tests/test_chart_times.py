"""Charts show local time: the score trend on the person page labels each point with the same local (TIME_ZONE)
time as the table beside it — not UTC, eight hours behind in Beijing."""

import datetime
import json

import pytest

from xinli.screening.models import Assessment
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_trend_chart_labels_are_local_time_like_the_table(client, personas, people, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    person = people.in_a1v1
    a, _ = administer(personas.counsellor, scale="phq9", answers=[1] * 9, person=person)
    # 20:30 UTC on 1 March is 04:30 on 2 March in Beijing.
    Assessment.objects.filter(pk=a.pk).update(taken_at=datetime.datetime(2026, 3, 1, 20, 30, tzinfo=datetime.UTC))
    login_verified(client, personas.counsellor)
    html = client.get(f"/persons/{person.pk}/").content.decode()
    data = json.loads(html.split('id="trend-data" type="application/json">')[1].split("</script>")[0])
    assert [point[0] for points in data.values() for point in points] == ["2026-03-02 04:30"]
    assert "2026-03-02 04:30" in html.split("</script>")[-1]  # the table says the same
