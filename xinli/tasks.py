"""Huey set-up: SqliteHuey under var/ by default, RedisHuey when REDIS_URL is set (see settings.HUEY).

Periodic platform tasks live in the apps' ``tasks.py``; djhuey discovers them. This module re-exports the queue so
that code can enqueue with ``transaction.on_commit``.
"""

from huey.contrib.djhuey import HUEY as huey  # noqa: F401
