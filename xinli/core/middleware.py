"""Request context for the audit log (who, from where, which view)."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    view: str = ""


current = contextvars.ContextVar("xinli_request_context", default=RequestContext())  # noqa: B039 - frozen


@functools.lru_cache(maxsize=8)
def _networks(spec: str) -> tuple:
    """``XINLI_TRUSTED_PROXIES`` ("10.0.0.1, 10.1.0.0/16") as networks; a bad entry is a configuration error."""
    networks = []
    for part in (spec or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ImproperlyConfigured(f"XINLI_TRUSTED_PROXIES: {part!r} is not an IP address or CIDR network") from exc
    return tuple(networks)


def _parse(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(addr, networks) -> bool:
    return addr is not None and any(addr.version == net.version and addr in net for net in networks)


def client_ip(request) -> str:
    """The client's address: the ONE place that reads REMOTE_ADDR and X-Forwarded-For (audit log, rate limits,
    django-axes via AXES_CLIENT_IP_CALLABLE, portal).

    X-Forwarded-For is believed only when the direct peer (REMOTE_ADDR) is one of ``settings.XINLI_TRUSTED_PROXIES``
    (IPs or CIDR networks; default none, so REMOTE_ADDR is the client). Then the header is read from the right, each
    trusted proxy having appended the address it saw, and the first hop that is NOT a trusted proxy is the client: hops
    to its left were written by the client and may be forged. A hop that is not an IP address stops the walk at the
    last trusted proxy that could be read."""
    remote = request.META.get("REMOTE_ADDR", "").strip()
    networks = _networks(getattr(settings, "XINLI_TRUSTED_PROXIES", ""))
    if not networks or not _trusted(_parse(remote), networks):
        return remote[:45]
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        addr = _parse(hop)
        if addr is None:
            break
        client = str(addr)
        if not _trusted(addr, networks):
            break
    return client[:45]


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current.set(RequestContext(ip=client_ip(request), view=request.path[:120]))
        try:
            return self.get_response(request)
        finally:
            current.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name:
            ctx = current.get()
            current.set(RequestContext(ip=ctx.ip, view=match.view_name[:120]))


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (Django's never-cache headers) on every answer the application itself makes: staff
    pages, the API, downloads (PDF, Excel, Word) and the portal. Nothing a browser, a shared computer's disk or a proxy
    keeps can then show a person's data after logout. Static files are served by WhiteNoise before this middleware and
    keep their long cache lifetimes. A view that deliberately allows caching sets its own Cache-Control, which is
    kept — unless the user is signed in or the path is the API: those are always no-store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = request.path.startswith("/api/") or bool(user is not None and user.is_authenticated)
        if private or not response.has_header("Cache-Control"):
            if response.has_header("Cache-Control"):
                del response["Cache-Control"]
            add_never_cache_headers(response)
        return response


class LanguageMiddleware:
    """Chinese by default: the language is the one the user picked with the switch (cookie), otherwise
    LANGUAGE_CODE — the browser's Accept-Language is deliberately ignored (replaces Django's LocaleMiddleware).
    Pages show bilingual messages in this language only; the API keeps both (``xinli.core.i18n``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if request.path.startswith("/api/"):  # API clients get "中文 / English" messages and pick one themselves
            response = self.get_response(request)
        else:
            from .i18n import one_language

            with one_language():
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
