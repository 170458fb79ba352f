"""The field app (/field/) in Debian's chromium at phone size, as a village SMD doctor uses it (issue 18): sign in,
unlock the phone's store, download the task pack, lose the connection, reload the app offline (the service worker's
shell), record three SMD follow-ups and one PHQ-9 assessment, get the connection back and sync. The server holds
exactly those records with the classification and next due day of ``smd.rules``, the tasks are closed and the sync is
audited with the device's and the server's time, and so is every person the phone showed offline; the same form sent again stores nothing; a follow-up a colleague
recorded meanwhile comes back as a conflict shown on the phone; logging out erases the phone's store."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from xinli.archives.services import register_person
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.field.models import FieldNote, SyncItem
from xinli.screening.models import Assessment
from xinli.smd import rules
from xinli.smd import services as smd
from xinli.smd.models import FollowUp, Task
from xinli.testing.browser import PHONE, assert_accessible, chromium_page, sign_in
from xinli.testing.fixtures import PASSWORD, make_user

from .conftest import ENROL, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(live_server, monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


@pytest.fixture
def caseload(doctor, patients, tree):
    """Four patients of the doctor's, each with a follow-up due yesterday (overdue, so in the pack)."""
    mine, _outside = patients
    registrar = make_user("registrar_g", [(tree.city, Role.HEALTH_OFFICER)])
    fourth = register_person(registrar, {"name": "周九", "phone": "13800000010", "address": "八大关二村5号", "org_unit": tree.a1v2}).person
    mine = [*mine, smd.register_patient(doctor, fourth, ENROL)]
    Task.objects.filter(patient__in=mine).update(due=timezone.localdate() - datetime.timedelta(days=1))
    return mine


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (250, 250, 245)).save(out, "JPEG", quality=95)
    return out.getvalue()


def _card(page, name):
    return page.locator("#tasks li[data-kind=smd_follow_up]", has_text=name)


def _follow_up(page, name, risk="0", more=False):
    _card(page, name).locator("button.primary").click()
    page.select_option("#f-mode", "home")
    page.select_option("#f-risk", risk)
    page.select_option("#f-insight", "complete")
    page.select_option("#f-adherence", "regular")
    if more:  # the rest of the national record, folded away until needed
        page.locator("details summary").click()
        page.locator("#f-sym-moody").check()
        page.select_option("#f-social_self_care", "fair")
        page.select_option("#f-hospitalised", "none")
        page.fill("#f-medications", "利培酮，2mg，每日两次")
        page.fill("#f-inc-minor_trouble", "1")
        page.select_option("#f-effect", "improved")
        page.locator("#f-rehab-living").check()
    page.locator("form.field-form button[type=submit]").click()
    page.locator("#today").wait_for(state="visible")


