"""Issue 16: numerators are stored unscaled. T11's numerator was patients × 1000 and WF1's staff × 10,000; the values
do not change (value = numerator ÷ denominator × scale)."""

from django.db import migrations
from django.db.models import F

SCALES = {"T11": 1000, "WF1": 10000}


def unscale(apps, schema_editor):
    Rollup = apps.get_model("indicators", "Rollup")
    for code, scale in SCALES.items():
        Rollup.objects.filter(indicator=code, numerator__isnull=False).update(numerator=F("numerator") / scale)


def rescale(apps, schema_editor):
    Rollup = apps.get_model("indicators", "Rollup")
    for code, scale in SCALES.items():
        Rollup.objects.filter(indicator=code, numerator__isnull=False).update(numerator=F("numerator") * scale)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0003_breakdowns_assessments_incidents")]
    operations = [migrations.RunPython(unscale, rescale)]
