"""Syncing the other queued forms: an assessment (scored by the server), a home-visit note, a concern (raises an
alert) and a photo of a signed paper form attached to a record."""

import base64

import pytest
from django.utils import timezone

from xinli.alerts.models import Alert
from xinli.core.models import AuditEntry
from xinli.field.models import FieldNote, SyncItem
from xinli.screening.models import Assessment
from xinli.smd.models import FollowUp

from .conftest import api, headers, item, register, visit

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


def _sync(user, device, items):
    r = api(user).post("/api/v1/field/sync/", {"items": items}, format="json", **headers(device))
    assert r.status_code == 200, r.content
    return r.json()["items"]


def test_an_assessment_is_scored_by_the_server(personas, people):
    worker = personas.village_worker_1
    device = register(worker)
    one = item("assessment", {"person": people.in_a1v1.pk, "scale": "phq9", "answers": [1] * 8 + [0]})
    [result] = _sync(worker, device, [one])
    assert result["outcome"] == "stored"
    a = Assessment.objects.get()
    assert (a.person, a.administered_by, a.total, a.band) == (people.in_a1v1, worker, 8, "mild")
    assert result["result"] | {"band_label": ""} == {"assessment": a.pk, "scale": "phq9", "total": "8", "band": "mild",
                                                      "band_label": "", "severity": 1}
    [again] = _sync(worker, device, [one])
    assert again["replayed"] is True and Assessment.objects.count() == 1


def test_an_assessment_with_a_bad_answer_is_refused_naming_the_answers(personas, people):
    worker = personas.village_worker_1
    device = register(worker)
    [result] = _sync(worker, device, [item("assessment", {"person": people.in_a1v1.pk, "scale": "phq9", "answers": [7] * 9})])
    assert result["outcome"] == "refused" and "answers" in result["errors"]
    assert not Assessment.objects.exists() and not SyncItem.objects.exists()


def test_a_home_visit_note_and_a_concern(personas, people):
    worker = personas.village_worker_1
    device = register(worker)
    today = timezone.localdate().isoformat()
    results = _sync(worker, device, [
        item("home_visit_note", {"person": people.in_a1v1.pk, "date": today, "text": "家中整洁，按时服药。"}),
        item("concern", {"person": people.in_a1v1.pk, "level": "orange", "summary": "邻居反映夜间吵闹，情绪激动。"}),
    ])
    assert [r["outcome"] for r in results] == ["stored", "stored"]
    note = FieldNote.objects.get(pk=results[0]["result"]["note"])
    assert (note.kind, note.text, note.person, note.author) == ("home_visit", "家中整洁，按时服药。", people.in_a1v1, worker)
    alert = Alert.objects.get(pk=results[1]["result"]["alert"])
    assert (alert.level, alert.person, alert.reported_by) == ("orange", people.in_a1v1, worker)
    assert AuditEntry.objects.filter(purpose="field_sync", person_id=people.in_a1v1.pk).count() == 2


def test_a_concern_outside_the_area_is_refused(personas, people):
    worker = personas.village_worker_1
    device = register(worker)
    [result] = _sync(worker, device, [item("concern", {"person": people.in_b1v1.pk, "level": "red", "summary": "x"})])
    assert result["outcome"] == "refused" and "person" in result["errors"]
    assert not Alert.objects.filter(person=people.in_b1v1).exists()


def test_a_photo_of_a_signed_form_is_attached_to_the_follow_up(doctor, patients):
    mine, _ = patients
    device = register(doctor)
    [fu] = _sync(doctor, device, [item("smd_follow_up", {"patient": mine[0].pk, "follow_up": visit()})])
    follow_up = FollowUp.objects.get(pk=fu["result"]["follow_up"])
    photo = {"person": mine[0].person_id, "content_type": "image/jpeg", "data": base64.b64encode(JPEG).decode(),
             "about": {"type": "smd.followup", "id": follow_up.pk}, "text": "知情同意书"}
    [result] = _sync(doctor, device, [item("attachment_photo", photo)])
    assert result["outcome"] == "stored"
    note = FieldNote.objects.get(pk=result["result"]["note"])
    assert (note.kind, note.about_type, note.about_id, note.content_type) == ("photo", "smd.followup", follow_up.pk, "image/jpeg")
    assert base64.b64decode(note.photo) == JPEG


@pytest.mark.parametrize(("change", "field"), [
    ({"content_type": "application/pdf"}, "content_type"),
    ({"data": "%%%not base64"}, "data"),
    ({"data": base64.b64encode(b"GIF89a" + b"\x00" * 50).decode()}, "data"),  # declared JPEG, is not
    ({"data": base64.b64encode(b"\xff\xd8\xff" + b"\x00" * (700 * 1024)).decode()}, "data"),  # too large
    ({"about": {"type": "smd.followup", "id": 999999}}, "about"),
])
def test_a_bad_photo_is_refused_naming_the_field(doctor, patients, change, field, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
    mine, _ = patients
    device = register(doctor)
    photo = {"person": mine[0].person_id, "content_type": "image/jpeg", "data": base64.b64encode(JPEG).decode()} | change
    [result] = _sync(doctor, device, [item("attachment_photo", photo)])
    assert result["outcome"] == "refused" and field in result["errors"], result
    assert not FieldNote.objects.exists()
