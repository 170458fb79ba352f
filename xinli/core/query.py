"""Strict query parameters for the API: a value that does not match the declared type is a bilingual 400 naming
the parameter, never silently ignored. Kept apart from ``xinli.core.api`` because DRF imports the permission class
while ``rest_framework.views`` is still loading."""

from __future__ import annotations

import copy
import re

from rest_framework import exceptions, permissions

_INT = re.compile(r"-?[0-9]{1,18}")
_BOOL = ("true", "false", "1", "0")


def check_query_values(request, declared: dict, minimum: int | None = None):
    """Reject query parameters whose value does not match the declared type (a bool, an int, or one of an enum's
    values), or that are repeated. The exception handler turns the error codes into bilingual messages that name
    the parameter (``xinli.core.i18n.GENERIC_FIXES``)."""
    errors = {}
    for name, kind in declared.items():
        values = request.query_params.getlist(name)
        if not values:
            continue
        value = values[-1]
        if len(values) > 1:
            errors[name] = [exceptions.ErrorDetail("given more than once", code="invalid")]
        elif kind is bool and value.lower() not in _BOOL:
            errors[name] = [exceptions.ErrorDetail("not a boolean", code="invalid")]
        elif kind is int and not _INT.fullmatch(value):
            errors[name] = [exceptions.ErrorDetail("not an integer", code="invalid")]
        elif kind is int and minimum is not None and int(value) < minimum:
            errors[name] = [exceptions.ErrorDetail("too small", code="min_value")]
        elif isinstance(kind, list | tuple) and value not in kind:
            errors[name] = [exceptions.ErrorDetail("not one of the choices", code="invalid_choice")]
    if errors:
        raise exceptions.ValidationError(errors)


class ValidQueryParameters(permissions.BasePermission):
    """Checks the query parameters an operation declares with ``extend_schema(parameters=[OpenApiParameter(...)])``
    before the view runs (a DRF permission only because permissions run first on every API request; it never
    denies access, it answers 400 for a malformed parameter)."""

    def has_permission(self, request, view):
        declared = {}
        for parameter in _declared_parameters(request, view):
            if getattr(parameter, "location", None) != "query" or getattr(parameter, "many", False):
                continue
            if parameter.enum:
                declared[parameter.name] = list(parameter.enum)
            elif parameter.type in (bool, int):
                declared[parameter.name] = parameter.type
        check_query_values(request, declared)
        return True


def _declared_parameters(request, view) -> list:
    """The ``OpenApiParameter`` declarations of the view's action and of its class (the generated schema merges
    both; at run time an action decorated with its own ``extend_schema`` only carries its own)."""
    schemas = [getattr(view, "schema", None)]
    handler = getattr(view, getattr(view, "action", None) or request.method.lower(), None)
    method_schema = getattr(handler, "kwargs", {}).get("schema") if handler is not None else None
    if method_schema is not None:  # extend_schema on list()/retrieve() keeps its schema class on the method
        schemas.append(method_schema() if isinstance(method_schema, type) else method_schema)
    for klass in type(view).__mro__:
        if "schema" in klass.__dict__:
            schemas.append(klass.__dict__["schema"])
            break
    parameters, seen = [], set()
    for schema in schemas:
        if schema is None or id(schema) in seen or not hasattr(schema, "get_override_parameters"):
            continue
        seen.add(id(schema))
        try:
            schema = copy.copy(schema)  # the class-level inspector is shared by every thread: never set state on it
            schema.view = view
            schema.method = request.method
            parameters += schema.get_override_parameters()
        except Exception:  # noqa: BLE001 - the schema is documentation; never fail a request for it
            continue
    return parameters
