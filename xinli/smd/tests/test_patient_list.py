"""The patient list of every SMD role: the area's patients with filters (due, overdue, never followed up,
classification, risk level, disease), the archive's search by name or ID number, pages of 25, every patient shown
audited; a case-team member gets the basic columns and no clinical filter."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from xinli.archives.services import register_person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.smd import selectors, services
from xinli.smd.models import Diagnosis, Patient, Task
from xinli.testing.fixtures import id_number, login_verified, make_user

from .conftest import visit

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def make_patient(doctor, unit, name, seq, **data):
    registrar = make_user(f"reg{seq}", [(unit, Role.COMMUNITY_WORKER)])
    person = register_person(registrar, {"name": name, "id_number": id_number("19700101", seq), "org_unit": unit},
                             consents=[{"purpose": "archive"}]).person
    return services.register_patient(doctor, person, {"diagnosis": "F20", "diagnosed_by": "市精神卫生中心",
                                                      "diagnosed_on": datetime.date(2020, 1, 1), "source": "hospital",
                                                      "consent_community": True, **data})


@pytest.fixture
def register(doctor, tree):
    """Five patients of 八大关街道 in different situations, and one of another township."""
    due = make_patient(doctor, tree.a1v1, "钱一", 501)  # first follow-up due in two weeks → moved to today
    Task.objects.filter(patient=due).update(due=TODAY)
    overdue = make_patient(doctor, tree.a1v1, "孙二", 502, diagnosis="F31")
    Task.objects.filter(patient=overdue).update(due=TODAY - datetime.timedelta(days=10))
    seen = make_patient(doctor, tree.a1v2, "周三", 503)
    services.record_follow_up(doctor, seen, visit(date=TODAY - datetime.timedelta(days=1), risk=2, insight="partial"))
    stable = make_patient(doctor, tree.a1v2, "吴四", 504)
    services.record_follow_up(doctor, stable, visit(date=TODAY - datetime.timedelta(days=2)))
    lost = make_patient(doctor, tree.a1v2, "郑五", 505)
    services.record_follow_up(doctor, lost, {"date": TODAY - datetime.timedelta(days=3), "mode": "home", "lost_reason": "missing"})
    psychiatrist = make_user("psy_a2", [(tree.a2, Role.PSYCHIATRIST)])
    other = make_patient(psychiatrist, tree.a2v1, "冯六", 506)
    return {"due": due, "overdue": overdue, "seen": seen, "stable": stable, "lost": lost, "other": other}


def names(user, **filters):
    return {p.person.name for p in selectors.patient_list(user, **filters)}


def test_filters_of_the_doctors_area(register, doctor):
    assert names(doctor) == {"钱一", "孙二", "周三", "吴四", "郑五"}  # not 冯六 of another township
    assert names(doctor, follow_up="due") >= {"钱一"} and "孙二" not in names(doctor, follow_up="due")
    assert names(doctor, follow_up="overdue") == {"孙二"}
    assert names(doctor, follow_up="never") == {"钱一", "孙二", "郑五"}  # lost to follow-up is not a follow-up done
    assert names(doctor, classification="basically_stable") == {"周三"}
    assert names(doctor, classification="stable") == {"吴四"}
    assert names(doctor, risk=2) == {"周三"}
    assert names(doctor, diagnosis="F31") == {"孙二"}


def test_most_urgent_first(register, doctor):
    order = [p.person.name for p in selectors.patient_list(doctor)]
    assert order[:2] == ["孙二", "钱一"]  # overdue, then due today


def test_search_by_name_and_id_number_through_the_archive_search(register, doctor):
    assert names(doctor, q="周三") == {"周三"}
    assert names(doctor, q=id_number("19700101", 504)) == {"吴四"}
    assert names(doctor, q="冯六") == set()  # another township's patient is not found


def test_page_lists_filters_and_audits_what_it_shows(register, doctor):
    client = Client()
    login_verified(client, doctor)
    before = AuditEntry.objects.filter(action="search").count()
    page = client.get("/smd/patients/", {"follow_up": "overdue"}).content.decode()
    assert "孙二" in page and "钱一" not in page and 'class="overdue"' in page
    assert AuditEntry.objects.filter(action="search").count() == before + 1
    page = client.get("/smd/patients/", {"classification": "basically_stable"}).content.decode()
    assert "周三" in page and "吴四" not in page
    bad = client.get("/smd/patients/", {"risk": "9"})
    assert bad.status_code == 200 and 'class="field has-error"><label for="id_risk"' in bad.content.decode()


def test_pages_of_25(doctor, tree):
    for i in range(27):
        make_patient(doctor, tree.a1v1, f"病人{i:02d}", 600 + i)
    client = Client()
    login_verified(client, doctor)
    first = client.get("/smd/patients/").content.decode()
    assert "1 / 2" in first and "page=2" in first
    second = client.get("/smd/patients/", {"page": "2"}).content.decode()
    assert second.count('href="/smd/patients/') - second.count("follow-up/") >= 2


def test_case_team_member_gets_basic_columns_and_no_clinical_filter(register, tree):
    police = make_user("police_a1", [(tree.a1, Role.POLICE_LIAISON)])
    assert names(police) == {"钱一", "孙二", "周三", "吴四", "郑五"}
    assert names(police, diagnosis="F31") == set() and names(police, follow_up="overdue") == set()
    assert names(police, risk=2) == {"周三"}
    client = Client()
    login_verified(client, police)
    page = client.get("/smd/patients/", {"diagnosis": "F31"}).content.decode()  # ignored: not a filter of this role
    table = page[page.index("<table"):page.index("</table>")]
    assert "孙二" in table and 'name="diagnosis"' not in page
    with translation.override("zh-hans"):
        assert str(Diagnosis.BIPOLAR.label) not in table and str(Diagnosis.SCHIZOPHRENIA.label) not in table
    assert client.get("/smd/").status_code == 200 and "周三" in client.get("/smd/").content.decode()


def test_roles_without_smd_capability_get_404(register, personas):
    client = Client()
    login_verified(client, personas.counsellor)
    assert client.get("/smd/patients/").status_code == 404


def test_api_filters(register, doctor):
    client = APIClient()
    client.force_authenticate(doctor)
    body = client.get("/api/v1/smd/patients/", {"follow_up": "overdue"}).json()
    assert [r["name"] for r in body["results"]] == ["孙二"]
    assert [r["name"] for r in client.get("/api/v1/smd/patients/", {"q": "周三"}).json()["results"]] == ["周三"]
    assert client.get("/api/v1/smd/patients/", {"follow_up": "later"}).status_code == 400
    assert client.get("/api/v1/smd/patients/", {"risk": "x"}).status_code == 400
    assert Patient.objects.count() == 6


def test_home_card_counts_overdue_and_due_this_week(register, doctor, personas):
    client = Client()
    login_verified(client, doctor)
    assert 'hx-get="/smd/summary/"' in client.get("/").content.decode()
    card = client.get("/smd/summary/").content.decode()
    assert "已逾期 1 人" in card and "本周待随访 1 人" in card
    login_verified(client, personas.counsellor)
    assert client.get("/smd/summary/").status_code == 404
