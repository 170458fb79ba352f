"""Register export: de-identified by default, identified only with a purpose; audited; treating roles only."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from xinli.core.models import AuditEntry
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def rows(response):
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_default_export_has_no_identifying_data(patient, doctor):
    client = Client()
    login_verified(client, doctor)
    r = client.get("/smd/export.xlsx")
    assert r.status_code == 200
    table = rows(r)
    assert table[1][0] == f"P{patient.pk:06d}"
    flat = " ".join(str(c) for row in table for c in row if c is not None)
    assert patient.person.name not in flat and patient.person.id_number not in flat
    entry = AuditEntry.objects.get(action="export", object_type="smd.patient")
    assert entry.detail == {"patients": 1, "identified": False}


def test_identified_export_needs_a_purpose_and_audits_each_person(patient, doctor):
    client = Client()
    login_verified(client, doctor)
    assert client.get("/smd/export.xlsx", {"identified": "1"}).status_code == 302
    r = client.get("/smd/export.xlsx", {"identified": "1", "purpose": "转介交接"})
    assert patient.person.name in str(rows(r))
    assert AuditEntry.objects.filter(action="export", person_id=patient.person_id, purpose="转介交接").exists()


def test_case_team_roles_cannot_export(patient, police):
    client = Client()
    login_verified(client, police)
    assert client.get("/smd/export.xlsx").status_code == 404


def test_export_shows_the_classification_label_not_its_code(patient, doctor):
    import datetime

    from django.utils import timezone

    from xinli.smd import services

    from .conftest import visit

    services.record_follow_up(doctor, patient, visit(date=timezone.localdate() - datetime.timedelta(days=1), risk=1, insight="partial"))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(client, doctor)
    table = rows(client.get("/smd/export.xlsx"))
    assert table[1][7] == "基本稳定"
