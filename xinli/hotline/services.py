"""Every write of the hotline: recording a call (with triage, transfer and the alert it raises), follow-up,
shift handover, and the import of call-detail records. Also the KPI computation."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import bilingual, field_error
from xinli.core.ids import parse_int
from xinli.core.policy import HOTLINE_OPERATE, HOTLINE_SUPERVISE
from xinli.core.scoping import path_in_scope

from .models import HIGH_RISKS, PROBLEM_TYPES, Action, Call, CallDetailRecord, Category, Line, Risk, Seat
from .triage import triage_risk

TRIAGE_FIELDS = ("ideation", "hopelessness", "has_plan", "has_means", "prior_attempt", "intoxicated")


def _require(actor, capability, line: Line) -> None:
    if not path_in_scope(actor, capability, line.org_path):
        raise PermissionDenied


def service_time(hours_per_day, days_per_week) -> tuple[int, int]:
    """A line's service time checked: whole hours a day from 1 to 24 and days a week from 1 to 7 (a number sent as
    text is read with ``parse_int``: ASCII digits only). A bad value is a bilingual error naming its field."""
    hours = hours_per_day if isinstance(hours_per_day, int) and not isinstance(hours_per_day, bool) else parse_int(hours_per_day)
    if hours is None or not 1 <= hours <= 24:
        raise field_error("hours_per_day", _("Service hours per day: a whole number from 1 to 24; the pilot plan's line is open 24 hours a day."))
    days = days_per_week if isinstance(days_per_week, int) and not isinstance(days_per_week, bool) else parse_int(days_per_week)
    if days is None or not 1 <= days <= 7:
        raise field_error("days_per_week", _("Service days per week: a whole number from 1 to 7; the pilot plan's line is open every day."))
    return hours, days


def create_line(actor, *, org_unit, name: str, number: str = "12356", hours_per_day: int = 24, days_per_week: int = 7,
                records_calls: bool = True, seats: int = 2) -> Line:
    """A hotline for a region, with its seats (DOMAIN.md §6: at least 2). Hotline supervisors over the unit only."""
    if not path_in_scope(actor, HOTLINE_SUPERVISE, org_unit.path):
        raise PermissionDenied
    if not (name or "").strip():
        raise field_error("name", _("Name: give the hotline a name, e.g. 青岛市心理援助热线."))
    if not re.fullmatch("[0-9]+", (number or "").strip()):
        raise field_error("number", _("Number: digits only, e.g. 12356."))
    hours_per_day, days_per_week = service_time(hours_per_day, days_per_week)
    seats = seats if isinstance(seats, int) and not isinstance(seats, bool) else parse_int(seats)
    if seats is None or not 1 <= seats <= 200:
        raise field_error("seats", _("Seats: from 1 to 200."))
    with transaction.atomic():
        line = Line.objects.create(org_unit=org_unit, name=name.strip(), number=number.strip(), hours_per_day=hours_per_day,
                                   days_per_week=days_per_week, records_calls=records_calls)
        Seat.objects.bulk_create([Seat(line=line, label=f"{i:02d}") for i in range(1, int(seats) + 1)])
        audit.record(actor, audit.Action.CREATE, obj=line, org_path=line.org_path,
                     detail={"seats": int(seats), "hours_per_day": hours_per_day, "days_per_week": days_per_week})
    return line


def set_service_time(actor, line: Line, *, hours_per_day, days_per_week) -> Line:
    """Change a line's service hours a day and days a week (hotline supervisors over the line's unit). Both values
    are checked before anything is written; the audit entry keeps the old and the new values."""
    _require(actor, HOTLINE_SUPERVISE, line)
    hours, days = service_time(hours_per_day, days_per_week)
    with transaction.atomic():
        line = Line.objects.select_for_update().get(pk=line.pk)
        before = {"hours_per_day": line.hours_per_day, "days_per_week": line.days_per_week}
        line.hours_per_day, line.days_per_week = hours, days
        line.save(update_fields=["hours_per_day", "days_per_week"])
        audit.record(actor, audit.Action.UPDATE, obj=line, org_path=line.org_path,
                     detail={"before": before, "hours_per_day": hours, "days_per_week": days})
    return line


def record_call(actor, line: Line, data: dict) -> Call:
    """Register one call with its handling record and risk assessment. A medium or higher risk raises (or merges
    into) an alert for the crisis team, in the same transaction; a high-risk call gets a follow-up date."""
    _require(actor, HOTLINE_OPERATE, line)
    data = dict(data)
    if data.get("started_at") is None:
        # A finished call registered afterwards: it started no later than it was answered.
        data["started_at"] = data.get("answered_at") or timezone.now()
    _check(line, data)
    call = Call(line=line, counsellor=actor, **data).place_under(line.org_unit)
    _derive(call)
    with transaction.atomic():
        call.save()
        audit.record(actor, audit.Action.CREATE, obj=call, person=call.person, org_path=call.org_path,
                     detail={"risk": call.risk, "category": call.category, "action": call.action,
                             "transfer_to": call.transfer_to})
        call.alert = _raise_alert(actor, call)
        if call.alert is not None:
            call.save(update_fields=["alert"])
    return call


EDITABLE = {"answered_at", "ended_at", "kind", "category", "problem_types", *TRIAGE_FIELDS, "action", "transfer_to",
            "transfer_at", "transfer_reference", "notes", "follow_up_plan", "follow_up_due", "seat", "recording_notice"}


DERIVED = ("risk", "category", "follow_up_due", "transfer_at")


def _derive(call: Call) -> None:
    """What follows from the handling record, the same on registration and on every correction: the triage risk;
    a high-risk call is a suicide-risk call (unless already filed as crisis) and gets a follow-up date; a transfer
    has a time."""
    if call.action == Action.TRANSFER and call.transfer_at is None:
        call.transfer_at = timezone.now()
    call.risk = triage_risk(**{f: getattr(call, f) for f in TRIAGE_FIELDS})
    if call.risk in HIGH_RISKS:
        if call.category in (Category.GENERAL, Category.INFORMATION):
            call.category = Category.SUICIDE_RISK
        call.follow_up_due = call.follow_up_due or (timezone.localdate() + datetime.timedelta(days=1))


def update_call(actor, call: Call, data: dict) -> Call:
    """Complete or correct a call (typically at its end): the triage is re-scored and a risk that rose raises or
    upgrades the alert. The row is re-read under a lock and only the fields sent (and what follows from them) are
    written, so a follow-up or another correction recorded meanwhile is never overwritten by a stale copy."""
    _require(actor, HOTLINE_OPERATE, call.line)
    unknown = set(data) - EDITABLE
    if unknown:
        field = sorted(unknown)[0]
        raise field_error(field, _("{name}: cannot be changed after the call is registered."), name=field)
    with transaction.atomic():
        call = Call.objects.select_for_update().select_related("line").get(pk=call.pk)
        current = {f: getattr(call, f) for f in EDITABLE - {"seat"}}
        _check(call.line, {**current, **data, "started_at": call.started_at})
        before = call.risk
        for name, value in data.items():
            setattr(call, name, value)
        _derive(call)
        call.save(update_fields=sorted({*data, *DERIVED}))
        audit.record(actor, audit.Action.UPDATE, obj=call, person=call.person, org_path=call.org_path,
                     detail={"fields": sorted(data), "risk": call.risk})
        if RISK_ORDER.index(call.risk) > RISK_ORDER.index(before) or (call.alert_id is None and call.risk != Risk.LOW):
            call.alert = _raise_alert(actor, call) or call.alert
            call.save(update_fields=["alert"])
    return call


RISK_ORDER = [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.IMMINENT]


def _check(line: Line, data: dict) -> None:
    for name, message in (("ideation", _("Suicidal ideation: a whole number from 0 (none) to 10 (strongest).")),
                          ("hopelessness", _("Hopelessness: a whole number from 0 (none) to 10 (strongest)."))):
        value = data.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            raise field_error(name, message)
    unknown = [p for p in data.get("problem_types", []) if p not in PROBLEM_TYPES]
    if unknown:
        raise field_error("problem_types", _("Problem types: unknown {values}; use {choices}."),
                          values=", ".join(unknown), choices=", ".join(PROBLEM_TYPES))
    if line.records_calls and not data.get("recording_notice"):
        raise field_error("recording_notice", _("Recording notice: this line records calls; tell the caller at the start and tick the box."))
    if data.get("action") == Action.TRANSFER:
        if not data.get("transfer_to"):
            raise field_error("transfer_to", _("Transferred to: choose 110, 119 or 120 for a transfer."))
        data.setdefault("transfer_at", timezone.now())
    elif data.get("transfer_to"):
        raise field_error("action", _("Action: set it to transfer when the call was transferred to {number}."),
                          number=data["transfer_to"])
    started = data.get("started_at") or timezone.now()
    answered, ended = data.get("answered_at"), data.get("ended_at")
    if answered and answered < started:
        raise field_error("answered_at", _("Answered: cannot be before the call started."))
    if ended and ended < (answered or started):
        raise field_error("ended_at", _("Ended: cannot be before the call was answered or started."))
    person = data.get("person")
    if person is not None and not data.pop("consent_to_link", False):
        raise field_error("consent_to_link", _("Link to the archive: only with the caller's consent; tick the consent box or leave the person empty."))
    data.pop("consent_to_link", None)


def _raise_alert(actor, call: Call):
    from xinli.alerts.models import Source
    from xinli.alerts.rules import HOTLINE_RISK_LEVELS
    from xinli.alerts.services import Signal, raise_alert

    level = HOTLINE_RISK_LEVELS.get(call.risk)
    if level is None:
        return None
    unit = call.person.org_unit if call.person is not None else call.line.org_unit
    subject = f"caller:{call.line_id}:{call.caller_phone_bidx[:28]}" if call.caller_phone_bidx else ""
    params = {"call": call.pk, "risk": call.risk} | ({"transfer_to": call.transfer_to} if call.transfer_to else {})
    return raise_alert(Signal(level=level, source=Source.HOTLINE, cause="hotline:suicide_risk", summary="",
                              summary_code="hotline_transfer" if call.transfer_to else "hotline", summary_params=params,
                              org_unit=unit, person=call.person, reported_by=actor, subject=subject), actor=actor)


def complete_follow_up(actor, call: Call, note: str = "") -> Call:
    """Record that a high-risk caller was followed up (only high-risk calls have a follow-up)."""
    _require(actor, HOTLINE_OPERATE, call.line)
    if not isinstance(note, str) or len(note) > 2000:
        raise field_error("note", _("Note: text of at most 2000 characters."))
    if call.risk not in HIGH_RISKS:
        raise field_error("follow_up", _("Follow-up: only a high-risk call has a follow-up to record."))
    with transaction.atomic():
        if Call.objects.filter(pk=call.pk, follow_up_done_at__isnull=True).update(follow_up_done_at=timezone.now()) != 1:
            raise field_error("follow_up", _("Follow-up: already recorded as done."))
        call.refresh_from_db()
        if note:
            call.notes = f"{call.notes or ''}\n[follow-up] {note}".strip()
            call.save(update_fields=["notes"])
        audit.record(actor, audit.Action.UPDATE, obj=call, person=call.person, org_path=call.org_path,
                     detail={"follow_up": "done"})
    return call


def hand_over(actor, line: Line, calls) -> int:
    """The outgoing shift hands over the open high-risk callers: each is stamped and the handover audited."""
    _require(actor, HOTLINE_OPERATE, line)
    now = timezone.now()
    ids = [c.pk for c in calls]
    with transaction.atomic():
        n = Call.objects.filter(pk__in=ids, line=line).update(handed_over_at=now)
        audit.record(actor, audit.Action.UPDATE, object_type="hotline.call", object_id="handover", org_path=line.org_path,
                     detail={"handover": ids})
    return n


# --- call-detail records -------------------------------------------------------------------------------------------

@dataclass
class CdrReport:
    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


CDR_COLUMNS = ("call_id", "offered_at", "answered_at", "ended_at")


def _when(text: str):
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        raise ValueError(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def import_cdr(actor, line: Line, text: str) -> CdrReport:
    """Import the telephone system's call-detail records (CSV: call_id, offered_at, answered_at, ended_at; times in
    ISO 8601, local time when no offset is given; an empty answered_at is an abandoned call). Every row is checked
    first; if any is bad, every bad row is reported with its line number and nothing is written. Re-importing the
    same call_id changes nothing."""
    if actor is not None:
        _require(actor, HOTLINE_SUPERVISE, line)
    report = CdrReport()
    # newline="": the csv module itself recognises \r\n, \n and a lone \r (old spreadsheet exports) as line ends.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    read = [0]  # the last line read without error
    try:
        return _import_cdr(actor, line, reader, report, read)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: the record after the last good one
        report.errors.append((read[0] + 1, bilingual(
            _("file: cannot be read as CSV here ({error}); export the records again as a plain CSV file"), error=exc)))
        return report


def _existing_ids(line: Line, ids: list[str]) -> set[str]:
    found = set()
    for i in range(0, len(ids), 1000):  # chunks: a long IN list exceeds SQLite's variable limit
        found.update(CallDetailRecord.objects.filter(line=line, external_id__in=ids[i:i + 1000])
                     .values_list("external_id", flat=True))
    return found


def _import_cdr(actor, line: Line, reader, report: CdrReport, read: list[int]) -> CdrReport:
    header = [h.strip() for h in (reader.fieldnames or [])]
    read[0] = reader.line_num
    missing = [c for c in CDR_COLUMNS if c not in header]
    if missing:
        report.errors.append((1, bilingual(_("header: missing columns {columns}; the header must be call_id,offered_at,answered_at,ended_at"),
                                           columns=", ".join(missing))))
        return report
    reader.fieldnames = header
    rows, seen = [], {}
    for line_no, raw in enumerate(reader, start=2):
        read[0] = reader.line_num
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        problems = []
        if not row["call_id"]:
            problems.append(bilingual(_("call_id: empty; every row needs the telephone system's call id")))
        elif row["call_id"] in seen:
            problems.append(bilingual(_("call_id: duplicate of line {line}"), line=seen[row["call_id"]]))
        times = {}
        for col in CDR_COLUMNS[1:]:
            try:
                times[col] = _when(row[col])
            except ValueError:
                problems.append(bilingual(_("{column}: '{value}' is not a date and time; use 2026-11-25 08:30:00"), column=col, value=row[col]))
        if not problems:
            if times["offered_at"] is None:
                problems.append(bilingual(_("offered_at: empty; every call has the time it was offered")))
            elif times["answered_at"] and times["answered_at"] < times["offered_at"]:
                problems.append(bilingual(_("answered_at: before offered_at; check the row")))
            elif times["ended_at"] and times["ended_at"] < (times["answered_at"] or times["offered_at"]):
                problems.append(bilingual(_("ended_at: before the call was offered or answered; check the row")))
        if problems:
            report.errors.extend((line_no, p) for p in problems)
        else:
            seen[row["call_id"]] = line_no
            rows.append((row["call_id"], times))
    if report.errors:
        return report
    ids = [r[0] for r in rows]
    with transaction.atomic():
        # Imports into one line queue behind each other (row lock on PostgreSQL), so the check below sees what an
        # earlier import committed; ignore_conflicts covers the rest (SQLite, a row inserted between check and
        # insert): a record already there is left unchanged, never a duplicate-key error.
        Line.objects.select_for_update().filter(pk=line.pk).first()
        existing = _existing_ids(line, ids)
        new = [CallDetailRecord(line=line, external_id=cid, org_path=line.org_path, **t) for cid, t in rows if cid not in existing]
        CallDetailRecord.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        created = len(_existing_ids(line, ids)) - len(existing) if new else 0
        audit.record(actor, audit.Action.CREATE, object_type="hotline.calldetailrecord", object_id=str(line.pk),
                     org_path=line.org_path, detail={"imported": created, "unchanged": len(rows) - created})
    report.created, report.unchanged = created, len(rows) - created
    return report


# --- KPIs -------------------------------------------------------------------------------------------------------------

@dataclass
class DayKpi:
    day: datetime.date
    offered: int = 0
    answered: int = 0
    answer_seconds: float = 0.0
    calls: int = 0
    high_risk: int = 0
    high_risk_followed_up: int = 0

    @property
    def abandoned(self) -> int:
        return self.offered - self.answered

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None

    @property
    def abandonment_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def average_speed_of_answer(self) -> float | None:
        """Seconds from offered to answered, over answered calls."""
        return self.answer_seconds / self.answered if self.answered else None

    @property
    def high_risk_share(self) -> float | None:
        return self.high_risk / self.calls if self.calls else None

    @property
    def follow_up_completion(self) -> float | None:
        return self.high_risk_followed_up / self.high_risk if self.high_risk else None

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "offered": self.offered, "answered": self.answered,
                "abandoned": self.abandoned, "answer_rate": self.answer_rate, "abandonment_rate": self.abandonment_rate,
                "average_speed_of_answer_s": self.average_speed_of_answer, "calls_recorded": self.calls,
                "high_risk_calls": self.high_risk, "high_risk_share": self.high_risk_share,
                "high_risk_followed_up": self.high_risk_followed_up, "follow_up_completion": self.follow_up_completion}


KPI_YEARS = (2000, 2100)


def kpi_range(date_from: str | None, date_to: str | None, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The KPI period from the ``from`` and ``to`` texts (YYYY-MM-DD; default: the 7 days up to ``to``, which
    defaults to today). Dates outside the years 2000–2100, from after to, or more than a year apart are refused
    with a bilingual error naming the field."""
    try:
        end = datetime.date.fromisoformat(date_to) if date_to else today
    except ValueError:
        raise field_error("to", _("Dates: use YYYY-MM-DD for from and to.")) from None
    if not KPI_YEARS[0] <= end.year <= KPI_YEARS[1]:
        raise field_error("to", _("Dates: from and to must be between 2000-01-01 and 2100-12-31."))
    try:
        start = (datetime.date.fromisoformat(date_from) if date_from
                 else max(end - datetime.timedelta(days=6), datetime.date(KPI_YEARS[0], 1, 1)))
    except ValueError:
        raise field_error("from", _("Dates: use YYYY-MM-DD for from and to.")) from None
    if not KPI_YEARS[0] <= start.year <= KPI_YEARS[1]:
        raise field_error("from", _("Dates: from and to must be between 2000-01-01 and 2100-12-31."))
    if start > end or (end - start).days > 366:
        raise field_error("from", _("Dates: from must be on or before to, at most one year apart."))
    return start, end


