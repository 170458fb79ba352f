# Issue 16 item 6: population tags carry their person's sex for the T09/CA1 counts, which no longer read the
# persons (their covering index goes).

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_sex(apps, schema_editor):
    """Each tag takes its person's sex (one UPDATE; the archive's services keep it in step from now on)."""
    Person = apps.get_model("archives", "Person")
    PopulationTag = apps.get_model("archives", "PopulationTag")
    PopulationTag.objects.using(schema_editor.connection.alias).exclude(person__sex="U").update(
        sex=Subquery(Person.objects.filter(pk=OuterRef("person_id")).values("sex")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0007_blind_index_plain_btree'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='person',
            name='person_id_path_sex',
        ),
        migrations.AddField(
            model_name='populationtag',
            name='sex',
            field=models.CharField(choices=[('M', 'male'), ('F', 'female'), ('U', 'unknown')], default='U', editable=False, max_length=1, verbose_name='sex'),
        ),
        migrations.RunPython(copy_sex, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='populationtag',
            index=models.Index(fields=['org_path', 'sex', 'person'], include=('tag', 'since', 'until'), name='tag_path_sex_person'),
        ),
    ]
