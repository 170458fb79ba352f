"""Issue 15 item 10: assessment answers and results (history, totals, bands, trend, item answers) are read only by
roles that screen, counsel, treat or follow up the person (policy.ASSESSMENT_READ_CAPABILITIES). The police liaison,
the health officer and any other role that merely reads the archive see the person, not the assessments."""

import pytest
from rest_framework.test import APIClient

from xinli.core.policy import ARCHIVES_VIEW, ASSESSMENT_READ_CAPABILITIES, GRANTS, Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

ARCHIVE_ROLES = [role for role, grant in GRANTS.items() if ARCHIVES_VIEW in grant.capabilities]
# Declared: who sees assessments on the person page and in the API.
SEES_ASSESSMENTS = {
    Role.COMMUNITY_WORKER: True,  # administers screenings in its area
    Role.COUNSELLOR: True,
    Role.SCHOOL_PSYCHOLOGIST: True,
    Role.EAP_OFFICER: True,
    Role.CRISIS_TEAM: True,  # follows up alerts
    Role.PSYCHIATRIST: True,
    Role.SMD_DOCTOR: True,
    Role.POLICE_LIAISON: False,
    Role.HEALTH_OFFICER: False,
}


def test_every_archive_role_is_declared():
    assert set(ARCHIVE_ROLES) == set(SEES_ASSESSMENTS)
    for role, sees in SEES_ASSESSMENTS.items():
        assert sees == bool(GRANTS[role].capabilities & ASSESSMENT_READ_CAPABILITIES), role


@pytest.fixture
def assessment(personas, people):
    from xinli.screening.services import administer

    a, _ = administer(personas.counsellor, scale="phq9", answers=[3, 3, 3, 3, 3, 3, 3, 3, 2], person=people.in_a1v1)
    return a


@pytest.mark.parametrize("role", ARCHIVE_ROLES)
def test_person_page_and_api_show_assessments_as_declared(client, tree, people, assessment, role):
    user = make_user(f"u_{role}", [(tree.a1, role)])
    login_verified(client, user)
    page = client.get(f"/persons/{people.in_a1v1.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = f"/assessments/{assessment.pk}/" in html or 'id="trend"' in html
    assert shown is SEES_ASSESSMENTS[role], (role, shown)
    assert ('id="trend-data"' in html) is SEES_ASSESSMENTS[role]

    api = APIClient()
    api.force_authenticate(user)
    rows = api.get("/api/v1/assessments/", {"person": people.in_a1v1.pk}).json()["results"]
    assert bool(rows) is SEES_ASSESSMENTS[role], role
    detail = api.get(f"/api/v1/assessments/{assessment.pk}/")
    assert detail.status_code == (200 if SEES_ASSESSMENTS[role] else 404), role
    if not SEES_ASSESSMENTS[role]:
        assert "answers" not in detail.json() and "total" not in detail.json()
        assert api.get(f"/api/v1/assessments/{assessment.pk}/fhir/").status_code == 404


def test_police_liaison_sees_the_person_but_no_answers(client, tree, people, assessment):
    police = make_user("police_a1", [(tree.a1, Role.POLICE_LIAISON)])
    login_verified(client, police)
    html = client.get(f"/persons/{people.in_a1v1.pk}/").content.decode()
    assert people.in_a1v1.name in html
    assert "PHQ-9" not in html and "测评结果仅向" in html
    assert client.get(f"/assessments/{assessment.pk}/").status_code == 404
