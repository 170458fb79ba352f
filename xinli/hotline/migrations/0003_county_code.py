"""Every person-scoped row carries ``county_code`` (the Citus distribution column, docs/scaling.md): add it and fill
existing rows from their ``org_path`` (or, for rows without one, their parent's)."""

import importlib

from django.db import migrations, models

from xinli.regions import county_fill

RETENTION = importlib.import_module("xinli.hotline.migrations.0002_call_retention_guard")


def fill(apps, schema_editor):
    county_fill.fill_from_path(apps, "hotline.Call")


def recreate_call_retention_trigger(apps, schema_editor):
    """SQLite adds this column by rebuilding ``hotline_call``, which drops its triggers: put the retention guard
    (0002) back. PostgreSQL alters the table in place and keeps it."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS xinli_call_retention;")
        schema_editor.execute(RETENTION.SQLITE_UP[0])


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0002_call_retention_guard"),
        ("regions", "0002_unitpopulation"),
    ]

    operations = [
        # Runs last when unapplying (after the rebuild that drops the column).
        migrations.RunPython(migrations.RunPython.noop, recreate_call_retention_trigger),
        migrations.AddField(
            model_name="call",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(recreate_call_retention_trigger, migrations.RunPython.noop),
    ]
