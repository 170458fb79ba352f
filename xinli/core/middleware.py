"""Request context for the audit log (who, from where, which view)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    view: str = ""


current = contextvars.ContextVar("xinli_request_context", default=RequestContext())  # noqa: B039 - frozen


def client_ip(request) -> str:
    # Behind the reverse proxy of docs/deploy.md the real address is the last hop it appended.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip()[:45]
    return request.META.get("REMOTE_ADDR", "")[:45]


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
