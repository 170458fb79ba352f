"""Registering departments' offices from a CSV (issue 19): every bad row reported with its line and nothing
written; a new department added with its name; re-running renames and creates nothing twice."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinli.regions.models import Department, DepartmentUnit
from xinli.regions.services import import_department_units

pytestmark = pytest.mark.django_db


def test_bad_rows_are_all_reported_and_nothing_is_written(tree):
    text = ("department_code,org_unit_code,name\n"
            "civil_affairs,370202000000,市南区民政局\n"
            "nosuch,370202000000,某局\n"
            "justice,999999999999,司法所\n"
            "civil_affairs,370202000000,\n")
    report = import_department_units(text)
    assert [line for line, _m in report.errors] == [3, 4, 5, 5]
    assert "department_name" in report.errors[0][1] and "999999999999" in report.errors[1][1]
    assert not DepartmentUnit.objects.exists()


def test_offices_and_a_new_department_are_registered_and_a_rerun_renames(tree, tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text("department_code,org_unit_code,name,department_name\n"
                    "civil_affairs,370202000000,市南区民政局,\n"
                    "justice,370202001000,八大关司法所,\n"
                    "veterans,370202000000,市南区退役军人事务局,退役军人事务\n", encoding="utf-8")
    call_command("import_departments", str(path))
    assert DepartmentUnit.objects.count() == 3
    assert Department.objects.get(code="veterans").name == "退役军人事务"
    path.write_text("department_code,org_unit_code,name\ncivil_affairs,370202000000,市南区民政局（新）\n", encoding="utf-8")
    report = import_department_units(path.read_text(encoding="utf-8"))
    assert (report.created, report.updated) == (0, 1)
    assert DepartmentUnit.objects.get(department__code="civil_affairs").name == "市南区民政局（新）"
    with pytest.raises(CommandError):
        call_command("import_departments", str(tmp_path / "missing.csv"))
