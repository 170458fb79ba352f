"""Which database a read goes to.

``read_alias()`` is "replica" when ``XINLI_REPLICA_DATABASE_URL`` configured that alias, else "default". Use it with
``.using(read_alias())`` ONLY for reads of aggregates (indicator rollups, counts) by dashboards, the values API and
exports. Never for writes, never for reads of a person that must be audited, and never for rows a view writes and
then shows again (a replica lags the primary by up to a few seconds). Objects loaded from the replica remember it:
do not pass them into a write (a new row with a foreign key set to such an object would be saved to the replica).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


def read_alias() -> str:
    """The alias for aggregate reads: the replica when one is configured, else the primary."""
    return REPLICA if REPLICA in connections.settings else DEFAULT_DB_ALIAS
