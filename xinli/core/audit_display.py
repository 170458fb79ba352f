"""The audit log in plain language, for the audit viewer: what each stored code means in the reader's language.

Entries keep their codes (they are hashed into the chain and read by tools); the viewer translates them: outcomes
and purposes from the tables below, the object type from its model's name, the page or API from its app's name,
detail keys from the object's model fields or the table below, detail values from the field's choices (a state, a
level, a source …), yes/no for booleans. A code nobody has named yet is shown with its underscores as spaces."""

from __future__ import annotations

import datetime
import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")

OUTCOMES = {
    "success": _("success"),
    "failed": _("refused: wrong user name or password"),
    "locked": _("refused: account locked after failed log-ins"),
    "bad_otp": _("refused: wrong one-time code"),
    "denied": _("refused: no permission"),
}

PURPOSES = {
    "view": _("viewing the record"), "edit": _("editing the record"), "search": _("search"),
    "screening": _("screening"), "alerts": _("alert work"), "alert report": _("reporting a risk"),
    "crisis": _("crisis intervention"), "crisis intervention": _("crisis intervention"),
    "crisis follow-up": _("crisis follow-up"), "group crisis": _("group crisis"), "hotline": _("hotline"),
    "counselling": _("counselling"), "counselling (no notes)": _("counselling (without notes)"),
    "appointment": _("appointment"), "plans": _("counselling plans"), "referrals": _("referrals"),
    "consent": _("consent"), "smd": _("severe mental disorder follow-up"), "smd register": _("SMD register"),
    "smd basic": _("SMD basic information"), "smd break-glass": _("SMD emergency access"),
    "workforce": _("service workforce"), "backup": _("backup"), "restore": _("restore"), "audit": _("audit"),
    "awareness sample": _("awareness survey sample"), "transfer": _("resident transfer"),
    "merge": _("merging duplicate records"),
}

