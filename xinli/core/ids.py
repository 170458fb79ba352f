"""The one parser for object ids and years sent as text (URL part, query parameter, form field), and the route
pieces built on it (docs/hardening.md, "Ids").

Only ASCII digits count: ``'²'.isdigit()`` is true but ``int('²')`` raises, and ``int('٣')`` is 3 — a Unicode digit
must not reach an object. At most 18 digits, so the value always fits the database's 64-bit ``bigint`` column."""

from __future__ import annotations

import re

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .i18n import field_error

# What an API route accepts as an id (``xinli.core.api.Router``); ``re`` reads [0-9] as ASCII only. HTML routes use
# Django's ``<int:pk>`` (also ``[0-9]+``; a number past the bigint range finds no row — Django's overflow-safe lookups).
ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(ID_PATTERN)
_INT = re.compile(f"-?{ID_PATTERN}")
_YEAR = re.compile("[0-9]{4}")


def parse_id(value) -> int | None:
    """An object id sent as text: the integer, or None for anything else (never an exception)."""
    text = str(value if value is not None else "").strip()
    return int(text) if _ID.fullmatch(text) else None


def parse_int(value) -> int | None:
    """A whole number sent as text that may be negative (a questionnaire answer, a count): ASCII digits with an
    optional leading minus, at most 18 digits; None for anything else."""
    text = str(value if value is not None else "").strip()
    return int(text) if _INT.fullmatch(text) else None


def form_int(value, default: int) -> int:
    """A whole number posted by a form: ``default`` when empty, else ``parse_int``'s reading; anything else raises
    ValueError as ``int()`` would (the views answer it with their "check the form" message) — but for ASCII only."""
    if value in (None, ""):
        return default
    number = parse_int(value)
    if number is None:
        raise ValueError(f"not a whole number: {value!r}")
    return number


def parse_year(value) -> int | None:
    """A calendar year sent as text: four ASCII digits as an integer, or None for anything else."""
    text = str(value if value is not None else "").strip()
    return int(text) if _YEAR.fullmatch(text) else None


def path_id(value) -> int:
    """An id taken from the URL by a view: the integer, or "not found" (404; JSON under /api/) for anything else."""
    pk = parse_id(value)
    if pk is None:
        raise Http404
    return pk


def query_id(params, name: str) -> int | None:
    """An id query parameter of an API request (``?person=12``): None when absent, the integer when valid, else a
    bilingual 400 naming the parameter."""
    text = params.get(name)
    if text in (None, ""):
        return None
    pk = parse_id(text)
    if pk is None:
        raise field_error(name, _("{name}: not an id; send the object's number in the digits 0-9."), name=name)
    return pk


def query_year(params, name: str = "year", *, default: int, low: int = 2000, high: int) -> int:
    """A year query parameter of an API request: ``default`` when absent, the year when it lies in low..high, else a
    bilingual 400 naming the parameter."""
    text = params.get(name)
    if text in (None, ""):
        return default
    year = parse_year(text)
    if year is None or not low <= year <= high:
        raise field_error(name, _("{name}: a year from {low} to {high}, in the digits 0-9."), name=name, low=low, high=high)
    return year
