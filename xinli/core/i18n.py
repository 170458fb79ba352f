"""Bilingual messages: every error a user can cause names the field and the fix in Chinese and in English.

The API (and work done outside a request: tasks, commands) gets both languages, ``"中文 / English"``, so a client
shows its user the one it needs. A page shows only its reader's language: ``LanguageMiddleware`` switches page
requests into :func:`one_language` mode, in which the same calls render the active language alone — one rule for
pages, Django messages and form errors, without touching the code that raises them."""

from __future__ import annotations

import contextlib
import contextvars
import re

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

_one_language = contextvars.ContextVar("xinli_one_language", default=False)


@contextlib.contextmanager
def one_language():
    """Within this block (a page request) bilingual messages render in the active language only."""
    token = _one_language.set(True)
    try:
        yield
    finally:
        _one_language.reset(token)


@contextlib.contextmanager
def both_languages():
    """Within this block bilingual messages render in both languages again (work a page request starts that keeps
    its messages for every reader, e.g. an import's report run inline by an immediate task queue)."""
    token = _one_language.set(False)
    try:
        yield
    finally:
        _one_language.reset(token)


def bilingual(message, **params) -> str:
    """Render a lazy message in zh-Hans and en: ``"中文 / English"`` (once if both are the same); on a page, in the
    reader's language only (see :func:`one_language`)."""
    if _one_language.get():
        return str(message).format(**{k: _render(v) for k, v in params.items()})
    with override("zh-hans"):
        zh = str(message).format(**{k: _render(v) for k, v in params.items()})
    with override("en"):
        en = str(message).format(**{k: _render(v) for k, v in params.items()})
    return zh if zh == en else f"{zh} / {en}"


def pair(zh: str, en: str) -> str:
    """A message written in both languages by hand (not through gettext): ``"中文 / English"``, or on a page the
    reader's language only (see :func:`one_language`)."""
    if _one_language.get():
        return en if (get_language() or "").startswith("en") else zh
    return zh if zh == en else f"{zh} / {en}"


def _render(value):
    return str(value)


def field_error(field: str, message, code: str = "invalid", **params) -> ValidationError:
    """A validation error attached to ``field`` with a bilingual message."""
    return ValidationError({field: ValidationError(bilingual(message, **params), code=code)})


# Fixes for the errors that Django and DRF raise themselves, by error code. ``{field}`` is the field's label.
GENERIC_FIXES = {
    "required": _("{field}: this field is required; provide a value."),
    "null": _("{field}: must not be empty; provide a value."),
    "blank": _("{field}: must not be blank; provide a value."),
    "invalid": _("{field}: the value is not valid; check its format."),
    "max_length": _("{field}: the value is too long; shorten it."),
    "min_length": _("{field}: the value is too short; lengthen it."),
    "max_value": _("{field}: the value is too large; use a smaller value."),
    "min_value": _("{field}: the value is too small; use a larger value."),
    "invalid_choice": _("{field}: this choice is not allowed; pick one of the listed options."),
    "does_not_exist": _("{field}: no such object, or it is outside your area; check the id."),
    "incorrect_type": _("{field}: wrong type of value; send the type the API documents."),
    "not_a_list": _("{field}: expected a list of values."),
    "date": _("{field}: not a valid date; use YYYY-MM-DD."),
    "datetime": _("{field}: not a valid date and time; use ISO 8601."),
    "unique": _("{field}: this value is already registered; search for the existing record."),
    "unknown_field": _("{field}: unknown field; remove it from the request."),
    "not_a_dict": _("{field}: expected an object."),
}


def generic_message(code: str, field_label) -> str | None:
    template = GENERIC_FIXES.get(code)
    if template is None:
        return None
    if _one_language.get():
        return str(template).format(field=str(field_label))
    with override("zh-hans"):
        zh = str(template).format(field=str(field_label))
    with override("en"):
        en = str(template).format(field=str(field_label))
    return f"{zh} / {en}"


def label_pair(label) -> str:
    """A lazy field label as ``中文 (English)`` so that one message names the field in both languages (on a page, the
    reader's language only)."""
    if _one_language.get():
        return str(label)
    with override("zh-hans"):
        zh = str(label)
    with override("en"):
        en = str(label)
    return zh if zh == en else f"{zh}({en})"


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_LATIN = re.compile(r"[A-Za-z]")


def in_language(text, lang: str | None = None) -> str:
    """The reader's half of a stored ``"中文 / English"`` text (data written in both languages, e.g. a checklist item);
    any other text unchanged. The split is the ``" / "`` after which the text is English: it starts with a Latin
    letter, digit or quote and has more Latin letters than Chinese characters, while the part before has more Chinese
    than Latin — values quoted in both halves (a tag the reader typed, a list of Chinese role names, "、") may be
    Chinese in the English half too."""
    text = str(text if text is not None else "")
    english = (lang or get_language() or "").startswith("en")
    start = 0
    while (i := text.find(" / ", start)) != -1:
        zh, en = text[:i], text[i + 3:].strip()
        cjk_en, cjk_zh = len(_CJK.findall(en)), len(_CJK.findall(zh))
        latin_en, latin_zh = len(_LATIN.findall(en)), len(_LATIN.findall(zh))
        if cjk_zh > latin_zh and en and (en[0].isascii() or not cjk_en) and latin_en > cjk_en:
            return en if english else zh
        start = i + 1
    return text


class choice_list:  # noqa: N801 — used like a function: choices=choice_list(Kind)
    """The allowed values of a choices class for a message parameter: the codes in the API (what a client sends), the
    labels in the reader's language on a page (where a code means nothing to the reader)."""

    def __init__(self, choices):
        # A choices class, or a mapping of code -> label (e.g. the SMD lost-to-follow-up reasons).
        if isinstance(choices, dict):
            self.values, self.labels = list(choices), list(choices.values())
        else:
            self.values, self.labels = list(choices.values), list(choices.labels)

    def __str__(self):
        if _one_language.get():
            return "、".join(str(label) for label in self.labels)
        return ", ".join(self.values)
