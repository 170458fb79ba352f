"""The OpenAPI schema class: drf-spectacular's AutoSchema plus the error answers every operation can give.

Every error a client can cause is a bilingual JSON object (see ``xinli.core.api.exception_handler``): either
``{"detail": "中文 / English"}`` or ``{"<field>": ["中文 / English", ...]}``. Declaring these answers on every
operation keeps the schema honest (schemathesis checks that every status code we send is documented).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .ids import ID_PATTERN


class ApiErrorSerializer(serializers.Serializer):
    """A bilingual error: ``detail`` for the request as a whole, otherwise one list of messages per field name."""

    detail = serializers.CharField(required=False, help_text="Bilingual message (Chinese / English) naming the problem and the fix.")

    class Meta:
        ref_name = "ApiError"


_ERRORS = {
    "400": "Invalid input: the body names each wrong field (bilingual).",
    "401": "Not logged in, or the token is invalid or expired.",
    "403": "The role does not allow this action.",
    "404": "Not found, or outside the caller's area (also for a page number past the end).",
}
_BODY_ERRORS = {
    "413": "Request body too large.",
    "415": "Unsupported Content-Type; send application/json.",
}


class AutoSchema(SpectacularAutoSchema):
    def _is_list_view(self, serializer=None):
        # A list action that answers one object (e.g. ``{"count": n, "results": [...]}`` without pagination) sets
        # ``schema_list_is_object = True`` so that its response is not wrapped in an array.
        if getattr(self.view, "schema_list_is_object", False):
            return False
        return super()._is_list_view(serializer)

    def _resolve_path_parameters(self, variables):
        # The router's ASCII-only id pattern (``xinli.core.ids.ID_PATTERN``) makes drf-spectacular describe every id
        # as a string with a pattern; an id is an integer.
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter.get("schema", {}).get("pattern") == f"^{ID_PATTERN}$":
                parameter["schema"] = {"type": "integer"}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(_BODY_ERRORS)
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ApiErrorSerializer, description=description), code, direction=direction)
        return responses