# Detail keys that are not fields of the entry's object model.
DETAIL_KEYS = {
    "merged_person": _("merged record"), "merged_status": _("status before the merge"),
    "merged_version": _("version after the merge"), "pair": _("pair"), "pair_state": _("pair state before the merge"),
    "merge": _("merge"), "restored": _("records restored"), "undone": _("undone"), "moved": _("rows moved"),
    "survivor": _("surviving record"), "merged_into": _("merged into"),
    "identified": _("identified (names included)"), "format": _("file format"), "form": _("form"), "fields": _("fields"),
    "awareness_link": _("awareness survey link of village"), "awareness_sample": _("awareness survey sample of unit"),
    "invited": _("residents invited"), "questions": _("questions"),
    "merged": _("merged signal"), "upgraded": _("level raised"), "cause": _("cause"), "escalated_to": _("escalated to"),
    "deadline": pgettext_lazy("audit", "deadline"), "office": _("department office"), "progress": _("progress note"),
    "supervised": _("supervision (督办)"), "satisfaction": _("satisfaction"), "signs": _("risk signs"), "needs": _("needs"),
    "dispute": _("dispute"), "actions": _("actions"), "roles": _("roles"), "role": _("role"), "tags": _("population tags"),
    "tags_added": _("tags added"), "tags_ended": _("tags ended"), "consents": _("consents"),
    "bulk_created": _("records created"), "created": _("created"), "updated": _("updated"), "unchanged": _("unchanged"),
    "closed": _("closed"), "scale": _("instrument"), "band": _("band"), "by": _("searched by"), "persons": _("persons found"),
    "matches": _("matches"), "rows": _("rows"), "count": _("count"), "year": _("year"), "period": _("period"),
    "done": _("the task is done"), "cancelled": pgettext_lazy("task", "cancelled"), "parts": _("appraisal parts"),
    "departments": _("departments present"), "partner": _("exchange partner"), "person_fields": _("person fields shared"),
    "messages": _("messages"),
    "expires_at": _("expires at"), "state": _("state"), "level": _("level"), "source": _("source"), "kind": _("kind"),
    "outcome": _("outcome"), "risk": _("risk level"), "action": _("action"), "category": _("category"),
    "transfer_to": _("transferred to"), "note": _("note"), "date": _("date"), "score": _("score"),
    "session": _("session"), "event": _("event"), "alert": _("alert"), "follow_up": _("follow-up"),
    "training": _("training"), "findings": _("findings"), "deaths": _("deaths"), "injured": _("injured"),
    "urgency": _("urgency"), "slots": _("time slots"), "to": _("sent to"), "basis": _("legal basis"), "back": _("back"), "version": _("version"),
    "code": _("code"), "value": _("value"), "purpose": _("purpose"), "totp_enrolled": _("two-factor device enrolled"),
    "revoked": _("revoked"), "withdrawn": _("withdrawn"), "org_unit": _("org unit"), "team": _("team"),
    "participants": _("participants"),
    "duplicate_id_number": _("ID number held outside the requester's area"),
    # The crisis team register (alerts.teams) and a hotline's service time.
    "member_added": _("member added"), "member_removed": _("member removed"), "member": _("member"),
    "user": _("platform user"), "profession": _("profession"), "leader": _("leader"), "shift_added": _("shift added"),
    "shift_removed": _("shift removed"), "future_shifts_removed": _("future shifts removed"), "start": _("start"),
    "end": _("end"), "before": _("before the change"), "seats": _("seats"),
    # Residents who move (archives.transfers) and a patient registered again.
    "from": _("sending unit"), "items": _("records handed over"), "accepted": _("records accepted"),
    "returned": _("records returned"), "transferred_to": _("transferred to unit"),
    "registered_again": _("registered again"), "previous": _("before"),
    # To another city (archives.citytransfer).
    "records": _("records per kind"), "digest": _("SM3 digest of the file"), "transfer_from": _("transferred from"),
    "owner": _("responsible team's unit"), "transferred_in": _("moved here from another city"),
    "moved_out": _("closed as moved out"),
    "follow_ups_pending": _("follow-up contacts pending"),
    "follow_ups_handed_over": _("follow-up contacts handed over (due days)"),
}

# Values of detail keys that are not fields of the object model but name a known set of codes: a table, or the
# (model, field) whose choices name them (looked up in the app registry: core imports no domain app).
DETAIL_VALUES = {
    "by": {"name": _("whole name"), "id_number": _("resident ID number")},
    "merged": ("alerts.alert", "source"), "source": ("alerts.alert", "source"), "level": ("alerts.alert", "level"),
    "role": ("accounts.assignment", "role"), "roles": ("accounts.assignment", "role"),
    "tags": ("archives.populationtag", "tag"), "tags_added": ("archives.populationtag", "tag"),
    "tags_ended": ("archives.populationtag", "tag"),
    "follow_up": {"done": _("done")},  # a hotline call's follow-up recorded
    # The SMD national forms printed (xinli.smd.forms_pdf) and the upward register (xinli.smd.export).
    "form": {"supplement": _("Supplementary personal information form"), "follow_up": _("Follow-up service record"),
             "risk": _("Risk assessment (levels 0–5)"), "emergency": _("Emergency handling record"),
             "transfer": _("Transfer letter (to a place without the platform)"),
             "national_register": _("Upward register (national system columns)")},
    "profession": ("alerts.crisisteammember", "profession"),  # a crisis team member added (the entry is the team's)
    "merged_status": ("archives.person", "status"), "pair_state": ("archives.possibleduplicate", "state"),  # issue 17
}

# Formatters apps register, when ready, for detail keys whose codes they own: ``f(value, detail) -> str`` (``scale``
# and ``band`` by the scales app, ``cause`` by the alerts app).
VALUE_FORMATTERS: dict = {}
# Formatters for a detail key whose value is a whole list, ``f(list, detail) -> str`` (``moved``, the rows a record
# merge moved, by the archives app).
LIST_FORMATTERS: dict = {}

