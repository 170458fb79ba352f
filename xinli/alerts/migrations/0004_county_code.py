"""Every person-scoped row carries ``county_code`` (the Citus distribution column, docs/scaling.md): add it and fill
existing rows from their ``org_path`` (or, for rows without one, their parent's)."""

from django.db import migrations, models

from xinli.regions import county_fill


def fill(apps, schema_editor):
    county_fill.fill_from_path(apps, "alerts.CrisisCase")
    county_fill.fill_from_path(apps, "alerts.CrisisEvent")
    county_fill.fill_from_path(apps, "alerts.AffectedPerson")
    county_fill.fill_from_path(apps, "alerts.FollowUp")
    county_fill.fill_from_parent(apps, "alerts.AlertEvent", "alert")
    county_fill.fill_from_parent(apps, "alerts.CrisisAction", "case")


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_deadlinepolicy_ack_minutes_min_1"),
        ("regions", "0002_unitpopulation"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertevent",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="crisisaction",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="crisiscase",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="crisisevent",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="affectedperson",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="followup",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
