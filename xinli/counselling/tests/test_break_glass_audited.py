"""Break-the-glass from the case page, end to end: the reason is recorded, the grant expires after
BREAK_GLASS_HOURS, and the audit administrator finds the entry (who, which person, the reason) in the audit viewer.
The service-level rules (reason length, expiry, scope) are in test_case_work.py."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.counselling import services
from xinli.counselling.models import BreakGlass
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
REASON = "来访者今晚失联，需了解既往风险史"


def test_break_the_glass_on_the_case_page_is_seen_by_the_audit_admin(people, personas, tree):
    case = services.open_case(personas.counsellor, people.in_a1v1, reason="失眠")
    services.add_session(personas.counsellor, case, date=timezone.localdate(), minutes=50, notes="保密内容甲乙丙")
    colleague = make_user("duty_counsellor", [(tree.a1, Role.COUNSELLOR)])
    client = Client()
    login_verified(client, colleague)
    assert "保密内容甲乙丙" not in client.get(f"/counselling/cases/{case.pk}/").content.decode()
    # A reason that is too short is refused and grants nothing.
    client.post(f"/counselling/cases/{case.pk}/", {"do": "break_glass", "reason": "看看"})
    assert not BreakGlass.objects.exists()
    before = timezone.now()
    r = client.post(f"/counselling/cases/{case.pk}/", {"do": "break_glass", "reason": REASON})
    assert r.status_code == 302
    grant = BreakGlass.objects.get(case=case, user=colleague)
    assert grant.reason == REASON
    hours = (grant.expires_at - before).total_seconds() / 3600
    assert hours == pytest.approx(services.BREAK_GLASS_HOURS, abs=0.01) and hours <= 24
    assert "保密内容甲乙丙" in client.get(f"/counselling/cases/{case.pk}/").content.decode()
    entry = AuditEntry.objects.get(action="break_glass", actor_username="duty_counsellor")
    assert entry.person_id == people.in_a1v1.pk and entry.purpose == REASON[:60] and entry.object_id == str(case.pk)
    assert entry.detail["expires_at"] == grant.expires_at.isoformat()

    # The audit administrator sees it in the viewer, filtered by action; the security administrator cannot open it.
    auditor = Client()
    login_verified(auditor, personas.audit_admin)
    page = auditor.get("/audit/", {"action": "break_glass"}).content.decode()
    assert "duty_counsellor" in page and REASON[:20] in page and str(people.in_a1v1.pk) in page
    security = Client()
    login_verified(security, personas.security_admin)
    assert security.get("/audit/", {"action": "break_glass"}).status_code == 404

    # After expiry the notes are closed again, without any further action.
    BreakGlass.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert "保密内容甲乙丙" not in client.get(f"/counselling/cases/{case.pk}/").content.decode()
