"""Listing calls shows what callers said: the residents linked to the listed calls are audited reads."""

import pytest
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.hotline import services

pytestmark = pytest.mark.django_db

BASE = {"caller_phone": "13912345678", "recording_notice": True}


def test_the_calls_list_audits_each_linked_person_and_the_listing(personas, line, people):
    op = personas.hotline_operator
    linked = [services.record_call(op, line, BASE | {"person": people.in_a1v1, "consent_to_link": True, "notes": f"第{i}次"})
              for i in range(2)]
    anonymous = services.record_call(op, line, BASE | {"notes": "匿名"})
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    client = APIClient()
    client.force_authenticate(op)
    r = client.get("/api/v1/hotline/calls/")
    assert r.status_code == 200 and "匿名" in [c["notes"] for c in r.json()["results"]]
    entries = AuditEntry.objects.filter(id__gt=mark, actor_id=op.pk)
    # One entry for the resident (two calls, one person), and the listing with every call id.
    assert list(entries.filter(person_id__isnull=False).values_list("person_id", "action")) == [(people.in_a1v1.pk, "search")]
    listing = entries.get(object_type="hotline.call", object_id="list")
    assert sorted(listing.detail["calls"]) == sorted([c.pk for c in linked] + [anonymous.pk])
