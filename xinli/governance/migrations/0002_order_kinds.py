from django.db import migrations


def load_kinds(apps, schema_editor):
    from xinli.governance.kinds import ensure_defaults

    ensure_defaults(apps.get_model("governance", "OrderKind"), apps.get_model("regions", "Department"))


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("regions", "0005_departments")]
    operations = [migrations.RunPython(load_kinds, migrations.RunPython.noop)]