def kpis(line: Line, date_from: datetime.date, date_to: datetime.date) -> list[DayKpi]:
    """Per local day: offered/answered/abandoned and speed of answer from the call-detail records; recorded calls,
    high-risk share and follow-up completion of high-risk callers from the call records."""
    if not all(KPI_YEARS[0] <= d.year <= KPI_YEARS[1] for d in (date_from, date_to)):
        raise field_error("from", _("Dates: from and to must be between 2000-01-01 and 2100-12-31."))
    if date_from > date_to or (date_to - date_from).days > 366:
        raise field_error("from", _("Dates: from must be on or before to, at most one year apart."))
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    days = {date_from + datetime.timedelta(days=i): None for i in range((date_to - date_from).days + 1)}
    out = {d: DayKpi(d) for d in days}
    for offered, answered in CallDetailRecord.objects.filter(line=line, offered_at__gte=start, offered_at__lt=end).values_list("offered_at", "answered_at"):
        k = out[timezone.localtime(offered, tz).date()]
        k.offered += 1
        if answered is not None:
            k.answered += 1
            k.answer_seconds += (answered - offered).total_seconds()
    for started, risk, done in Call.objects.filter(line=line, started_at__gte=start, started_at__lt=end).values_list("started_at", "risk", "follow_up_done_at"):
        k = out[timezone.localtime(started, tz).date()]
        k.calls += 1
        if risk in HIGH_RISKS:
            k.high_risk += 1
            k.high_risk_followed_up += done is not None
    return [out[d] for d in sorted(out)]


__all__ = ["record_call", "complete_follow_up", "hand_over", "import_cdr", "kpis", "Risk"]
