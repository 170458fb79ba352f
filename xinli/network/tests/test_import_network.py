"""Excel import and export of the network register."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from xinli.core.models import AuditEntry
from xinli.network.models import Institution, Site, Staff
from xinli.network.transfer import SHEETS
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def workbook(tmp_path, sheets):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(SHEETS[name])
        for r in rows:
            ws.append([r.get(c) for c in SHEETS[name]])
    path = tmp_path / "network.xlsx"
    wb.save(path)
    return str(path)


GOOD = {
    "institutions": [{"org_unit_code": "370202000000", "name": "一中", "kind": "secondary_school", "students": 1500}],
    "sites": [{"org_unit_code": "370202001001", "name": "太平角心理咨询室", "kind": "village_room", "opened_on": "2024-03-01"},
              {"org_unit_code": "370202000000", "name": "一中心理辅导室", "kind": "school_room", "institution": "一中", "opened_on": "2023-09-01"}],
    "staff": [{"org_unit_code": "370202000000", "name": "王老师", "profession": "counsellor", "education": "master", "employer": "一中",
               "cert_kind": "counsellor", "cert_number": "C-1", "cert_issuer": "省协会", "cert_valid_from": "2022-01-01"}],
}


def test_import_then_export(tmp_path, officer, tree, capsys):
    call_command("import_network", workbook(tmp_path, GOOD), "--as", "net_officer")
    assert "imported 1 institutions, 2 sites, 1 staff" in capsys.readouterr().out
    assert Site.objects.get(name="一中心理辅导室").institution.name == "一中"
    client = Client()
    login_verified(client, officer)
    r = client.get("/network/export.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert sorted(row[1] for row in wb["sites"].iter_rows(min_row=2, values_only=True)) == sorted(["太平角心理咨询室", "一中心理辅导室"])
    assert AuditEntry.objects.get(action="export", object_type="network").detail == {"institutions": 1, "sites": 2, "staff": 1}


def test_bad_rows_are_reported_and_nothing_is_written(tmp_path, officer, tree, capsys):
    bad = {**GOOD, "sites": GOOD["sites"] + [
        {"org_unit_code": "999999999999", "name": "x", "kind": "village_room", "opened_on": "2024-01-01"},
        {"org_unit_code": "370202001002", "name": "y", "kind": "village_room", "opened_on": "someday"},
        {"org_unit_code": "370203100200", "name": "z", "kind": "village_room", "opened_on": "2024-01-01"}]}
    with pytest.raises(CommandError, match="3 bad rows"):
        call_command("import_network", workbook(tmp_path, bad), "--as", "net_officer")
    err = capsys.readouterr().err
    assert "sites line 4: org_unit_code" in err and "sites line 5" in err and "sites line 6: " in err and "outside your area" in err
    assert not Institution.objects.exists() and not Site.objects.exists() and not Staff.objects.exists()
    call_command("import_network", workbook(tmp_path, bad), "--as", "net_officer", "--skip-invalid")
    assert Site.objects.count() == 2


def test_export_is_for_officers_only(tree, personas):
    client = Client()
    login_verified(client, personas.village_worker_1)
    assert client.get("/network/export.xlsx").status_code == 404
