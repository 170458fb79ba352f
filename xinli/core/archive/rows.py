"""Rows exactly as stored: read and written column by column, so personal fields travel as their stored SM4
ciphertext (never decrypted) and blind indexes as stored (never recomputed)."""

from __future__ import annotations

import base64
import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connections
from django.db.models import ExpressionWrapper, F, TextField, UniqueConstraint

from ..fields import BlindIndexField, EncryptedTextField
from .plan import CHUNK, STUB, label

BATCH = 500
# Users travel as inactive stubs (see plan.py): these columns are kept, every other one is reset.
STUB_KEEP = {"id", "username", "display_name", "first_name", "last_name", "date_joined"}


def columns(model):
    return list(model._meta.concrete_fields)


def _select(f):
    # The raw column: an output field without from_db_value, so the ciphertext is not decrypted.
    return ExpressionWrapper(F(f.attname), output_field=TextField()) if isinstance(f, EncryptedTextField) else f.attname


def encode(value):
    """A JSON value for a column value (decoded again by the field's ``to_python``)."""
    if value is None or isinstance(value, (bool, int, float, str, dict, list)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot archive a {type(value).__name__}")


def _stub_values(model) -> dict:
    values = {"password": make_password(None), "is_active": False, "is_staff": False, "is_superuser": False}
    for f in columns(model):
        if f.attname not in STUB_KEEP and f.attname not in values:
            values[f.attname] = None if f.null else f.get_default()
    return values


def read_rows(model, pks, using: str) -> list[list]:
    """The stored rows with these primary keys, in key order, as JSON values."""
    fields = columns(model)
    stub = _stub_values(model) if label(model) == STUB else None
    out, ids = [], sorted(pks)
    for i in range(0, len(ids), CHUNK):
        qs = model._base_manager.using(using).filter(pk__in=ids[i:i + CHUNK]).order_by("pk")
        for row in qs.values_list(*[_select(f) for f in fields]):
            if stub is not None:
                row = [stub.get(f.attname, v) if f.attname not in STUB_KEEP else v for f, v in zip(fields, row, strict=True)]
            out.append([encode(v) for v in row])
    return out


def is_raw(f) -> bool:
    """Columns written back verbatim (their stored form is what the field would compute)."""
    return isinstance(f, (EncryptedTextField, BlindIndexField))


def python_value(f, value):
    return value if value is None or is_raw(f) else f.to_python(value)


def insert_rows(model, rows: list[list], using: str) -> int:
    """Plain INSERTs of archived rows (no save(), no signals, no re-encryption)."""
    if not rows:
        return 0
    conn = connections[using]
    fields = columns(model)
    qn = conn.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    params = []
    for row in rows:
        params.append([v if v is None or is_raw(f) else f.get_db_prep_save(f.to_python(v), conn)
                       for f, v in zip(fields, row, strict=True)])
    with conn.cursor() as cur:
        for i in range(0, len(params), BATCH):
            cur.executemany(sql, params[i:i + BATCH])
    return len(rows)


def existing(model, pks, using: str) -> dict:
    """pk -> {identifying column: value} of the rows with these keys that ``using`` already holds (unique columns
    and the columns of unique constraints: an org unit's path and code, a user's name)."""
    constrained = {name for c in model._meta.constraints if isinstance(c, UniqueConstraint) for name in c.fields}
    uniques = [f for f in columns(model)
               if (f.unique or f.name in constrained) and not f.primary_key and not is_raw(f)]
    found, ids = {}, list(pks)
    for i in range(0, len(ids), CHUNK):
        qs = model._base_manager.using(using).filter(pk__in=ids[i:i + CHUNK])
        for row in qs.values_list("pk", *[f.attname for f in uniques]):
            found[row[0]] = dict(zip([f.attname for f in uniques], row[1:], strict=True))
    return found


def count_present(model, pks, using: str) -> int:
    ids, n = list(pks), 0
    for i in range(0, len(ids), CHUNK):
        n += model._base_manager.using(using).filter(pk__in=ids[i:i + CHUNK]).count()
    return n
