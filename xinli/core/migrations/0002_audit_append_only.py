"""Database-level protection of the audit log: no UPDATE ever; on PostgreSQL no DELETE of entries younger than
six months (Cybersecurity Law art. 21). The application refuses both as well (AuditQuerySet)."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION xinli_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'audit entries are append-only';
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
PG_DOWN = "DROP TRIGGER IF EXISTS xinli_audit_guard ON core_auditentry; DROP FUNCTION IF EXISTS xinli_audit_guard();"
SQLITE_UP = """
CREATE TRIGGER xinli_audit_no_update BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS xinli_audit_no_update;"


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
