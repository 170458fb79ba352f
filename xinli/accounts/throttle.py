"""Per-username login delay: the second, higher limit next to django-axes' lockout per (username, address).

After ``XINLI_LOGIN_USERNAME_DELAY_AFTER`` failed logins for one username — from any address — within
``XINLI_LOGIN_USERNAME_WINDOW`` seconds, each further attempt must wait after the previous failure: 1 s after the first
failure over the limit, then 2, 4, 8 … seconds, at most ``XINLI_LOGIN_USERNAME_DELAY_MAX``. Attempts inside the wait
are refused without checking the password. The account is never locked: its owner gets in after at most the maximum
wait, while an attacker spread over many addresses guesses at most one password per wait. A successful login clears
the count. The count lives in the ``default`` cache (Redis in production: one count for every worker and host); when
the cache is down, logins are not delayed (fail open, as ``xinli.core.ratelimit``).
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

from xinli.core import ratelimit
from xinli.core.crypto import sm3_hex

log = logging.getLogger(__name__)
_now = time.time  # the clock; tests move it instead of sleeping


def _key(username: str) -> str:
    # The ratelimit namespace changes with ratelimit.reset(), so tests start from zero without flushing the cache.
    namespace = getattr(ratelimit, "_namespace", "")
    return f"xinli:login-user:{namespace}:{sm3_hex(username.strip().lower().encode('utf-8'))}"


def _delay(failures: int) -> int:
    over = failures - settings.XINLI_LOGIN_USERNAME_DELAY_AFTER
    if over < 0:
        return 0
    return min(settings.XINLI_LOGIN_USERNAME_DELAY_MAX, 2 ** min(over, 30))


def wait_seconds(username: str) -> int:
    """Seconds ``username`` must still wait before the next attempt (0: go ahead)."""
    if settings.XINLI_LOGIN_USERNAME_DELAY_AFTER <= 0:
        return 0
    try:
        state = cache.get(_key(username))
    except Exception:  # noqa: BLE001 — fail open
        return 0
    if not state:
        return 0
    remaining = state["last"] + _delay(state["failures"]) - _now()
    return max(0, math.ceil(remaining))


def record_failure(username: str) -> None:
    if settings.XINLI_LOGIN_USERNAME_DELAY_AFTER <= 0:
        return
    key = _key(username)
    try:
        state = cache.get(key) or {"failures": 0, "last": 0.0}
        cache.set(key, {"failures": state["failures"] + 1, "last": _now()}, timeout=settings.XINLI_LOGIN_USERNAME_WINDOW)
    except Exception:  # noqa: BLE001 — fail open
        log.warning("login delay for a username not counted: the cache is unavailable")


def clear(username: str) -> None:
    try:
        cache.delete(_key(username))
    except Exception:  # noqa: BLE001
        pass
