"""API plumbing shared by every app: pagination, strict serializers, and the one exception handler that turns
every error a client can cause into a bilingual 4xx (never a 500)."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from .i18n import bilingual, generic_message
from .ids import ID_PATTERN
from .listing import audit_rows
from .query import check_query_values

logger = logging.getLogger("xinli.api")


class Pagination(PageNumberPagination):
    """Page-number pagination that skips the COUNT query when the first page already holds every match (the
    common case for exact look-ups by ID number or phone: one round trip less on the hot path).

    Every page it returns is read-audited by construction: the persons its rows name are recorded through the row
    model's ``listed_persons`` declaration (xinli.core.listing); a view may refine the purpose with
    ``audit_purpose()``."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        check_query_values(request, {self.page_query_param: int, self.page_size_query_param: int}, minimum=1)
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        if getattr(queryset, "ordered", True) is False:
            # An unordered query may repeat or skip rows between pages: order by id when the view did not.
            queryset = queryset.order_by("pk")
        if request.query_params.get(self.page_query_param, "1") in ("", "1"):
            rows = list(queryset[: page_size + 1])
            if len(rows) <= page_size:
                from django.core.paginator import Paginator

                paginator = Paginator(rows, page_size)
                self.page = paginator.page(1)
                self.request = request
                return self._audited(rows, queryset, request, view)
        return self._audited(super().paginate_queryset(queryset, request, view), queryset, request, view)

    @staticmethod
    def _audited(rows, queryset, request, view):
        model = getattr(queryset, "model", None) or getattr(view, "scope_model", None)
        purpose = view.audit_purpose() if hasattr(view, "audit_purpose") else ""
        audit_rows(request.user, model, rows, purpose=purpose)
        return rows


class Router(DefaultRouter):
    """The API router: every detail route's id is ASCII digits (``xinli.core.ids``), so ``/persons/²/`` or
    ``/org-units/٣/`` matches no route and answers the JSON 404 — never a 500, never object 3."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"(?P<{lookup_prefix}{kwarg}>{getattr(viewset, 'lookup_value_regex', ID_PATTERN)})"


class StrictSerializerMixin:
    """Reject fields the serializer does not know instead of silently dropping them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [exceptions.ErrorDetail(generic_message("unknown_field", name), code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)


def _field_label(view, name: str):
    serializer_class = getattr(view, "serializer_class", None) if view is not None else None
    if serializer_class is None and view is not None and hasattr(view, "get_serializer_class"):
        try:
            serializer_class = view.get_serializer_class()
        except Exception:  # noqa: BLE001 - a label is a nicety; never fail the error response for it
            serializer_class = None
    if serializer_class is not None:
        try:
            field = serializer_class().fields.get(name)
        except Exception:  # noqa: BLE001
            field = None
        if field is not None and field.label:
            return field.label
    return name


def _bilingualise(detail, view, field: str = "non_field_errors"):
    """Rewrite DRF's one-language messages as bilingual ones that name the field."""
    if isinstance(detail, dict):
        return {k: _bilingualise(v, view, k) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_bilingualise(v, view, field) for v in detail]
    text = str(detail)
    code = getattr(detail, "code", None)
    message = generic_message(code, _field_label(view, field)) if code else None
    return message or f"{field}: {text}"


def exception_handler(exc, context):
    view = context.get("view")
    if isinstance(exc, DjangoValidationError):
        # Raised by our services: the messages are bilingual and name the field already.
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=400)
        return Response({"non_field_errors": exc.messages}, status=400)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": bilingual(_("Request body: too large; send less data or split the request."))},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, SuspiciousOperation):
        return Response({"detail": bilingual(_("Request: malformed; check the request and retry."))}, status=400)
    elif isinstance(exc, Http404 | exceptions.NotFound | ObjectDoesNotExist):
        return Response({"detail": bilingual(_("Not found, or outside your area."))}, status=404)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    elif isinstance(exc, RecursionError):
        # A structure too deep for Python (the parser bounds JSON bodies; this is the backstop): the client's doing.
        return Response({"detail": bilingual(_("Request body: JSON nested too deeply; send a flatter body."))}, status=400)

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unhandled: log it with the traceback, answer JSON (never Django's HTML debug or error page) without detail.
        request = context.get("request")
        logger.error("Unhandled API error on %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"),
                     exc_info=(type(exc), exc, exc.__traceback__))
        from .views import ERROR_MESSAGES

        return Response({"detail": bilingual(ERROR_MESSAGES[500])}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        response.data = _bilingualise(response.data, view)
    elif isinstance(exc, exceptions.ParseError) and exc.get_codes() == "too_deep":
        pass  # xinli.core.parsers: the message names the body and the limit already
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"detail": bilingual(_("Request body: not valid JSON; send a JSON object."))}
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.data = {"detail": bilingual(_("Not logged in, or the token is invalid or expired; log in again."))}
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # Session-authenticated write without the CSRF token (DRF's SessionAuthentication): say so, not "role".
        response.data = {"detail": bilingual(_("CSRF token: missing or wrong; reload the page and retry, or use an API token."))}
    elif isinstance(exc, exceptions.PermissionDenied):
        response.data = {"detail": bilingual(_("Your role does not allow this action."))}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = {"detail": bilingual(_("Content-Type: unsupported; send application/json."))}
    elif isinstance(exc, exceptions.MethodNotAllowed):
        response.data = {"detail": bilingual(_("Method not allowed on this address."))}
    elif isinstance(exc, exceptions.Throttled):
        response.data = {"detail": bilingual(_("Too many requests; wait and retry."))}
    return response
