from django.db import migrations


def load_kinds(apps, schema_editor):
    from xinli.governance.kinds import DEFAULTS

    Department = apps.get_model("regions", "Department")
    OrderKind = apps.get_model("governance", "OrderKind")
    departments = {d.code: d for d in Department.objects.all()}
    for code, name, name_en, dept, hours, days, fields, sort in DEFAULTS:
        OrderKind.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "department": departments[dept], "accept_hours": hours,
            "complete_days": days, "person_fields": fields, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("regions", "0005_departments")]
    operations = [migrations.RunPython(load_kinds, migrations.RunPython.noop)]
