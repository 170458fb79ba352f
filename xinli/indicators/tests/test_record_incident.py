"""The extreme-incident register (T20 source): health officers record incidents of their area, audited; every bad
field is named and nothing is written; others are denied; the yearly count is the registry's T20 figure."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.indicators import incidents
from xinli.indicators.models import ExtremeIncident
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def test_record_and_count(tree):
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    today = timezone.localdate()
    inc = incidents.record_incident(officer, org_unit=tree.a1v1, date=today.isoformat(), kind="suicide_attempt", deaths="0",
                                    injured="1", note="  住宅小区，已转介  ")
    assert (inc.org_path, inc.date, inc.kind, inc.deaths, inc.injured, inc.note, inc.recorded_by) == (
        tree.a1v1.path, today, "suicide_attempt", 0, 1, "住宅小区，已转介", officer)
    entry = AuditEntry.objects.get(object_type="indicators.extremeincident")
    assert entry.action == "create" and entry.org_path == tree.a1v1.path and "note" not in entry.detail
    last_year = datetime.date(today.year - 1, 6, 1)
    incidents.record_incident(officer, org_unit=tree.county_a, date=last_year, kind="other")
    ExtremeIncident.objects.create(org_unit=tree.b1v1, org_path=tree.b1v1.path, date=today, kind="suicide")
    assert incidents.incident_count(tree.county_a, today.year) == (1, None)
    assert incidents.incident_count(tree.county_a, today.year - 1) == (1, None)
    assert incidents.incident_count(tree.city, today.year) == (2, None)
    assert incidents.incident_count(tree.county_a, today.year - 1, datetime.date(today.year - 1, 5, 31)) == (0, None)


@pytest.mark.parametrize("field, value", [
    ("date", "2020-13-01"), ("date", "tomorrow"), ("kind", "murder"), ("deaths", "-1"), ("deaths", "1000"),
    ("injured", "2.5"), ("note", "x" * 501),
])
def test_each_bad_field_is_named_and_nothing_written(tree, field, value):
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    good = {"date": timezone.localdate().isoformat(), "kind": "suicide", "deaths": "1", "injured": "0", "note": ""}
    if value == "tomorrow":
        value = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as exc:
        incidents.record_incident(officer, org_unit=tree.a1, **{**good, field: value})
    assert set(exc.value.message_dict) == {field}
    label = {"date": "Date", "kind": "Kind", "deaths": "Deaths", "injured": "Injured", "note": "Note"}[field]
    assert exc.value.message_dict[field][0].split(" / ")[-1].startswith(f"{label}: ")  # names the field (English part)
    assert not ExtremeIncident.objects.exists() and not AuditEntry.objects.filter(object_type="indicators.extremeincident").exists()


def test_all_errors_at_once(tree):
    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    with pytest.raises(ValidationError) as exc:
        incidents.record_incident(officer, org_unit=tree.a1, date="", kind="", deaths="x", injured="-3", note="y" * 600)
    assert set(exc.value.message_dict) == {"date", "kind", "deaths", "injured", "note"}
    assert not ExtremeIncident.objects.exists()


def test_out_of_scope_and_view_only_users_are_denied(tree):
    other = make_user("other", [(tree.county_b, Role.HEALTH_OFFICER)])
    viewer = make_user("viewer", [(tree.city, Role.PUBLICITY_OFFICER)])  # indicators.view only
    village = make_user("village", [(tree.a1v1, Role.COMMUNITY_WORKER)])
    for user in (other, viewer, village):
        with pytest.raises(PermissionDenied):
            incidents.record_incident(user, org_unit=tree.a1v1, date=timezone.localdate(), kind="suicide")
    assert not ExtremeIncident.objects.exists()
