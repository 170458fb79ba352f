"""Which database a read goes to, and the fast path for writing many new rows.

``read_alias()`` is "replica" when ``XINLI_REPLICA_DATABASE_URL`` configured that alias, else "default". Use it with
``.using(read_alias())`` ONLY for reads of aggregates (indicator rollups, counts) by dashboards, the values API and
exports. Never for writes, never for reads of a person that must be audited, and never for rows a view writes and
then shows again (a replica lags the primary by up to a few seconds). Objects loaded from the replica remember it:
do not pass them into a write (a new row with a foreign key set to such an object would be saved to the replica).
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field, lookups

from .fields import BlindIndexField

REPLICA = "replica"


def read_alias() -> str:
    """The alias for aggregate reads: the replica when one is configured, else the primary."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS


COPY_FROM = 100  # rows: below this, one INSERT … RETURNING is fewer round trips than nextval + COPY (measured)


def column_values(obj, names, using: str = DEFAULT_DB_ALIAS) -> dict:
    """The values :func:`insert_new` would send for the fields ``names`` of the new object ``obj`` (``pre_save`` with
    ``add=True``, then ``get_db_prep_save``), computed apart from the insert: a bulk import's worker process computes
    the encryption and blind indexes of the next batch while the importing process writes this one. Makes no
    query (fields whose database preparation needs a connection's state are not for this)."""
    connection = connections[using]
    meta = obj._meta
    return {f.attname: f.get_db_prep_save(f.pre_save(obj, True), connection) for f in map(meta.get_field, names)}


def insert_new(model, objs: list, using: str = DEFAULT_DB_ALIAS, prepared: list[dict] | None = None) -> list:
    """``model.objects.bulk_create(objs)`` for new rows, through ``COPY … FROM STDIN`` on PostgreSQL.

    Each object's ``pk`` is drawn from the table's identity sequence first, then every concrete field is sent as
    ``bulk_create`` would send it (``pre_save`` with ``add=True``, then ``get_db_prep_save``: defaults, ``auto_now_add``,
    encryption and blind indexes happen exactly as there). Like ``bulk_create``: no ``save()``, no signals, the
    objects get their ``pk`` and count as saved. Other databases, and fewer than ``COPY_FROM`` rows, use
    ``bulk_create``. Measured in bulk imports (bench/BENCHMARKS.md): building and quoting the arrays of Django's
    ``INSERT … SELECT * FROM UNNEST(…)`` took more time than the database's own work.

    ``prepared``: per object, values of some fields already computed by :func:`column_values` from the object's
    current attributes (a blind index's value is also set on the object, as its ``pre_save`` would). Used on the
    ``COPY`` path; ``bulk_create`` computes every field again, with the same result (a fresh ciphertext)."""
    if not objs:
        return objs
    connection = connections[using]
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        return model._default_manager.using(using).bulk_create(objs)
    for obj in objs:  # a related object saved since it was assigned: take its id (as bulk_create does)
        obj._prepare_related_fields_for_save(operation_name="insert_new")
    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        blind = {f.attname for f in fields if isinstance(f, BlindIndexField)}
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for i, obj in enumerate(objs):
                given = prepared[i] if prepared is not None else {}
                for name in blind.intersection(given):
                    setattr(obj, name, given[name])
                copy.write_row([given[f.attname] if f.attname in given else f.get_db_prep_save(f.pre_save(obj, True), connection)
                                for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


@Field.register_lookup
class AnyOf(lookups.In):
    """``field__any_of=values``: ``field__in`` for long lists (the look-ups of a bulk import's batch). On PostgreSQL
    one array parameter (``field = ANY(%s)``) instead of one placeholder per value: the query text no longer changes
    with the list's length, so the driver neither re-parses it nor quotes thousands of values into it. Elsewhere, as
    ``__in``."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = [v for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in values]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
