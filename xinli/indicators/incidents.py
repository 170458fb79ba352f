"""The register of extreme incidents caused by psychological problems (因心理问题导致的极端案(事)件), the source of T20
and of the early-warning series ``extreme_incidents``.

Aggregate only: the kind, the date, the unit and the numbers of deaths and injured. The people involved are in
their own archives, never here — the note must not name anyone. Recorded by holders of ``indicators.manage`` over
the unit (health-commission officers), audited (the note is not copied into the audit detail).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.ids import parse_id
from xinli.core.policy import INDICATORS_MANAGE
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit

from .models import ExtremeIncident
from .warning import as_date

MAX_COUNT = 999
MAX_NOTE = 500
NOTE_HELP = _("Place and circumstances in a few words. Do not enter names, ID numbers or anything else that identifies a person.")


def _count(value) -> int | None:
    if value is None or str(value).strip() == "":
        return 0
    text = str(value).strip()
    return parse_id(text) if len(text) <= 3 else None


def record_incident(actor, *, org_unit: OrgUnit, date, kind: str, deaths=0, injured=0, note: str = "") -> ExtremeIncident:
    """Register one incident of ``org_unit`` (``indicators.manage`` over it). Validates every field at once — a date
    not in the future, a listed kind, counts 0–999, a note of at most 500 characters — and writes nothing on error."""
    if org_unit is None or not path_in_scope(actor, INDICATORS_MANAGE, org_unit.path):
        raise PermissionDenied
    errors: dict = {}

    def error(field, message):
        errors.setdefault(field, []).extend(field_error(field, message).error_dict[field])

    day = as_date(date)
    if day is None or day > timezone.localdate():
        error("date", _("Date: the day of the incident as YYYY-MM-DD, today or earlier."))
    if kind not in ExtremeIncident.Kind.values:
        error("kind", _("Kind: choose one of the listed kinds."))
    deaths_n, injured_n = _count(deaths), _count(injured)
    if deaths_n is None:
        error("deaths", _("Deaths: a whole number from 0 to 999."))
    if injured_n is None:
        error("injured", _("Injured: a whole number from 0 to 999."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        error("note", _("Note: at most 500 characters, and no names."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = ExtremeIncident.objects.create(org_unit=org_unit, org_path=org_unit.path, date=day, kind=kind, deaths=deaths_n,
                                                  injured=injured_n, note=note, recorded_by=actor)
        audit.record(actor, audit.Action.CREATE, obj=incident, org_path=org_unit.path,
                     detail={"date": day.isoformat(), "kind": kind, "deaths": deaths_n, "injured": injured_n})
    return incident


def incident_count(unit: OrgUnit, year: int, as_of: datetime.date | None = None, memo=None) -> tuple[int, None]:
    """T20 for one unit: the incidents of the unit and the units below dated from 1 January of ``year`` to ``as_of``
    (default: the whole year) — ``(count, None)``, a count without denominator, in the registry's ``compute`` form."""
    qs = ExtremeIncident.objects.filter(org_path__startswith=unit.path, date__year=year)
    if as_of is not None:
        qs = qs.filter(date__lte=as_of)
    return qs.count(), None
