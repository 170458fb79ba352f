"""Issue 17 gap 2, the page action: the SMD doctor downloads a resident's package from the person page (迁往外市),
the receiving city imports it and downloads the signed receipt on /transfers/city/, and the sender closes the
records there with that receipt. A wrong key or unit is a page error in Chinese that writes nothing; the pages are
Chinese without English words or codes; the export and the import are audited."""

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from xinli.archives.models import Person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.smd.models import Patient
from xinli.testing.fixtures import login_verified, make_user

from .test_city_package_round_trip import Rollback, _forget_sender, managed  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db
KEY_TEXT = base64.b64encode(bytes(range(200, 216))).decode()


def _client(user):
    c = Client()
    login_verified(c, user)
    return c


def _visible_text(html: str) -> str:
    html = html.split("<main", 1)[-1].split("</main>", 1)[0]  # the header names the signed-in user
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_download_import_and_close_through_the_pages(tree, doctor, managed):  # noqa: F811
    person = managed["person"]
    c = _client(doctor)
    assert f'href="/transfers/city/{person.pk}/"' in c.get(f"/persons/{person.pk}/").content.decode()
    page = c.get(f"/transfers/city/{person.pk}/").content.decode()
    kinds = re.search(r'<ul id="city-kinds">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", kinds) == ["严重精神障碍患者管理档案", "个性化疏导方案", "心理咨询个案", "未关闭的预警",
                                                    "危机干预个案"]
    assert not re.search(r"[A-Za-z]{4,}", _visible_text(page)), "English words on a Chinese page"

    bad = c.post(f"/transfers/city/{person.pk}/", {"to": "烟台市", "key": "不是密钥"})
    assert bad.status_code == 400 and "迁移密钥：不是有效的密钥" in bad.content.decode() and "/ Transfer" not in bad.content.decode()
    assert "备份密钥" not in bad.content.decode()  # the container's word for its key is not the reader's
    short = c.post(f"/transfers/city/{person.pk}/", {"to": "烟台市", "key": "abcdefghijklmnopqrstuvwx"})  # 18 bytes
    assert short.status_code == 400 and 'id="id_key-error"' in short.content.decode() and "迁移密钥：不是有效的密钥" in short.content.decode()
    assert not AuditEntry.objects.filter(action="export", person_id=person.pk).exists()

    got = c.post(f"/transfers/city/{person.pk}/", {"to": "烟台市", "key": KEY_TEXT})
    assert got.status_code == 200 and got["Content-Type"] == "application/octet-stream"
    assert got["Content-Disposition"].startswith(f'attachment; filename="transfer-{person.pk}-')
    package = got.content
    assert AuditEntry.objects.filter(action="export", person_id=person.pk, purpose="transfer").count() == 1

    doctor_b1 = make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])
    make_user("counsellor_b1", [(tree.b1, Role.COUNSELLOR)])
    b = _client(doctor_b1)
    city_page = b.get("/transfers/city/")
    assert city_page.status_code == 200
    assert not re.search(r"[A-Za-z]{4,}", _visible_text(city_page.content.decode())), "English words on a Chinese page"
    assert "导入外市迁移包" in city_page.content.decode() and "凭回执关闭记录" in city_page.content.decode()

    def post_import(unit_code):
        return b.post("/transfers/city/", {"action": "import", "in-unit": unit_code, "in-key": KEY_TEXT,
                                           "in-package": SimpleUploadedFile("p.xlt", package)})

    wrong = post_import(tree.a1v1.code)  # not B1's: refused on the field, nothing written
    assert wrong.status_code == 400 and "迁入单位：不在您的管辖范围内" in wrong.content.decode()
    persons_before = Person.objects.count()
    try:
        with transaction.atomic():
            pk, name = person.pk, person.name
            _forget_sender(person)
            ok = post_import(tree.b1v1.code)
            assert ok.status_code == 200 and ok["Content-Type"] == "application/json"
            receipt = ok.content
            moved = Person.objects.filter(org_unit=tree.b1v1).order_by("-pk").first()
            assert moved.name == name and moved.pk > persons_before
            assert Patient.objects.get(person=moved).doctor == doctor_b1
            assert AuditEntry.objects.filter(action="create", object_type="archives.person", person_id=moved.pk,
                                             purpose="transfer").count() == 1
            raise Rollback
    except Rollback:
        pass
    assert Person.objects.count() == persons_before

    closed = c.post("/transfers/city/", {"action": "close", "close-key": KEY_TEXT,
                                         "close-package": SimpleUploadedFile("p.xlt", package),
                                         "close-receipt": SimpleUploadedFile("r.json", receipt)})
    html = closed.content.decode()
    assert closed.status_code == 200 and 'id="city-closed"' in html
    assert Patient.objects.get(pk=managed["patient"].pk).status == "moved_out"
    assert Person.objects.get(pk=pk).status == "moved_out"
    tampered = receipt.replace(b'"receiving_org": "', b'"receiving_org": "9')
    again = c.post("/transfers/city/", {"action": "close", "close-key": KEY_TEXT,
                                        "close-package": SimpleUploadedFile("p.xlt", package),
                                        "close-receipt": SimpleUploadedFile("r.json", tampered)})
    assert again.status_code == 400 and "回执签名无效" in again.content.decode()
    # A closed record offers no package any more.
    assert 'id="city-export"' not in c.get(f"/persons/{pk}/").content.decode()


def test_who_sees_the_pages(tree, personas, people, doctor, managed):  # noqa: F811
    assert _client(personas.police_liaison).get("/transfers/city/").status_code == 404
    # A village worker edits the archive but does not follow up SMD patients: no package of an SMD patient.
    w = _client(personas.village_worker_1)
    assert w.get(f"/transfers/city/{managed['person'].pk}/").status_code == 404
    assert 'id="city-export"' not in w.get(f"/persons/{managed['person'].pk}/").content.decode()
    # An SMD doctor of another area: not found.
    assert _client(make_user("doctor_b1", [(tree.b1, Role.SMD_DOCTOR)])).get(
        f"/transfers/city/{managed['person'].pk}/").status_code == 404
