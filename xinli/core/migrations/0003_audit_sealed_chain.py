"""Audit entries are appended with one INSERT and sealed into the SM3 chain afterwards (xinli.core.audit.seal).

``seq`` stops being the primary key (it is now the chain position, set once by the sealer); ``id`` is the insertion
key. The database guard is replaced: an UPDATE may only set the chain columns of an unsealed entry, never content.
Existing entries keep their seq and hashes (``id`` is not part of the hashed content).
"""

from django.db import migrations, models

CONTENT = [
    "id", "at", "actor_id", "actor_username", "action", "object_type", "object_id", "person_id", "org_path", "view",
    "purpose", "outcome", "ip", "detail",
]

PG_GUARD = """
CREATE OR REPLACE FUNCTION xinli_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL
       OR (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') IS DISTINCT FROM (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
      RAISE EXCEPTION 'audit entries are append-only';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.at > now() - interval '183 days' THEN
    RAISE EXCEPTION 'audit entries younger than 6 months cannot be deleted';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER xinli_audit_guard BEFORE UPDATE OR DELETE ON core_auditentry
  FOR EACH ROW EXECUTE FUNCTION xinli_audit_guard();
"""
PG_DROP = "DROP TRIGGER IF EXISTS xinli_audit_guard ON core_auditentry;"

SQLITE_GUARD = (
    "CREATE TRIGGER xinli_audit_no_update BEFORE UPDATE ON core_auditentry WHEN "
    "OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL OR "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
    + " BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;"
)
SQLITE_DROP = "DROP TRIGGER IF EXISTS xinli_audit_no_update;"


def drop_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


def drop_seq_primary_key(apps, schema_editor):
    """PostgreSQL: Django does not drop a primary key when a field stops being one (SQLite rebuilds the table)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'core_auditentry'::regclass AND contype = 'p'"
        )
        for (name,) in cur.fetchall():
            schema_editor.execute(f'ALTER TABLE core_auditentry DROP CONSTRAINT "{name}"')


def create_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_GUARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [
        migrations.RunPython(drop_guard, migrations.RunPython.noop),
        migrations.RunPython(drop_seq_primary_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry", name="seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name="chain position"),
        ),
        migrations.AddField(
            model_name="auditentry", name="id",
            field=models.BigAutoField(primary_key=True, serialize=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry", name="prev_hash", field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry", name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterModelOptions(
            name="auditentry",
            options={"ordering": ["-id"], "verbose_name": "audit entry", "verbose_name_plural": "audit entries"},
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(condition=models.Q(seq__isnull=True), fields=["id"], name="audit_unsealed_idx"),
        ),
        migrations.RunPython(create_guard, drop_guard),
    ]
