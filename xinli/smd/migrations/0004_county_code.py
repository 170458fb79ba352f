"""Every person-scoped row carries ``county_code`` (the Citus distribution column, docs/scaling.md): add it and fill
existing rows from their ``org_path`` (or, for rows without one, their parent's)."""

from django.db import migrations, models

from xinli.regions import county_fill


def fill(apps, schema_editor):
    county_fill.fill_from_path(apps, "smd.FollowUp")
    county_fill.fill_from_path(apps, "smd.Task")
    county_fill.fill_from_path(apps, "smd.Emergency")
    county_fill.fill_from_path(apps, "smd.Support")
    county_fill.fill_from_parent(apps, "smd.TeamMember", "patient")
    county_fill.fill_from_parent(apps, "smd.BreakGlass", "patient")


class Migration(migrations.Migration):
    dependencies = [
        ("smd", "0003_break_glass"),
        ("regions", "0002_unitpopulation"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="task",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="emergency",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="support",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="teammember",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="breakglass",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
