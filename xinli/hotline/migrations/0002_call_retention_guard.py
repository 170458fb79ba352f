"""Hotline records are kept at least 3 years (DOMAIN.md §6): the database refuses to delete a call record (or an
imported call-detail record) younger than that, whatever deletes it."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION xinli_hotline_retention() RETURNS trigger AS $$
DECLARE at timestamptz;
BEGIN
  IF TG_TABLE_NAME = 'hotline_call' THEN at := OLD.started_at; ELSE at := OLD.offered_at; END IF;
  IF at > now() - interval '3 years' THEN
    RAISE EXCEPTION 'hotline records younger than 3 years cannot be deleted';
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER xinli_call_retention BEFORE DELETE ON hotline_call FOR EACH ROW EXECUTE FUNCTION xinli_hotline_retention();
CREATE TRIGGER xinli_cdr_retention BEFORE DELETE ON hotline_calldetailrecord FOR EACH ROW EXECUTE FUNCTION xinli_hotline_retention();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS xinli_call_retention ON hotline_call;
DROP TRIGGER IF EXISTS xinli_cdr_retention ON hotline_calldetailrecord;
DROP FUNCTION IF EXISTS xinli_hotline_retention();
"""
# SQLite stores times as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC, which compares correctly as text.
SQLITE_UP = [
    "CREATE TRIGGER xinli_call_retention BEFORE DELETE ON hotline_call WHEN OLD.started_at > datetime('now', '-3 years') "
    "BEGIN SELECT RAISE(ABORT, 'hotline records younger than 3 years cannot be deleted'); END;",
    "CREATE TRIGGER xinli_cdr_retention BEFORE DELETE ON hotline_calldetailrecord WHEN OLD.offered_at > datetime('now', '-3 years') "
    "BEGIN SELECT RAISE(ABORT, 'hotline records younger than 3 years cannot be deleted'); END;",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS xinli_call_retention;", "DROP TRIGGER IF EXISTS xinli_cdr_retention;"]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("hotline", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
