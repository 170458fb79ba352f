"""A forked process that prepares the next batch of an import while the importing process writes this one.

Measured (bench/BENCHMARKS.md): a residents import spends about a third of its time on work that needs no database
(parsing, the archive's field checks, SM4 encryption, HMAC-SM3 blind indexes, pinyin). On the 2-core machine a second
process does that work for batch n + 1 while batch n is written, through the kind's ``prepare`` (``kinds.ImportKind``).

The process reads the same file with the same batching (``services.batches``) and sends, per batch, its start and
``{line: prepared}`` through a one-way pipe. It never touches the database: it inherits the importing process's
connection, where any query is refused (an execute wrapper), and leaves with ``os._exit``, so it never closes it. The importing process trusts
nothing it cannot check: a batch whose start differs, a worker that failed, died or stayed silent for ``SILENCE``
seconds, and the import goes on preparing in-process (the same functions, so the same result); a row missing from
what arrived is prepared in-process too. The pipe holds at most one batch: the worker stays one batch ahead and its
memory stays bounded.

``XINLI_IMPORT_PREPARE_PROCESS`` (setting ``XINLI_IMPORT_PREPARE_PROCESS``, default on) turns it off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import traceback
from multiprocessing.connection import Connection

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

SILENCE = 60.0  # seconds without a batch before the worker is given up (a batch takes about one second)


class Prefetch:
    """The worker process of one import run. ``take(start)`` is what it prepared for the batch starting at
    ``start`` (``{}`` once it has been given up); ``stop()`` ends it."""

    def __init__(self, batches, prepare):
        read, write = os.pipe()
        try:
            self.pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            raise
        if self.pid == 0:  # the worker
            os.close(read)
            _serve(Connection(write, readable=False), batches, prepare)
        os.close(write)
        self.conn = Connection(read, writable=False)
        self.given_up: str | None = None
        self.received = 0  # batches taken from the worker (tests check that it did the work)

    def take(self, start: int) -> dict:
        if self.given_up:
            return {}
        try:
            if not self.conn.poll(SILENCE):
                return self._give_up(f"no batch for {SILENCE:.0f} s")
            message = self.conn.recv()
        except (EOFError, OSError):
            return self._give_up("it ended")
        if message[0] != "batch":
            return self._give_up(message[1])
        if message[1] != start:
            return self._give_up(f"batch at {message[1]}, expected {start}")
        self.received += 1
        return message[2]

    def _give_up(self, why: str) -> dict:
        self.given_up = why
        logger.warning("import worker process given up (%s): the rest is prepared in the importing process", why)
        self.stop()
        return {}

    def stop(self) -> None:
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        self.conn.close()
        try:
            os.kill(pid, signal.SIGKILL)  # it holds nothing: no database, no file it writes
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


def _no_query(execute, sql, params, many, context):
    raise RuntimeError("the import's worker process may not query the database (its connection is the importer's)")


def _serve(conn: Connection, batches, prepare) -> None:
    code = 0
    try:
        with contextlib.ExitStack() as stack:
            for alias in connections:  # a query here would write on the importing process's socket
                stack.enter_context(connections[alias].execute_wrapper(_no_query))
            for start, batch in batches:
                conn.send(("batch", start, prepare(batch)))
        conn.send(("end", "no more batches"))
    except BrokenPipeError:
        pass  # the importing process stopped reading
    except BaseException:  # noqa: BLE001 - reported to the importing process, which goes on without the worker
        code = 1
        try:
            conn.send(("error", traceback.format_exc(limit=5)[-2000:]))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


def start(batches, prepare, rows_left: int, batch_size: int) -> Prefetch | None:
    """A worker for an import with ``rows_left`` rows to go, when it has a next batch to prepare and the setting is
    on; else None (the import prepares in-process)."""
    if not settings.XINLI_IMPORT_PREPARE_PROCESS or rows_left <= batch_size:
        return None
    try:
        return Prefetch(batches, prepare)
    except OSError as exc:  # no process to spare: the import runs as before
        logger.warning("import worker process not started (%s)", exc)
        return None