# Detail keys whose meaning differs from the object model's field of the same name (an alert's detail "merged" is
# the source of the merged signal, the model's "merged" is a count).
TABLE_FIRST = {"merged"}


def _model(object_type: str):
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except (LookupError, ValueError):
        return None


def _field(model, key):
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    # Only the model's own fields label a detail key: a reverse relation of the same name (``follow_ups`` counted in
    # an entry's detail) has no verbose name or choices.
    return None if field.auto_created and not field.concrete else field


def _humanise(code: str) -> str:
    return code.replace("_", " ").replace(":", " · ")


def outcome(code: str) -> str:
    return str(OUTCOMES.get(code, _humanise(code)))


def purpose(text: str) -> str:
    """A known purpose in the reader's language; a purpose written by a user (a break-glass reason) as written."""
    return str(PURPOSES.get(text, text))


# Names of the models that declare no translated verbose_name, as the audit viewer shows them (object type).
OBJECT_NAMES = {
    "audit head": pgettext_lazy("object type", "audit head"),
    "audit checkpoint": pgettext_lazy("object type", "audit checkpoint"),
    "unit population": pgettext_lazy("object type", "unit population"),
    "api token": pgettext_lazy("object type", "api token"),
    "campaign group": pgettext_lazy("object type", "campaign group"),
    "participant": pgettext_lazy("object type", "participant"),
    "alert event": pgettext_lazy("object type", "alert event"),
    "deadline policy": pgettext_lazy("object type", "deadline policy"),
    "notification": pgettext_lazy("object type", "notification"),
    "delivery": pgettext_lazy("object type", "delivery"),
    "crisis case": pgettext_lazy("object type", "crisis case"),
    "crisis action": pgettext_lazy("object type", "crisis action"),
    "crisis event": pgettext_lazy("object type", "crisis event"),
    "affected person": pgettext_lazy("object type", "affected person"),
    "follow up": pgettext_lazy("object type", "follow up"),
    "seat": pgettext_lazy("object type", "seat"),
    "call detail record": pgettext_lazy("object type", "call detail record"),
    "task": pgettext_lazy("object type", "task"),
    "emergency": pgettext_lazy("object type", "emergency"),
    "team member": pgettext_lazy("object type", "team member"),
    "support": pgettext_lazy("object type", "support"),
    "reminder policy": pgettext_lazy("object type", "reminder policy"),
    "break glass": pgettext_lazy("object type", "break glass"),
    "institution": pgettext_lazy("object type", "institution"),
    "site": pgettext_lazy("object type", "site"),
    "site status": pgettext_lazy("object type", "site status"),
    "certificate": pgettext_lazy("object type", "certificate"),
    "course": pgettext_lazy("object type", "course"),
    "attendance": pgettext_lazy("object type", "attendance"),
    "volunteer": pgettext_lazy("object type", "volunteer"),
    "volunteer service": pgettext_lazy("object type", "volunteer service"),
    "checklist": pgettext_lazy("object type", "checklist"),
    "inspection plan": pgettext_lazy("object type", "inspection plan"),
    "inspection": pgettext_lazy("object type", "inspection"),
    "finding": pgettext_lazy("object type", "finding"),
    "rectification": pgettext_lazy("object type", "rectification"),
    "satisfaction response": pgettext_lazy("object type", "satisfaction response"),
    "management group": pgettext_lazy("object type", "management group"),
    "supervision": pgettext_lazy("object type", "supervision"),
    "resident account": pgettext_lazy("object type", "resident account"),
    "article": pgettext_lazy("object type", "article"),
    "event": pgettext_lazy("object type", "event"),
    "registration": pgettext_lazy("object type", "registration"),
    "awareness survey": pgettext_lazy("object type", "awareness survey"),
    "awareness response": pgettext_lazy("object type", "awareness response"),
    "case": pgettext_lazy("object type", "case"),
    "session": pgettext_lazy("object type", "session"),
    "plan": pgettext_lazy("object type", "plan"),
    "referral": pgettext_lazy("object type", "referral"),
    "slot": pgettext_lazy("object type", "slot"),
    "booking": pgettext_lazy("object type", "booking"),
    "waiting list entry": pgettext_lazy("object type", "waiting list entry"),
    "target": pgettext_lazy("object type", "target"),
    "rollup": pgettext_lazy("object type", "rollup"),
    "signal": pgettext_lazy("object type", "signal"),
    "risk assessment": pgettext_lazy("object type", "risk assessment"),
    "extreme incident": pgettext_lazy("object type", "extreme incident"),
    "report": pgettext_lazy("object type", "report"),
    "import job": pgettext_lazy("object type", "import job"),
    "import row": pgettext_lazy("object type", "import problem"),
    "source link": pgettext_lazy("object type", "source system id"),
}


