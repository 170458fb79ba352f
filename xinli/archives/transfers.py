"""Residents who move (迁出/迁入, issue 17): the transfer of what other services manage for a resident by area.

When a resident's residence org unit changes inside the instance (``services.update_person``), :func:`open_for_move`
asks every registered holder what it manages for the person (the SMD register entry with its pending follow-up
tasks, open personalised plans, open counselling and crisis cases) and opens one :class:`Transfer` with one
``TransferItem`` per record. Nothing moves yet: the sending unit stays responsible. The receiving unit's
精防医生 / worker (a holder of the item's capability over the receiving unit) accepts — each row then changes its
responsible unit (``org_path``, ``county_code``, its org-unit links) and its responsible doctor or worker becomes the
accepting user (or none) — or returns it with a required reason, which goes back to the sender as an inbox message.
A transfer not accepted within ``transfer_accept_days`` (region parameter, default 14) escalates up the tree like an
alert: the officers and doctors of the next unit up are told, and again after the same number of days.

Layering: the archive sits below the domain apps, so they register here what they hold (:func:`register`) from their
own ``transfers`` module (loaded by their ``AppConfig.ready``), as region parameters are registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit, notices
from xinli.core.i18n import bilingual, field_error
from xinli.core.policy import ARCHIVES_EDIT, INDICATORS_MANAGE, Role, role_grants
from xinli.core.scoping import path_in_scope, scope_q
from xinli.regions import parameters
from xinli.regions.models import OrgUnit

from .models import Person, Transfer, TransferItem

REASON_MAX = 500

parameters.register(parameters.Known(
    "transfer_accept_days", int, lambda: 14, 1, 90, INDICATORS_MANAGE, _("days to accept a transfer"),
    _("A resident's transfer (迁入) not accepted by the receiving unit within this many days escalates to the next "
      "unit up, and again after the same number of days.")))


@dataclass(frozen=True)
class Held:
    """One record a holder manages for a person: its id, where it is now, and codes describing it (no personal data)."""

    object_id: int
    org_path: str
    detail: dict


@dataclass(frozen=True)
class Holder:
    """What a domain app manages by area for a person, and how to move it.

    ``describe(person)`` lists the records to hand over (open ones only); ``move(actor, object_id, to_unit,
    receiver)`` changes one record's responsible unit and doctor/worker (``receiver``: the accepting user when they
    may take it, else None; called inside the acceptance's transaction); ``label(detail)`` names an item on the
    worklist in the reader's language; ``capability`` is what the receiving user needs over the receiving unit to
    accept or return it."""

    kind: str
    capability: str
    describe: Callable[[Person], list[Held]]
    move: Callable[..., None]
    label: Callable[[dict], str]
    order: int = 50
    name: object = ""  # lazily translated name of the kind (the audit viewer's "records handed over")
    # To another city running the platform (xinli.archives.citytransfer), all optional:
    # ``pack(person) -> list[dict]``: the open records of this kind as JSON-safe values for the package;
    # ``unpack(actor, person, unit, rows) -> int``: create them at the receiving instance (in its transaction);
    # ``close(actor, person, reason, on) -> int``: close the sender's open records as moved out on the receipt.
    pack: Callable[[Person], list[dict]] | None = None
    unpack: Callable[..., int] | None = None
    close: Callable[..., int] | None = None


HOLDERS: dict[str, Holder] = {}


def register(holder: Holder) -> None:
    HOLDERS[holder.kind] = holder


def holders() -> list[Holder]:
    return sorted(HOLDERS.values(), key=lambda h: (h.order, h.kind))


def capabilities() -> set[str]:
    """Capabilities that let a user take part in transfers (see them and, over the receiving unit, decide)."""
    return {h.capability for h in HOLDERS.values()} | {ARCHIVES_EDIT}


def kind_names(kinds) -> str:
    """The kinds of a transfer's items in words (the audit viewer shows the codes stored in the entry this way)."""
    if isinstance(kinds, str):
        kinds = [kinds]
    return "、".join(str(HOLDERS[k].name or k) if k in HOLDERS else str(k) for k in kinds or [])


def kind_counts(value) -> str:
    """``{kind: count}`` (a package's records, what a receipt closed) in words: "个性化疏导方案 1、…"."""
    if not isinstance(value, dict):
        return str(value)
    names = {"archives.person": _("archive record")}
    return "、".join(f"{HOLDERS[k].name if k in HOLDERS else names.get(k, k)} {n}" for k, n in value.items())


