"""The one encrypted-field class and the one blind-index field class."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import FieldError
from django.db import models

from .crypto import keyring


class EncryptedTextField(models.TextField):
    """A text value stored SM4-GCM encrypted. Only ``isnull`` and ``startswith`` (on the key id, used by key
    rotation) can be queried: use a blind index for look-ups."""

    ALLOWED_LOOKUPS = {"isnull", "startswith"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def _aad(self) -> bytes:
        aad = self.__dict__.get("_aad_bytes")
        if aad is None:  # built once per field: every value of a bulk import asks for it
            aad = self.__dict__["_aad_bytes"] = f"{self.model._meta.db_table}.{self.column}".encode()
        return aad

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return keyring().decrypt(value, self._aad())

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        value = str(value)
        if value == "":
            return None
        return keyring().encrypt(value, self._aad())

    def get_lookup(self, lookup_name):
        if lookup_name not in self.ALLOWED_LOOKUPS:
            raise FieldError(f"{self.name} is encrypted; look it up through its blind index, not '{lookup_name}'")
        return super().get_lookup(lookup_name)


class EncryptedDateField(EncryptedTextField):
    """A date stored encrypted as ISO text; reads back as ``datetime.date``."""

    def from_db_value(self, value, expression, connection):
        import datetime

        text = super().from_db_value(value, expression, connection)
        return None if text is None else datetime.date.fromisoformat(text)

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        return super().get_prep_value(value.isoformat() if hasattr(value, "isoformat") else value)


class BlindIndexField(models.CharField):
    """HMAC-SM3 of a normalised source attribute, recomputed on every save (``pre_save``).

    ``domain`` separates index spaces, so the same ID number hashes the same way in every table that indexes it
    (a hotline caller's phone can be matched to an archive phone) while different kinds of value never collide.
    """

    def __init__(self, *args, source: str = "", domain: str = "", normalizer: Callable[[str], str] | None = None, **kwargs):
        self.source = source
        self.domain = domain
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, domain=self.domain, normalizer=self.normalizer)
        for key in ("max_length", "null", "blank", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def compute(self, raw) -> str | None:
        return blind_index(self.domain, raw, self.normalizer)

    def pre_save(self, model_instance, add):
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def blind_index(domain: str, raw, normalizer: Callable[[str], str] | None = None) -> str | None:
    """The blind index of ``raw`` in ``domain`` (None for an empty value). Use it to look a value up."""
    if raw is None:
        return None
    text = normalizer(str(raw)) if normalizer else str(raw)
    if not text:
        return None
    return keyring().blind_index(domain, text)
