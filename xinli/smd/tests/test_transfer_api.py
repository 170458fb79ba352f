"""Issue 17: the transfers API — list incoming/outgoing, one transfer with what arrives, accept, return with a
required reason (400 naming the field, nothing written); outside the area 404; the persons listed are audited."""

import pytest
from rest_framework.test import APIClient

from xinli.archives import services as archive_services
from xinli.archives.models import Transfer
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tree, personas, people, patient):
    archive_services.update_person(personas.county_officer, people.in_a1v1, {"org_unit": tree.a2v1})
    return Transfer.objects.get()


def _api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_list_detail_accept(tree, people, pending, patient, doctor):
    doctor_a2 = make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])
    c = _api(doctor_a2)
    rows = c.get("/api/v1/transfers/").json()["results"]
    assert [(r["id"], r["person"], r["status"], r["to_unit"]) for r in rows] == [(pending.pk, people.in_a1v1.pk, "pending", tree.a2v1.pk)]
    assert rows[0]["items"] == [{"kind": "smd.patient", "label": "严重精神障碍患者管理档案（精神分裂症），待随访 1 次",
                                 "status": "pending", "moved_on": None}]
    assert AuditEntry.objects.filter(actor_id=doctor_a2.pk, action="search", person_id=people.in_a1v1.pk).exists()
    assert _api(doctor).get("/api/v1/transfers/").json()["results"] == []
    assert [r["id"] for r in _api(doctor).get("/api/v1/transfers/", {"show": "outgoing"}).json()["results"]] == [pending.pk]
    assert _api(doctor).post(f"/api/v1/transfers/{pending.pk}/accept/").status_code == 404  # the sender cannot accept
    r = c.post(f"/api/v1/transfers/{pending.pk}/accept/")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    patient.refresh_from_db()
    assert patient.doctor == doctor_a2
    assert c.get("/api/v1/transfers/", {"show": "sideways"}).status_code == 400


def test_return_needs_a_reason(tree, pending):
    doctor_a2 = make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])
    c = _api(doctor_a2)
    r = c.post(f"/api/v1/transfers/{pending.pk}/return/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "reason" in r.content.decode()
    assert Transfer.objects.get().status == "pending"
    r = c.post(f"/api/v1/transfers/{pending.pk}/return/", {"reason": "按地址查无此人"}, format="json")
    assert (r.status_code, r.json()["status"], r.json()["reason"]) == (200, "returned", "按地址查无此人")


def test_outside_the_area_is_404(tree, pending):
    outsider = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    c = _api(outsider)
    assert c.get(f"/api/v1/transfers/{pending.pk}/").status_code == 404
    assert c.post(f"/api/v1/transfers/{pending.pk}/accept/").status_code == 404
    assert c.get("/api/v1/transfers/").json()["results"] == []
    assert Transfer.objects.get().status == "pending"