def item_label(item: TransferItem) -> str:
    holder = HOLDERS.get(item.kind)
    return holder.label(item.detail or {}) if holder else str(_("another kind of record"))


# --- opening ----------------------------------------------------------------------------------------------------

def accept_days(unit: OrgUnit) -> int:
    return int(parameters.parameter(unit, "transfer_accept_days"))


def open_for_move(actor, person: Person, from_unit: OrgUnit, to_unit: OrgUnit) -> Transfer | None:
    """Called by the archive's move (in its transaction) after the person row went to ``to_unit``. A pending transfer
    of the person is cancelled first (moved again before acceptance: its records never left the sender, and the new
    transfer starts from where they are). Returns None when nothing is managed for the person elsewhere."""
    now = timezone.now()
    for old in Transfer.objects.select_for_update().filter(person=person, status=Transfer.Status.PENDING):
        Transfer.objects.filter(pk=old.pk).update(status=Transfer.Status.CANCELLED, decided_at=now, decided_by=_user(actor))
        old.items.filter(status=TransferItem.Status.PENDING).update(status=TransferItem.Status.CANCELLED)
        audit.record(actor, audit.Action.UPDATE, obj=old, person=person, org_path=old.to_path,
                     detail={"status": Transfer.Status.CANCELLED})
    held = [(h, r) for h in holders() for r in h.describe(person) if r.org_path != to_unit.path]
    if not held:
        return None
    transfer = Transfer.objects.create(
        person=person, from_unit=from_unit, to_unit=to_unit, from_path=from_unit.path, to_path=to_unit.path,
        opened_by=_user(actor), opened_at=now, accept_by=timezone.localdate() + datetime.timedelta(days=accept_days(to_unit)))
    TransferItem.objects.bulk_create([TransferItem(transfer=transfer, kind=h.kind, object_id=r.object_id, detail=r.detail,
                                                   from_path=r.org_path, to_path=to_unit.path) for h, r in held])
    audit.record(actor, audit.Action.CREATE, obj=transfer, person=person, org_path=to_unit.path,
                 detail={"from": from_unit.pk, "to": to_unit.pk, "items": sorted({h.kind for h, _r in held})})
    kinds = {h.kind for h, _r in held}
    notices.send(receivers(to_unit, {HOLDERS[k].capability for k in kinds}), "transfer_incoming",
                 {"transfer": transfer.pk, "unit": to_unit.name, "day": transfer.accept_by.isoformat()})
    return transfer


def receivers(unit: OrgUnit, caps: set[str], *, exactly: bool = False) -> list:
    """Who is told about a transfer to ``unit``: for each capability, the active users holding it at the nearest
    unit at or above ``unit`` where someone holds it (``exactly``: at ``unit`` only)."""
    from xinli.accounts.models import Assignment

    ids = [unit.pk] if exactly else unit.ancestor_ids
    rows = list(Assignment.objects.filter(active=True, user__is_active=True, org_unit_id__in=ids).select_related("user"))
    out = {}
    for cap in caps:
        for uid in reversed(ids):
            found = [a.user for a in rows if a.org_unit_id == uid and role_grants(a.role, cap)]
            if found:
                out.update({u.pk: u for u in found})
                break
    return list(out.values())


# --- reading ----------------------------------------------------------------------------------------------------

def _any_scope(user, field: str) -> Q:
    q = Q(pk__in=[])
    for cap in capabilities():
        q |= scope_q(user, cap, field)
    return q


def incoming(user):
    """Transfers to units in the user's area (any capability that takes part in transfers)."""
    return Transfer.objects.filter(_any_scope(user, "to_path")).select_related("person", "from_unit", "to_unit", "escalated_to")


def outgoing(user):
    return Transfer.objects.filter(_any_scope(user, "from_path")).select_related("person", "from_unit", "to_unit", "escalated_to")


def pending_count(user, capability: str | None = None) -> int:
    """Pending transfers the user may decide (items of ``capability``, or of any capability they hold there)."""
    return len(decidable(user, capability))


def decidable(user, capability: str | None = None) -> list[Transfer]:
    caps = [capability] if capability else sorted({h.capability for h in HOLDERS.values()})
    q = Q(pk__in=[])
    for cap in caps:
        kinds = [h.kind for h in HOLDERS.values() if h.capability == cap]
        q |= scope_q(user, cap, "to_path") & Q(items__kind__in=kinds, items__status=TransferItem.Status.PENDING)
    return list(Transfer.objects.filter(q, status=Transfer.Status.PENDING).distinct()
                .select_related("person", "from_unit", "to_unit").order_by("accept_by", "pk")[:200])


