"""Writes for the instrument library."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from xinli.core import audit

from . import definitions
from .definitions import DefinitionError
from .models import ImportedScale


def import_definition(path: Path, *, licence_note: str = "", actor=None) -> ImportedScale:
    """Validate an operator's licensed definition file and store it; it replaces the shipped placeholder with the
    same code. A shipped instrument with real item texts cannot be replaced. Raises DefinitionError."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(f"{path.name}: cannot read a JSON definition ({exc})") from exc
    parsed = definitions.parse(raw, path.name)
    shipped = definitions.DEFINITIONS_DIR / f"{parsed.code}.json"
    if shipped.exists() and not json.loads(shipped.read_text(encoding="utf-8")).get("restricted"):
        raise DefinitionError(f"{path.name}: {parsed.code} is shipped with its published texts and cannot be replaced")
    with transaction.atomic():
        row, _ = ImportedScale.objects.update_or_create(
            code=parsed.code,
            defaults={"version": parsed.version, "definition": raw, "licence_note": licence_note, "active": True,
                      "imported_by": actor},
        )
        audit.record(actor, audit.Action.CREATE, obj=row, detail={"code": parsed.code, "version": parsed.version})
    definitions.reload()
    return row
