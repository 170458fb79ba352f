"""Per-client-address rate limits (fixed window) on Django's cache framework.

django-axes locks an *account* after repeated failures; this limits how many login attempts and anonymous portal
submissions one *address* may make per window, so that a single client cannot guess passwords across many accounts or
flood the public forms. The address is the one the audit log records (``xinli.core.middleware.client_ip``: REMOTE_ADDR,
or the right-most X-Forwarded-For hop that is not one of ``XINLI_TRUSTED_PROXIES`` when the peer is such a proxy).

Limits are ``settings.XINLI_RATE_LIMITS = {bucket: (max_requests, window_seconds)}``; ``max_requests <= 0`` turns a
bucket off. The counters live in the ``default`` cache: Redis when
``REDIS_URL`` is set (one count across every worker and host; production requires it, xinli.E012). Without Redis it
is LocMem, per process: each web worker counts on its own, so N workers allow N times the limit — acceptable for the
one-process demo only. The count is atomic in Redis (INCR). When the cache is unreachable the request is
served uncounted (fail open, with a warning in the log): a Redis outage must not lock everybody out.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .i18n import bilingual
from .middleware import client_ip

log = logging.getLogger(__name__)
_now = time.time  # the clock; tests move it instead of sleeping
_namespace = uuid.uuid4().hex[:8]  # changed by reset() so that tests start from zero without flushing a shared cache


def reset() -> None:
    """Forget every counter (used between tests)."""
    global _namespace
    _namespace = uuid.uuid4().hex[:8]


def _cache():
    """The shared cache that holds the counters (looked up per call, so every worker and test sees the same one)."""
    return caches["default"]


def _window(bucket: str, request):
    """(limit, window seconds, key of the current window, seconds until it ends); limit <= 0: the bucket is off."""
    limit, window = settings.XINLI_RATE_LIMITS.get(bucket, (0, 60))
    now = _now()
    slot = int(now // window)
    key = f"xinli:rl:{_namespace}:{bucket}:{client_ip(request) or 'unknown'}:{slot}"
    return limit, window, key, max(1, math.ceil((slot + 1) * window - now))


def exhausted(bucket: str, request) -> int:
    """Without counting: the seconds until the window ends when ``request``'s client has used up ``bucket``, else 0.
    For buckets that count only failures (wrong campaign codes): look before trying, count when it fails."""
    limit, _window_s, key, retry_after = _window(bucket, request)
    if limit <= 0:
        return 0
    try:
        count = _cache().get(key) or 0
    except Exception:  # noqa: BLE001 — fail open, as in check()
        return 0
    return retry_after if count >= limit else 0


def check(bucket: str, request) -> int:
    """Count one request of ``request``'s client in ``bucket``; return 0 when allowed, otherwise the seconds until
    the window ends (for Retry-After)."""
    limit, window, key, retry_after = _window(bucket, request)
    if limit <= 0:
        return 0
    try:
        cache = _cache()
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    except Exception:  # noqa: BLE001 — the cache (Redis) is down: serve the request rather than fail it
        log.warning("rate limit %s not counted: the cache is unavailable", bucket, exc_info=False)
        return 0
    return 0 if count <= limit else retry_after


def too_many(request, retry_after: int, *, api: bool = False):
    """The 429 answer: JSON for the API, a page for the browser; both bilingual and with Retry-After."""
    text = bilingual(_("Too many attempts from your address; wait {seconds} seconds and try again."), seconds=retry_after)
    if api or request.path.startswith("/api/"):
        response = JsonResponse({"detail": text}, status=429)
    else:
        response = render(request, "core/too_many_requests.html", {"message": text}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(bucket: str, methods=("POST",)):
    """View decorator: count the view's ``methods`` requests per client address in ``bucket``; over the limit the
    view is not run and the client gets a 429."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                retry_after = check(bucket, request)
                if retry_after:
                    return too_many(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