def get_transfer(user, pk) -> Transfer:
    """One transfer the user sees (incoming or outgoing); the read of the person is audited."""
    transfer = Transfer.objects.filter(_any_scope(user, "to_path") | _any_scope(user, "from_path")).select_related(
        "person", "from_unit", "to_unit", "escalated_to", "opened_by", "decided_by").get(pk=pk)
    audit.record(user, audit.Action.READ, obj=transfer, person=transfer.person, org_path=transfer.to_path, purpose="transfer")
    return transfer


def record_listing(user, transfers) -> None:
    audit.record_person_reads(user, [t.person for t in transfers], action=audit.Action.SEARCH, purpose="transfer")


def may_decide(user, item: TransferItem) -> bool:
    holder = HOLDERS.get(item.kind)
    return holder is not None and path_in_scope(user, holder.capability, item.to_path)


# --- deciding ---------------------------------------------------------------------------------------------------

def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _locked(transfer: Transfer) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != Transfer.Status.PENDING:
        raise field_error("status", _("Transfer: already decided ({status}); reload the page."), code="conflict",
                          status=locked.get_status_display())
    return locked


def _mine(actor, transfer: Transfer) -> list[TransferItem]:
    items = [i for i in transfer.items.filter(status=TransferItem.Status.PENDING) if may_decide(actor, i)]
    if not items:
        raise PermissionDenied
    return items


def _finish(actor, transfer: Transfer) -> None:
    """Close the transfer once every item is decided: accepted, returned, or partly both."""
    states = set(transfer.items.exclude(status=TransferItem.Status.CANCELLED).values_list("status", flat=True))
    if TransferItem.Status.PENDING in states:
        return
    status = (Transfer.Status.ACCEPTED if states <= {TransferItem.Status.ACCEPTED}
              else Transfer.Status.RETURNED if states == {TransferItem.Status.RETURNED} else Transfer.Status.PARTLY)
    Transfer.objects.filter(pk=transfer.pk).update(status=status, decided_by=_user(actor), decided_at=timezone.now())


def accept(actor, transfer: Transfer) -> Transfer:
    """The receiving unit takes over the records it may take (items whose capability ``actor`` holds over the
    receiving unit): each row changes its responsible unit, its doctor/worker becomes ``actor`` where the holder
    allows it. The transfer is accepted when no item is left pending. Audited; the sender's users are told."""
    with transaction.atomic():
        locked = _locked(transfer)
        items = _mine(actor, locked)
        today = timezone.localdate()
        to_unit = locked.to_unit
        for item in items:
            HOLDERS[item.kind].move(actor, item.object_id, to_unit, actor)
            TransferItem.objects.filter(pk=item.pk).update(status=TransferItem.Status.ACCEPTED, moved_on=today, decided_by=actor)
        _finish(actor, locked)
        locked.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=locked, person=locked.person, org_path=locked.to_path,
                     detail={"accepted": sorted({i.kind for i in items}), "status": locked.status})
        notices.send(receivers(locked.from_unit, {HOLDERS[i.kind].capability for i in items}), "transfer_accepted",
                     {"transfer": locked.pk, "unit": to_unit.name})
    return locked


