"""Issue 17: the transfers page and the SMD worklist card — the receiving doctor sees what arrives, accepts or
returns with a required reason (a refused form writes nothing); reads are audited; Chinese without codes."""

import pytest
from django.test import Client

from xinli.archives import services as archive_services
from xinli.archives.models import Transfer
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tree, personas, people, patient):
    archive_services.update_person(personas.county_officer, people.in_a1v1, {"org_unit": tree.a2v1})
    return Transfer.objects.get()


@pytest.fixture
def doctor_a2(tree):
    return make_user("doctor_a2", [(tree.a2, Role.SMD_DOCTOR)])


def _client(user):
    c = Client()
    login_verified(c, user)
    return c


def test_receiving_doctor_sees_and_accepts(tree, people, doctor_a2, pending, patient):
    c = _client(doctor_a2)
    inbox = c.get("/inbox/").content.decode()
    assert f'href="/transfers/{pending.pk}/"' in inbox and f"迁移交接 #{pending.pk}" in inbox
    summary = c.get("/smd/summary/").content.decode()
    assert "1 名迁入患者待接收" in summary
    worklist = c.get("/smd/").content.decode()
    assert "迁入待接收的患者" in worklist and people.in_a1v1.name in worklist
    listing = c.get("/transfers/").content.decode()
    assert people.in_a1v1.name in listing and "严重精神障碍患者管理档案（精神分裂症），待随访 1 次" in listing
    assert "smd.patient" not in listing and "pending" not in listing
    r = c.get(f"/transfers/{pending.pk}/")
    body = r.content.decode()
    assert r.status_code == 200 and "接收" in body and "太平角社区居委会" in body and "燕儿岛社区居委会" in body
    assert AuditEntry.objects.filter(action="read", object_type="archives.transfer", person_id=people.in_a1v1.pk,
                                     actor_id=doctor_a2.pk).count() == 1
    r = c.post(f"/transfers/{pending.pk}/", {"action": "accept"})
    assert r.status_code == 302
    patient.refresh_from_db()
    assert (patient.org_path, patient.doctor) == (tree.a2v1.path, doctor_a2)
    body = c.get(f"/transfers/{pending.pk}/").content.decode()
    assert "已接收" in body and f"迁移交接 #{pending.pk}" in body
    assert f'href="/persons/{people.in_a1v1.pk}/"' in body  # the name opens the archive the doctor may read


def test_return_without_reason_is_refused_and_writes_nothing(people, pending, doctor_a2):
    c = _client(doctor_a2)
    r = c.post(f"/transfers/{pending.pk}/", {"action": "return", "reason": ""})
    assert r.status_code == 400 and "退回原因" in r.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"
    r = c.post(f"/transfers/{pending.pk}/", {"action": "return", "reason": "按地址查无此人"})
    assert r.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("returned", "按地址查无此人")


def test_sender_sees_outgoing_but_cannot_decide_and_outsiders_get_404(tree, pending, doctor):
    c = _client(doctor)
    assert "太平角社区居委会" in c.get("/transfers/?show=outgoing").content.decode()
    assert "暂无迁移交接" in c.get("/transfers/").content.decode()  # nothing incoming for the sender
    body = c.get(f"/transfers/{pending.pk}/").content.decode()
    assert 'name="action"' not in body
    assert f'href="/persons/{pending.person_id}/"' not in body  # the archive has left the sender's area
    assert c.post(f"/transfers/{pending.pk}/", {"action": "accept"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"
    outsider = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    assert _client(outsider).get(f"/transfers/{pending.pk}/").status_code == 404
