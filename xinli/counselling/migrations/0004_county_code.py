"""Every person-scoped row carries ``county_code`` (the Citus distribution column, docs/scaling.md): add it and fill
existing rows from their ``org_path`` (or, for rows without one, their parent's)."""

from django.db import migrations, models

from xinli.regions import county_fill


def fill(apps, schema_editor):
    county_fill.fill_from_path(apps, "counselling.Case")
    county_fill.fill_from_path(apps, "counselling.Plan")
    county_fill.fill_from_path(apps, "counselling.Referral")
    county_fill.fill_from_path(apps, "counselling.Booking")
    county_fill.fill_from_path(apps, "counselling.WaitingListEntry")
    county_fill.fill_from_parent(apps, "counselling.Session", "case")
    county_fill.fill_from_parent(apps, "counselling.BreakGlass", "case")


class Migration(migrations.Migration):
    dependencies = [
        ("counselling", "0003_booking_account"),
        ("regions", "0002_unitpopulation"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="session",
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
        migrations.AddField(
            model_name="plan",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="referral",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="booking",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="waitinglistentry",
            name="county_code",
            field=models.CharField(db_index=True, default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