def return_transfer(actor, transfer: Transfer, *, reason: str) -> Transfer:
    """The receiving unit returns the records it would take, with a required reason (e.g. the person is not found at
    the address): they stay with the sending unit, whose users get an inbox message (the reason is on the transfer
    page, not in the message)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [bilingual(_("Reason: required; say why you return the transfer (e.g. the "
                                                      "person was not found at the address)."))]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [bilingual(_("Reason: too long; at most {n} characters."), n=REASON_MAX)]})
    with transaction.atomic():
        locked = _locked(transfer)
        items = _mine(actor, locked)
        TransferItem.objects.filter(pk__in=[i.pk for i in items]).update(status=TransferItem.Status.RETURNED, decided_by=actor)
        Transfer.objects.filter(pk=locked.pk).update(reason=reason)
        _finish(actor, locked)
        locked.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=locked, person=locked.person, org_path=locked.to_path,
                     detail={"returned": sorted({i.kind for i in items}), "status": locked.status})
        senders = receivers(locked.from_unit, {HOLDERS[i.kind].capability for i in items})
        if locked.opened_by is not None:
            senders.append(locked.opened_by)
        notices.send(senders, "transfer_returned", {"transfer": locked.pk, "unit": locked.to_unit.name})
    return locked


# --- escalation -------------------------------------------------------------------------------------------------

OFFICER_ROLES = (Role.HEALTH_OFFICER,)


def escalate_overdue(today: datetime.date | None = None) -> int:
    """Escalate every pending transfer whose acceptance day has passed: the next unit up from the receiving unit (or
    from where it was escalated last) that has someone to tell — its health officers and the holders of the items'
    capabilities there — is told, and the transfer gets a new acceptance day (``transfer_accept_days`` later). Each
    transfer is claimed with a conditional UPDATE on the day it read, so two sweepers escalate it once. Returns the
    count."""
    today = today or timezone.localdate()
    done = 0
    for t in list(Transfer.objects.filter(status=Transfer.Status.PENDING, accept_by__lt=today)
                  .select_related("to_unit", "escalated_to").order_by("accept_by", "pk")[:1000]):
        caps = {HOLDERS[k].capability for k in t.items.filter(status=TransferItem.Status.PENDING).values_list("kind", flat=True)
                if k in HOLDERS}
        # Escalation starts above the receivers (the nearest unit at or above the receiving unit where someone may
        # accept), then goes on from where it went last; at the top the same officers are reminded again.
        start = t.escalated_to or _receivers_unit(t.to_unit, caps)
        target, people = start, []
        for uid in reversed(start.ancestor_ids[:-1]):
            unit = OrgUnit.objects.get(pk=uid)
            people = _officers(unit, caps)
            if people:
                target = unit
                break
        else:
            people = _officers(start, caps)
        with transaction.atomic():
            claimed = Transfer.objects.filter(pk=t.pk, status=Transfer.Status.PENDING, accept_by=t.accept_by).update(
                escalated_to=target, escalations=t.escalations + 1,
                accept_by=today + datetime.timedelta(days=accept_days(t.to_unit)))
            if claimed != 1:
                continue
            audit.record(None, audit.Action.UPDATE, obj=t, person=t.person, org_path=t.to_path,
                         detail={"escalated_to": target.code, "deadline": t.accept_by.isoformat()})
            notices.send(people, "transfer_escalated", {"transfer": t.pk, "unit": t.to_unit.name, "day": t.accept_by.isoformat()})
        done += 1
    return done


def _receivers_unit(unit: OrgUnit, caps: set[str]) -> OrgUnit:
    from xinli.accounts.models import Assignment

    rows = list(Assignment.objects.filter(active=True, user__is_active=True, org_unit_id__in=unit.ancestor_ids)
                .values_list("org_unit_id", "role"))
    for uid in reversed(unit.ancestor_ids):
        if any(o == uid and role_grants(r, c) for o, r in rows for c in caps):
            return OrgUnit.objects.get(pk=uid)
    return unit


def _officers(unit: OrgUnit, caps: set[str]) -> list:
    from xinli.accounts.models import Assignment

    rows = Assignment.objects.filter(active=True, user__is_active=True, org_unit=unit).select_related("user")
    return list({a.user.pk: a.user for a in rows
                 if a.role in OFFICER_ROLES or any(role_grants(a.role, c) for c in caps)}.values())


# --- indicators: who was responsible at a day --------------------------------------------------------------------

def history(kind: str, prefix: str) -> dict[int, list[tuple[datetime.date, str, str]]]:
    """Accepted moves of ``kind`` rows that left or entered a unit under ``prefix``: ``{object_id: [(moved_on,
    from_path, to_path), ...]}`` in order. Enough to place any row at any day for the units under ``prefix``: a row
    that was under it at some day has a move touching it after that day, or its current path is under it."""
    out: dict[int, list] = {}
    for oid, day, src, dst in (TransferItem.objects.filter(Q(from_path__startswith=prefix) | Q(to_path__startswith=prefix),
                                                           kind=kind, status=TransferItem.Status.ACCEPTED)
                               .order_by("moved_on", "id").values_list("object_id", "moved_on", "from_path", "to_path")):
        out.setdefault(oid, []).append((day, src, dst))
    return out


def at(moves: list[tuple[datetime.date, str, str]], current_path: str, day: datetime.date) -> tuple[str, datetime.date | None]:
    """(path responsible at the end of ``day``, the last move-in day on or before ``day``) from a row's moves."""
    after = [m for m in moves if m[0] > day]
    before = [m for m in moves if m[0] <= day]
    return (after[0][1] if after else current_path), (before[-1][0] if before else None)