def test_offline_follow_ups_and_an_assessment_sync_once_and_a_conflict_is_shown(phone, live_server, caseload, tree):
    page = phone
    today = timezone.localdate()
    # A village doctor who is also the community's worker: follows up SMD patients and administers instruments.
    doctor = make_user("village_doctor", [(tree.a1, Role.SMD_DOCTOR), (tree.a1, Role.COMMUNITY_WORKER)])
    emergency = smd.record_emergency(doctor, caseload[2], trigger="relapse", occurred_at=timezone.now() - datetime.timedelta(hours=3))
    sign_in(page, live_server, doctor)
    page.goto(f"{live_server.url}/field/")
    page.fill("#unlock-password", PASSWORD)
    page.locator("#unlock-form button").click()
    page.locator("#tasks li[data-kind=smd_follow_up]").first.wait_for()
    assert page.locator("#tasks li[data-kind=smd_follow_up]").count() == 4
    assert page.locator("#tasks li[data-kind=smd_emergency]").count() == 1
    assert "逾期" in page.inner_text("#tasks") and "smd_follow_up" not in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    assert_accessible(page, "field app, today")

    # Meanwhile a colleague records the fourth patient's follow-up at the clinic.
    colleague = make_user("colleague_doc", [(caseload[3].person.org_unit.parent, Role.SMD_DOCTOR)])
    smd.record_follow_up(colleague, caseload[3], visit(date=today))

    page.context.set_offline(True)
    page.reload()  # the app shell from the service worker's cache
    page.fill("#unlock-password", PASSWORD)
    page.locator("#unlock-form button").click()
    page.locator("#tasks li").first.wait_for()
    assert "离线" in page.inner_text("#sync-state")
    names = [p.person.name for p in caseload]
    _follow_up(page, names[0])
    _follow_up(page, names[1], risk="1")
    _follow_up(page, names[2], more=True)
    _follow_up(page, names[3])  # the one the colleague already did
    assert page.locator("#tasks li[data-kind=smd_follow_up][data-filled]").count() == 4  # marked 已填写, the follow-up button gone
    assert _card(page, names[0]).locator("button.primary").count() == 0
    # A PHQ-9 with the first patient, scored on the phone as the server scores it.
    _card(page, names[0]).get_by_role("button", name="量表评估").click()
    page.select_option("#f-scale", "phq9")
    for box in page.locator("#items fieldset").all():
        box.locator("input[type=radio]").first.check()
    assert "得分 0" in page.inner_text("#score")
    page.locator("form.field-form button[type=submit]").click()
    page.locator("#today").wait_for(state="visible")
    # The emergency of the third patient, completed within its 24 hours.
    page.locator("#tasks li[data-kind=smd_emergency]").get_by_role("button", name="补录应急处置记录").click()
    page.fill("#f-actions", "联系家属陪同送市精神卫生中心")
    page.fill("#f-outcome", "已住院治疗")
    page.locator("#f-ambulance").check()
    page.locator("form.field-form button[type=submit]").click()
    page.locator("#today").wait_for(state="visible")
    # A photo of the signed paper record of the second patient (a 3000 × 2000 picture: made small on the phone).
    _card(page, names[1]).get_by_role("button", name="纸质表单照片").click()
    page.set_input_files("#f-photo", files=[{"name": "form.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.fill("#f-text", "随访服务记录表（签字）")
    page.locator("form.field-form button[type=submit]").click()
    page.locator("#today").wait_for(state="visible")
    # The queue and the bar are redrawn after the store's write completes (the photo's is the slowest): wait for
    # both, then check.
    page.wait_for_function("document.querySelectorAll('#queue li').length === 7", timeout=10000)
    assert page.locator("#queue li").count() == 7
    page.wait_for_function("document.querySelector('#sync-state').innerText.includes('待同步 7 条')", timeout=10000)
    assert "待同步 7 条" in page.inner_text("#sync-state")
    assert FollowUp.objects.filter(patient__in=caseload, doctor=doctor).count() == 0  # nothing left the phone
    assert_accessible(page, "field app, offline queue")

    page.context.set_offline(False)
    page.locator("#sync").click()
    page.locator("#done li[data-outcome=conflict]").wait_for()
    page.locator("#done li").nth(6).wait_for()
    assert "待同步 0 条" in page.inner_text("#sync-state")
    stored = FollowUp.objects.filter(patient__in=caseload[:3], doctor=doctor).order_by("patient_id")
    assert stored.count() == 3
    for fu in stored:
        expected = rules.classify(date=today, risk=fu.risk, insight="complete", symptoms=fu.symptoms, social_function=fu.social_function,
                                  hospitalised=fu.hospitalised)
        assert (fu.date, fu.mode, fu.classification, fu.next_due) == (today, "home", expected.classification, expected.next_due)
    detailed = stored.get(patient=caseload[2])
    assert (detailed.symptoms, detailed.social_function, detailed.hospitalised) == (["moody"], {"self_care": "fair"}, "none")
    assert json.loads(detailed.medications) == [{"name": "利培酮", "dose": "2mg", "usage": "每日两次"}]
    assert (detailed.incidents, detailed.effect, detailed.rehabilitation) == ({"minor_trouble": 1}, "improved", ["living"])
    assert {fu.risk for fu in stored} == {0, 1}
    assert not Task.objects.filter(patient__in=caseload, due__lt=today, state=Task.State.DUE).exists()  # every overdue task closed
    assert FollowUp.objects.filter(patient=caseload[3]).count() == 1  # the colleague's only
    conflict = page.locator("#done li[data-outcome=conflict]").inner_text()
    assert "已由" in conflict and "备注" in conflict and "/" not in conflict  # the Chinese half of the server's message
    items = SyncItem.objects.filter(device__user=doctor)
    assert sorted(items.values_list("outcome", flat=True)) == ["conflict"] + ["stored"] * 6
    emergency.refresh_from_db()
    assert (emergency.actions, emergency.outcome, emergency.ambulance) == ("联系家属陪同送市精神卫生中心", "已住院治疗", True)
    assert emergency.completed_at is not None
    photo = FieldNote.objects.get(kind=FieldNote.Kind.PHOTO)
    assert photo.person_id == caseload[1].person_id and photo.text == "随访服务记录表（签字）"
    (assessment,) = Assessment.objects.all()
    assert (assessment.person_id, assessment.total) == (caseload[0].person_id, 0)
    entry = AuditEntry.objects.filter(purpose="field_sync", actor_id=doctor.pk).first()
    assert entry.detail["device_time"] and entry.detail["server_time"]
    # What the phone showed offline (Today after the offline unlock, each form's person) audited at the sync.
    offline = AuditEntry.objects.filter(purpose="field_offline", actor_id=doctor.pk)
    assert {e.person_id for e in offline.filter(detail__view="today")} >= {p.person_id for p in caseload}
    assert {e.person_id for e in offline.filter(detail__view="form")} == {p.person_id for p in caseload}
    assert all(e.detail["device_time"] and e.detail["server_time"] for e in offline)
    assert_accessible(page, "field app, synced")

    # The same form sent again (its answer lost on the way): stored once.
    item = items.filter(outcome="stored", kind="smd_follow_up").first()
    answer = page.evaluate("""async ([clientId, device, csrf]) => {
        const r = await fetch('/api/v1/field/sync/', {method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'X-Field-Device': device, 'X-CSRFToken': csrf},
          body: JSON.stringify({items: [{client_id: clientId, kind: 'smd_follow_up', device_time: new Date().toISOString(), payload: {}}]})});
        return r.json(); }""", [str(item.client_id), str(item.device.public_id),
                                page.locator("#logout-form input[name=csrfmiddlewaretoken]").input_value()])
    assert answer["items"][0]["outcome"] == "stored" and answer["items"][0]["replayed"] is True
    assert FollowUp.objects.filter(patient__in=caseload[:3], doctor=doctor).count() == 3

    page.locator("#logout").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert_accessible(page, "login after logout")
    names_left = page.evaluate("indexedDB.databases().then(list => list.map(d => d.name).filter(n => n.startsWith('xinli-field-')))")
    assert names_left == []


def test_a_revoked_device_erases_the_phone_at_its_next_call(phone, live_server, caseload, tree, personas):
    from xinli.field.models import Device
    from xinli.field.services import revoke_device

    page = phone
    doctor = make_user("village_doctor2", [(tree.a1, Role.SMD_DOCTOR)])
    sign_in(page, live_server, doctor)
    page.goto(f"{live_server.url}/field/")
    page.fill("#unlock-password", PASSWORD)
    page.locator("#unlock-form button").click()
    page.locator("#tasks li[data-kind=smd_follow_up]").first.wait_for()
    assert_accessible(page, "field app, today")
    revoke_device(personas.security_admin, Device.objects.get(user=doctor))
    page.locator("#download").click()
    page.locator("#unlock").wait_for(state="visible")
    assert "已清除" in page.inner_text("#unlock-error")
    names = page.evaluate("indexedDB.databases().then(list => list.map(d => d.name).filter(n => n.startsWith('xinli-field-')))")
    assert names == []
    assert_accessible(page, "field app, erased")
