import datetime

import pytest

from xinli.core.policy import Role
from xinli.testing.fixtures import make_user


@pytest.fixture
def doctor(tree):
    return make_user("jingfang", [(tree.a1, Role.SMD_DOCTOR)])


@pytest.fixture
def police(tree):
    return make_user("police", [(tree.a1, Role.POLICE_LIAISON)])


@pytest.fixture
def patient(doctor, people):
    from xinli.smd.services import register_patient

    return register_patient(doctor, people.in_a1v1, {
        "diagnosis": "F20", "diagnosed_by": "青岛市精神卫生中心", "diagnosed_on": datetime.date(2020, 5, 1), "source": "hospital",
        "residence": "home", "guardian_name": "张父", "consent_community": True})


def visit(**changes):
    """A complete follow-up of a stable patient, changed as given."""
    base = {"date": datetime.date(2026, 11, 20), "mode": "home", "risk": 0, "insight": "complete", "symptoms": [],
            "social_function": {"self_care": "good"}, "adherence": "regular", "sleep": "good", "diet": "good",
            "medications": [{"name": "利培酮", "dose": "2mg", "usage": "每日两次"}]}
    return base | changes


@pytest.fixture
def teams_smd(tree):
    return make_user("crisis_a1", [(tree.a1, Role.CRISIS_TEAM)])
