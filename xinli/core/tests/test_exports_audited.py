"""Every export (DOMAIN §8: exports of personal data only by authorised roles, logged, de-identified by default).

``EXPORTS`` lists every route that hands out a file or a machine-readable record, with what it contains; a route
whose path looks like an export (.xlsx/.pdf/.docx/.csv, download, export, fhir) and is not listed fails
``test_every_export_route_is_listed``. Each personal-data export then has a test below showing (a) refused to a role
without the capability, (b) an audit entry with action ``export`` and how many, (c) no name, ID number, phone or
address unless the explicit, audited "identified" option is used — or, where the file is identified by its nature,
the reason in the table.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.core.tests.test_authorization_matrix import assessments  # noqa: F401  (the shared object fixture)
from xinli.core.tests.test_html_access_matrix import html_routes
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

EXPORTS = {
    "smd/export.xlsx": "SMD register: personal; de-identified by default, names only with identified=1 + purpose; "
                       "layout=national (the upward register) is identified by nature: purpose required, audited per person",
    "smd/patients/<int:pk>/forms/": "a national SMD form (PDF, POST) filled from one patient's record: identified by nature "
                                    "(the paper record of that patient); treating roles only, purpose required, audited export",
    "smd/forms/blank/": "the national SMD forms printed blank: no personal data; smd.view only",
    "campaigns/<int:pk>/positive.xlsx": "campaign positive list: personal; pseudonyms by default, labels with identified=1 + purpose",
    "campaigns/<int:pk>/participants/": "participant code slips: identified by nature (each slip is handed to that participant); "
                                        "responsible staff only, audited as an export with the number of slips",
    "assessments/<int:pk>/report.pdf": "the person's own report, handed to the person: identified by purpose; audited export",
    "api/v1/assessments/(?P<pk>[0-9]{1,18})/fhir/": "FHIR Bundle of one assessment: subject is the internal id only; audited export",
    "network/export.xlsx": "service-network register: institutions, sites and staff (names, certificates) — the workforce "
                           "register an officer keeps and re-imports (PIPL art. 13(2) human-resources management); no "
                           "resident data; network.manage only; audited with counts",
    "indicators/export.xlsx": "indicator rollups: aggregates, no personal data; indicators.view only",
    "reports/<int:pk>/download/": "Word reports built from rollups: aggregates, no personal data; indicators.view only",
}
# Exports outside the URL conf.
COMMAND_EXPORTS = {
    "export_indicators": "federation JSON of indicator values: aggregates only (tested below)",
    "export_archive": "operator's region backup: personal data SM4-encrypted under a backup key, audited as an export "
                      "(tested in test_export_archive.py)",
}
EXPORT_LIKE = re.compile(r"(xlsx|csv|pdf|docx|download|export|fhir)", re.I)


def _all_routes():
    return [r for r, _ in html_routes()] + [r.replace("/^", "/").removesuffix("$") for r in _api_routes()]


def _api_routes():
    from xinli.core.tests.test_authorization_matrix import api_routes

    return [r for r, _ in api_routes()]


def test_every_export_route_is_listed():
    routes = {r for r in _all_routes() if "(?P<format>" not in r}  # the ".json" suffix variants are the same views
    looks_like_export = {r for r in routes if EXPORT_LIKE.search(r) and "import" not in r}
    assert looks_like_export - set(EXPORTS) == set(), "an export route missing from EXPORTS"
    assert set(EXPORTS) - routes == set(), "EXPORTS names a route that no longer exists"


def _xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    return " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def _identifiers(people) -> list[str]:
    out = []
    for p in people.all():
        out += [p.name, p.id_number, p.phone, p.address]
    return out


def _exports(**kw):
    return AuditEntry.objects.filter(action="export", **kw)


def test_smd_register_export(people, personas, assessments):  # noqa: F811
    client = Client()
    login_verified(client, personas.county_officer)  # no smd.view
    assert client.get("/smd/export.xlsx").status_code == 404
    assert not _exports().exists()
    client = Client()
    login_verified(client, personas.smd_doctor)  # a1: the two A1 villages
    text = _xlsx_text(client.get("/smd/export.xlsx").content)
    assert "P0" in text and not any(x in text for x in _identifiers(people))
    entry = _exports(actor_username="smd_doctor").get()
    assert entry.detail == {"patients": 2, "identified": False}
    assert client.get("/smd/export.xlsx", {"identified": "1"}).status_code == 302  # no purpose, no file
    text = _xlsx_text(client.get("/smd/export.xlsx", {"identified": "1", "purpose": "转介交接"}).content)
    assert people.in_a1v1.name in text and people.in_a1v1.id_number in text and people.in_a2v1.name not in text
    summary = _exports(actor_username="smd_doctor", object_id="register").latest("id")
    assert summary.detail == {"patients": 2, "identified": True} and summary.purpose == "转介交接"
    assert set(_exports(actor_username="smd_doctor", person_id__isnull=False).values_list("person_id", flat=True)) == {
        people.in_a1v1.pk, people.in_a1v2.pk}


def test_smd_upward_register_and_filled_forms(people, personas, assessments):  # noqa: F811
    from xinli.smd.models import Patient

    client = Client()
    login_verified(client, personas.county_officer)  # no smd.view
    patient = Patient.objects.get(person=people.in_a1v1)
    assert client.get("/smd/export.xlsx", {"layout": "national", "purpose": "上报"}).status_code == 404
    assert client.post(f"/smd/patients/{patient.pk}/forms/", {"form": "supplement", "purpose": "x"}).status_code == 404
    assert client.get("/smd/forms/blank/", {"form": "supplement"}).status_code == 404
    assert not _exports().exists()
    client = Client()
    login_verified(client, personas.smd_doctor)
    assert client.get("/smd/export.xlsx", {"layout": "national"}).status_code == 302  # no purpose, no file
    assert not _exports().exists()
    text = _xlsx_text(client.get("/smd/export.xlsx", {"layout": "national", "purpose": "季度上报"}).content)
    assert people.in_a1v1.id_number in text and people.in_a1v2.name in text and people.in_a2v1.name not in text
    assert set(_exports(actor_username="smd_doctor", person_id__isnull=False).values_list("person_id", flat=True)) == {
        people.in_a1v1.pk, people.in_a1v2.pk}
    r = client.post(f"/smd/patients/{patient.pk}/forms/", {"form": "supplement", "purpose": "入户随访"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    entry = _exports(actor_username="smd_doctor", object_type="smd.patient", object_id=str(patient.pk)).get()
    assert entry.person_id == people.in_a1v1.pk and entry.purpose == "入户随访" and entry.detail == {"form": "supplement"}


@pytest.fixture
def campaign(tree):
    import datetime

    from django.utils import timezone

    from xinli.screening import campaigns

    psy = make_user("psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="一中普查", kind="school", institution="一中", org_unit=tree.a1, scales=["phq9"],
                                  opens_at=now, closes_at=now + datetime.timedelta(days=3),
                                  groups=[{"name": "1班", "participants": [{"label": "学生甲", "minor_under_14": False},
                                                                               {"label": "学生乙", "minor_under_14": False}]}])
    for p, item in zip(c.participants.order_by("pk"), (3, 0), strict=True):
        campaigns.submit(p.code, {"phq9": {str(i): item for i in range(1, 10)}})
    return c, psy


def test_campaign_positive_list_and_code_slips(campaign, tree):
    c, psy = campaign
    other = make_user("other_psy", [(tree.county_a, Role.SCHOOL_PSYCHOLOGIST)])  # same area, not responsible
    client = Client()
    login_verified(client, other)
    assert client.get(f"/campaigns/{c.pk}/positive.xlsx").status_code == 404
    assert client.get(f"/campaigns/{c.pk}/participants/").status_code == 404
    assert not _exports().exists()
    client = Client()
    login_verified(client, psy)
    text = _xlsx_text(client.get(f"/campaigns/{c.pk}/positive.xlsx").content)
    positive = next(p for p in c.participants.all() if p.label == "学生甲")
    assert f"P{positive.pk:06d}" in text and "学生甲" not in text and "学生乙" not in text
    entry = _exports(actor_username="psy").get()
    assert entry.detail == {"rows": 1, "format": "xlsx", "identified": False}
    r = client.get(f"/campaigns/{c.pk}/positive.xlsx", {"identified": "1"})
    assert r.status_code == 302 and _exports().count() == 1  # no purpose: no file, nothing exported
    text = _xlsx_text(client.get(f"/campaigns/{c.pk}/positive.xlsx", {"identified": "1", "purpose": "班主任约谈"}).content)
    assert "学生甲" in text and "学生乙" not in text
    entry = _exports(actor_username="psy").latest("id")
    assert entry.detail["identified"] is True and entry.purpose == "班主任约谈"
    # The code slips: identified by nature, audited with their number.
    assert client.get(f"/campaigns/{c.pk}/participants/").status_code == 200
    assert _exports(actor_username="psy", detail__codes_sheet=2).exists()


def test_fhir_and_personal_report(people, personas, assessments):  # noqa: F811
    from xinli.screening.models import Assessment

    a = Assessment.objects.filter(person=people.in_a1v1).first()
    b = Assessment.objects.filter(person=people.in_b1v1).first()
    api = APIClient()
    api.force_authenticate(personas.village_worker_1)
    r = api.get(f"/api/v1/assessments/{a.pk}/fhir/")
    assert r.status_code == 200
    body = json.dumps(r.json(), ensure_ascii=False)
    assert f"Patient/{people.in_a1v1.pk}" in body and not any(x in body for x in _identifiers(people))
    entry = _exports(actor_username="village_worker_1").get()
    assert entry.person_id == people.in_a1v1.pk and entry.detail == {"format": "fhir", "resources": 2, "identified": False}
    assert api.get(f"/api/v1/assessments/{b.pk}/fhir/").status_code == 404
    api.force_authenticate(personas.hotline_operator)  # no archive or screening capability
    assert api.get(f"/api/v1/assessments/{a.pk}/fhir/").status_code in (403, 404)
    assert _exports().count() == 1
    client = Client()
    login_verified(client, personas.village_worker_1)
    assert client.get(f"/assessments/{b.pk}/report.pdf").status_code == 404
    r = client.get(f"/assessments/{a.pk}/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    entry = _exports(actor_username="village_worker_1", detail__format="pdf").get()
    assert entry.person_id == people.in_a1v1.pk and entry.detail["identified"] is True


def test_network_register_holds_no_resident_data_and_is_audited(people, personas, assessments):  # noqa: F811
    client = Client()
    login_verified(client, personas.counsellor)
    assert client.get("/network/export.xlsx").status_code == 404
    client = Client()
    login_verified(client, personas.county_officer)
    text = _xlsx_text(client.get("/network/export.xlsx").content)
    assert "市南区一中" in text and "市北区一中" not in text  # the officer's county only
    assert not any(x in text for x in _identifiers(people))
    entry = _exports(actor_username="county_officer").get()
    assert entry.detail == {"institutions": 1, "sites": 1, "staff": 1}


def test_aggregate_exports_carry_no_personal_data(people, personas, assessments, tree, tmp_path):  # noqa: F811
    from xinli.indicators.models import Rollup
    from xinli.reports.models import Report

    Rollup.objects.create(indicator="T01", period="2025", org_unit=tree.county_a, org_path=tree.county_a.path,
                          value=50, numerator=1, denominator=2)
    client = Client()
    login_verified(client, personas.village_worker_1)  # no indicators.view
    assert client.get("/indicators/export.xlsx").status_code == 404
    client = Client()
    login_verified(client, personas.county_officer)
    r = client.get("/indicators/export.xlsx", {"org": tree.county_a.code, "year": "2025"})
    text = _xlsx_text(r.content)
    assert "T01" in text and not any(x in text for x in _identifiers(people))
    mine = Report.objects.create(kind="annual_summary", org_unit=tree.county_a, org_path=tree.county_a.path, year=2025,
                                 state="done", progress=100, content=b"docx")
    theirs = Report.objects.create(kind="annual_summary", org_unit=tree.county_b, org_path=tree.county_b.path, year=2025,
                                   state="done", progress=100, content=b"docx")
    assert client.get(f"/reports/{mine.pk}/download/").status_code == 200
    assert client.get(f"/reports/{theirs.pk}/download/").status_code == 404
    out = tmp_path / "values.json"
    call_command("export_indicators", "--org", tree.city.code, "--period", "2025", "-o", str(out))
    doc = out.read_text(encoding="utf-8")
    assert "T01" in doc and not any(x in doc for x in _identifiers(people))
