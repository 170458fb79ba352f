"""Break the glass on an SMD patient (DESIGN: clinical details only for treating roles; others with a written reason,
for a limited time, audited, shown to the audit admin): a case-team member (police liaison, community worker) opens
the clinical details for four hours, read only; a short reason opens nothing; treating roles and users outside the
area cannot ask; the grant ends by itself."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.core import breakglass
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.smd import services
from xinli.smd.models import BreakGlass
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
REASON = "患者持刀在楼道徘徊，需了解诊断与用药以便处置"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_police_liaison_opens_the_clinical_details_for_four_hours(patient, police):
    url = f"/api/v1/smd/patients/{patient.pk}/"
    assert "diagnosis" not in api(police).get(url).json()
    r = api(police).post(url + "break-glass/", {"reason": "看看"}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    assert not BreakGlass.objects.exists() and not AuditEntry.objects.filter(action="break_glass").exists()

    r = api(police).post(url + "break-glass/", {"reason": REASON}, format="json")
    assert r.status_code == 201, r.content
    hours = (BreakGlass.objects.get().expires_at - BreakGlass.objects.get().granted_at).total_seconds() / 3600
    assert hours == breakglass.HOURS == 4
    body = api(police).get(url).json()
    assert body["diagnosis"] == "F20" and body["guardian_name"] == "张父"
    assert api(police).get(url + "follow-ups/").status_code == 200  # read
    assert api(police).post(url + "follow-ups/", {}, format="json").status_code == 404  # never write
    entry = AuditEntry.objects.get(action="break_glass")
    assert (entry.actor_username, entry.person_id, entry.purpose) == ("police", patient.person_id, REASON[:60])
    reads = set(AuditEntry.objects.filter(action="read", object_type="smd.patient").values_list("purpose", flat=True))
    assert reads == {"smd basic", "smd break-glass"}

    BreakGlass.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))  # four hours later
    assert "diagnosis" not in api(police).get(url).json()
    assert api(police).get(url + "follow-ups/").status_code == 404


def test_treating_roles_and_outsiders_cannot_ask(patient, doctor, tree):
    outsider = make_user("police_b", [(tree.b1, Role.POLICE_LIAISON)])
    assert api(doctor).post(f"/api/v1/smd/patients/{patient.pk}/break-glass/", {"reason": REASON}, format="json").status_code == 403
    assert api(outsider).post(f"/api/v1/smd/patients/{patient.pk}/break-glass/", {"reason": REASON}, format="json").status_code == 404
    assert not BreakGlass.objects.exists()


def test_the_page_offers_the_glass_and_the_audit_admin_sees_it(patient, police, personas):
    client = Client()
    login_verified(client, police)
    page = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert "break-glass" in page and "F20" not in page and "follow-up/" not in page
    client.post(f"/smd/patients/{patient.pk}/break-glass/", {"reason": "看看"})
    assert not BreakGlass.objects.exists()
    client.post(f"/smd/patients/{patient.pk}/break-glass/", {"reason": REASON})
    page = client.get(f"/smd/patients/{patient.pk}/").content.decode()
    assert "F20" in page and "follow-up/" not in page  # clinical details, still no follow-up button
    assert client.get(f"/smd/patients/{patient.pk}/follow-up/").status_code == 404
    auditor = Client()
    login_verified(auditor, personas.audit_admin)
    listed = auditor.get("/audit/", {"action": "break_glass"}).content.decode()
    assert "police" in listed and REASON[:20] in listed and "失效时间：" in listed  # who, why, until when (in words)


def test_service_refuses_a_user_without_the_basic_view(patient, personas):
    with pytest.raises(services.PermissionDenied):
        services.break_glass(personas.nobody, patient, reason=REASON)