def object_label(object_type: str) -> str:
    model = _model(object_type)
    if model is None:
        return _humanise(object_type)
    name = model._meta.verbose_name
    return str(OBJECT_NAMES.get(str(name), name)) if isinstance(name, str) else str(name)


def object_types() -> list[tuple[str, str]]:
    """(code, name) of every kind of object the platform audits, by name: the audit viewer's object-type filter."""
    codes = [m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("xinli.")]
    return sorted(((c, object_label(c)) for c in codes), key=lambda pair: pair[1])


def view_label(view: str) -> str:
    """The app (and whether page, API or command) where the entry was written; the precise name is the tooltip."""
    if not view:
        return ""
    if view.startswith("/api/") or (":" not in view and "-" in view):
        return str(_("API"))
    if view.startswith("/"):
        return str(_("page"))
    if ":" in view:
        app = view.split(":", 1)[0]
        try:
            return f"{apps.get_app_config(app).verbose_name} · {_('page')}"
        except LookupError:
            return str(_("page"))
    return str(_("command or task"))


def _choice_label(ref, value):
    if isinstance(ref, dict):
        return ref.get(value)
    field = _field(_model(ref[0]), ref[1])
    return dict(field.flatchoices).get(value) if field is not None else None


def _value(model, key, value, data=None) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        if key in LIST_FORMATTERS:
            return str(LIST_FORMATTERS[key](value, data or {}))
        if key == "fields":
            return "、".join(_key(model, v) if isinstance(v, str) else str(v) for v in value)
        return "、".join(_value(model, key, v) for v in value)
    if isinstance(value, dict):
        if key in VALUE_FORMATTERS:
            return str(VALUE_FORMATTERS[key](value, data or {}))
        return "；".join(f"{_key(model, k)}: {_value(model, k, v)}" for k, v in value.items())
    field = None if key in TABLE_FIRST else _field(model, key)
    if field is not None and field.choices and isinstance(value, str):
        label = dict(field.flatchoices).get(value)
        if label is not None:
            return str(label)
    if key in DETAIL_VALUES and isinstance(value, str):
        label = _choice_label(DETAIL_VALUES[key], value)
        if label is not None:
            return str(label)
    if key in VALUE_FORMATTERS:
        return str(VALUE_FORMATTERS[key](value, data or {}))
    if isinstance(value, str) and ISO_TIME.match(value):  # a stored time (UTC, ISO) in local time, as the log's times
        try:
            return timezone.localtime(datetime.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    return str(value)


def _key(model, key: str) -> str:
    field = None if key in TABLE_FIRST else _field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    return str(DETAIL_KEYS.get(key, _humanise(key)))


def detail(object_type: str, data: dict) -> list[tuple[str, str]]:
    """(label, value) pairs of an entry's detail, in the reader's language."""
    model = _model(object_type)
    return [(_key(model, k), _value(model, k, v, data)) for k, v in (data or {}).items()]
