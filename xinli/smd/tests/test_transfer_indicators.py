"""Issue 17: indicators before and after a move. A patient counts for the unit responsible at the period end; the
follow-ups count for the patient wherever they were done; T12's interval starts at the move-in. Every number by hand.

M: registered 2024-01-01 in A1v1 (county A), seen 2025-04-10 there; moved to B1v1 (county B), the transfer accepted on
2025-07-01; seen there 2025-08-15 and 2025-11-10. S: registered 2024-01-01 in A1v2 (same street A1), seen 02-01,
05-01, 08-01, 11-01 of 2025.
"""

import datetime

import pytest
from django.utils import timezone

from xinli.accounts.models import User
from xinli.archives import services as archive_services
from xinli.archives import transfers
from xinli.archives.models import Transfer
from xinli.core.policy import Role
from xinli.smd import indicators, services
from xinli.testing.fixtures import make_user

from .conftest import visit

pytestmark = pytest.mark.django_db
D = datetime.date


def _patient(doctor, person):
    return services.register_patient(doctor, person, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心", "diagnosed_on": D(2019, 1, 1),
                                                      "source": "hospital", "registered_on": D(2024, 1, 1), "residence": "home",
                                                      "consent_community": True})


@pytest.fixture
def moved(tree, people, doctor, monkeypatch):
    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    m = _patient(doctor, people.in_a1v1)
    services.record_follow_up(doctor, m, visit(date=D(2025, 4, 10)))
    s = _patient(doctor, people.in_a1v2)
    for day in (D(2025, 2, 1), D(2025, 5, 1), D(2025, 8, 1), D(2025, 11, 1)):
        services.record_follow_up(doctor, s, visit(date=day))
    real_now = timezone.now
    # The archive move and its acceptance on 2025-07-01 (time travel), by the city's officer and B1's doctor.
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2025, 7, 1, 10, 0, tzinfo=datetime.UTC))
    archive_services.update_person(User.objects.get(username="registrar"), people.in_a1v1, {"org_unit": tree.b1v1})
    transfers.accept(doctor_b1, Transfer.objects.get(person=people.in_a1v1))
    monkeypatch.setattr(timezone, "now", real_now)
    m.refresh_from_db()
    for day in (D(2025, 8, 15), D(2025, 11, 10)):
        services.record_follow_up(doctor_b1, m, visit(date=day))
    return m, s


def _by_unit(tree, year, **kw):
    units = [tree.city, tree.county_a, tree.county_b, tree.a1, tree.a1v1, tree.b1v1]
    rows = indicators.compute(units, year, **kw)
    return {k.unit.pk: (k.in_register, k.managed, k.standardised_national, k.standardised_gap) for k in rows}


def test_indicators_after_the_move_count_the_patient_at_the_new_unit(tree, moved):
    m, s = moved
    assert (m.org_path, m.moved_in_on) == (tree.b1v1.path, D(2025, 7, 1))
    got = _by_unit(tree, 2025)
    # B1v1, 2025: M in register and managed (three complete follow-ups in the year, one of them done in A1v1). T12
    # national: from max(01-01, 2024-01-01, 07-01) = 07-01 to 12-31, d = 184 -> 2 required; 08-15 and 11-10 -> yes
    # (from 01-01 it would need 4 and have 3). Gap rule: 07-01 -> 08-15 45 d, -> 11-10 87 d, -> 12-31 51 d -> yes.
    assert got[tree.b1v1.pk] == (1, 1, 1, 1)
    assert got[tree.county_b.pk] == (1, 1, 1, 1)
    # A1v1 is left with nobody; street A1 keeps S: 4 visits (4 required); gaps 31, 89, 92, 92, 60 days -> both rules.
    assert got[tree.a1v1.pk] == (0, 0, 0, 0)
    assert got[tree.a1.pk] == (1, 1, 1, 1)
    assert got[tree.county_a.pk] == (1, 1, 1, 1)
    assert got[tree.city.pk] == (2, 2, 2, 2)


def test_indicators_before_the_move_count_the_patient_at_the_old_unit(tree, moved):
    # The month end of June 2025 (before the acceptance on 07-01), computed now: M is still A1v1's. M: from 01-01 to
    # 06-30, d = 181 -> 1 required; 04-10 -> yes; gap rule 01-01 -> 04-10 is 99 days -> no. S: 02-01, 05-01 (2 >= 1);
    # gaps 31, 89, 60 -> yes.
    got = _by_unit(tree, 2025, today=D(2025, 6, 30))
    assert got[tree.a1v1.pk] == (1, 1, 1, 0)
    assert got[tree.a1.pk] == (2, 2, 2, 1)
    assert got[tree.county_a.pk] == (2, 2, 2, 1)
    assert got[tree.b1v1.pk] == (0, 0, 0, 0)
    assert got[tree.county_b.pk] == (0, 0, 0, 0)
    assert got[tree.city.pk] == (2, 2, 2, 1)


def test_a_past_year_stays_with_the_unit_responsible_then(tree, moved):
    # 2024 (before the move): both patients registered 2024-01-01 in street A1, no follow-ups that year -> in
    # register, not managed; the move in 2025 does not take M out of A1v1's 2024.
    got = _by_unit(tree, 2024)
    assert got[tree.a1v1.pk] == (1, 0, 0, 0)
    assert got[tree.a1.pk] == (2, 0, 0, 0)
    assert got[tree.county_b.pk] == (0, 0, 0, 0)
    assert got[tree.b1v1.pk] == (0, 0, 0, 0)
    assert got[tree.city.pk] == (2, 0, 0, 0)
