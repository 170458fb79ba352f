"""Inbox messages sent by apps below the alerts app in the layers (the archive).

The alerts app owns the inbox — ``alerts.Notification``, its texts in the reader's language (``alerts.texts``) and
the outside channels — and registers its sender here when ready, as apps register the audit viewer's formatters
(``core.audit_display.VALUE_FORMATTERS``). A lower app sends through :func:`send` without importing a higher one."""

from __future__ import annotations

from collections.abc import Callable, Iterable

_sender: Callable | None = None


def register(sender: Callable) -> None:
    """``sender(users, kind, params)``: the inbox (the alerts app, when ready)."""
    global _sender
    _sender = sender


def send(users: Iterable, kind: str, params: dict) -> None:
    """An inbox message of ``kind`` (rendered from ``params`` in the reader's language) to each of ``users``. The
    caller's transaction holds it: rolled back with the caller's write."""
    if _sender is None:
        raise RuntimeError("no inbox registered: xinli.alerts is not installed or not ready")
    _sender([u for u in users if u is not None], kind, params)
