"""Every write about alerts and notifications: raising (with merging), the lifecycle, escalation, and delivery.

Transitions are conditional UPDATEs on the state (and, for escalation, on the deadline being claimed), so an
acknowledgement racing a sweeper, or two sweepers racing each other, change an alert exactly once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from xinli.core import audit
from xinli.core.i18n import choice_list, field_error
from xinli.core.policy import ALERTS_REPORT
from xinli.core.scoping import has_capability, path_in_scope
from xinli.regions.models import OrgUnit

from . import summaries, texts
from .channels import CHANNELS, enabled_channels
from .deadlines import deadlines, team_members, team_unit
from .models import (
    LEVEL_RANK,
    OPEN_STATES,
    WAITING_STATES,
    Alert,
    AlertEvent,
    Delivery,
    Level,
    Notification,
    Outcome,
    Source,
    State,
)

log = logging.getLogger("xinli.alerts")


@dataclass
class Signal:
    """One reason to alert, produced by a rule (``xinli.alerts.rules``) or reported by a worker."""

    level: str
    source: str
    cause: str
    summary: str  # free text (a worker's report); a rule leaves it empty and gives summary_code + summary_params
    org_unit: OrgUnit
    person: object = None
    assessment: object = None
    campaign: object = None
    participant: object = None
    reported_by: object = None
    extra_recipients: list = field(default_factory=list)
    subject: str = ""  # merging key when there is no person or participant (e.g. a caller's number index)
    summary_code: str = ""  # xinli.alerts.summaries: rendered in the reader's language when read
    summary_params: dict = field(default_factory=dict)

    @property
    def subject_key(self) -> str:
        if self.person is not None:
            return f"person:{self.person.pk}"
        if self.participant is not None:
            return f"participant:{self.participant.pk}"
        if self.subject:
            return self.subject[:40]
        return f"alert:{uuid.uuid4().hex}"  # no known subject: never merged


def raise_alert(signal: Signal, *, actor=None) -> Alert:
    """Create the alert for ``signal`` — or merge it into the open alert for the same subject and cause (raising its
    level when the new signal is more urgent) — and notify the responsible team, in the caller's transaction."""
    key = signal.subject_key
    with transaction.atomic():
        existing = Alert.objects.select_for_update().filter(subject_key=key, cause=signal.cause, state__in=OPEN_STATES).first()
        if existing is None:
            try:
                with transaction.atomic():
                    return _create(signal, key, actor)
            except IntegrityError:
                # A concurrent signal for the same subject and cause created it first: merge into that one.
                existing = Alert.objects.select_for_update().get(subject_key=key, cause=signal.cause, state__in=OPEN_STATES)
        return _merge(existing, signal, actor)


def raise_one(signals: list[Signal], *, actor=None) -> Alert | None:
    """One event, one alert: ``signals`` are the reasons one result (one assessment) gives to alert — e.g. PHQ-9 item
    9 and a severe band. The most urgent signal (the first of equally urgent ones: rules are ordered, a critical item
    before a band) is raised — created, or merged into the open alert of its subject and cause — and the others are
    recorded on that same alert as merged signals, so the team gets one alert and one notification. Returns the alert,
    or None when there is no signal."""
    if not signals:
        return None
    ordered = sorted(signals, key=lambda s: LEVEL_RANK[Level(s.level)])  # stable: rule order breaks ties
    with transaction.atomic():
        alert = raise_alert(ordered[0], actor=actor)
        for signal in ordered[1:]:
            alert = _merge(Alert.objects.select_for_update().get(pk=alert.pk), signal, actor)
    return alert


def _create(signal: Signal, key: str, actor) -> Alert:
    now = timezone.now()
    owner = team_unit(signal.org_unit) or signal.org_unit
    ack, contact = deadlines(signal.level, owner)
    alert = Alert(
        level=signal.level, source=signal.source, cause=signal.cause[:60], person=signal.person,
        summary=summaries.render(signal.summary_code, signal.summary_params, signal.summary, "en"),
        summary_code=signal.summary_code, summary_params=signal.summary_params,
        assessment=signal.assessment, campaign=signal.campaign, participant=signal.participant, subject_key=key,
        org_unit=signal.org_unit, owner_unit=owner, created_at=now, ack_due_at=now + ack, contact_due_at=now + contact, last_signal_at=now,
        reported_by=signal.reported_by if getattr(signal.reported_by, "pk", None) else None,
    ).place_under(signal.org_unit)
    alert.save()
    AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.RAISED, at=now, actor=_user(actor), to_unit=owner,
                              county_code=alert.county_code,
                              detail={"source": signal.source, "level": signal.level})
    audit.record(actor, audit.Action.CREATE, obj=alert, person=signal.person, org_path=alert.org_path,
                 detail={"level": alert.level, "source": alert.source, "cause": alert.cause})
    notify(team_members(owner) + list(signal.extra_recipients), "alert_raised", alert)
    return alert


def _merge(alert: Alert, signal: Signal, actor) -> Alert:
    now = timezone.now()
    upgraded = LEVEL_RANK[Level(signal.level)] < LEVEL_RANK[Level(alert.level)]
    changes = {"merged": F("merged") + 1, "last_signal_at": now}
    if upgraded:
        ack, contact = deadlines(signal.level, alert.owner_unit)
        changes.update(level=signal.level, ack_due_at=min(alert.ack_due_at, now + ack),
                       contact_due_at=min(alert.contact_due_at, now + contact))
    Alert.objects.filter(pk=alert.pk).update(**changes)
    alert.refresh_from_db()
    detail = {"source": signal.source, "level": signal.level, "upgraded": upgraded}
    if signal.assessment is not None:  # the result page finds the alert its result went to
        detail["assessment"] = signal.assessment.pk
    AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.MERGED, at=now, actor=_user(actor), county_code=alert.county_code,
                              detail=detail)
    audit.record(actor, audit.Action.UPDATE, obj=alert, person=alert.person, org_path=alert.org_path,
                 detail={"merged": signal.source, "level": alert.level})
    if upgraded:
        notify(team_members(alert.owner_unit), "alert_upgraded", alert)
    return alert


def report(actor, *, level: str, summary: str, person=None, org_unit=None, emergency: bool = False) -> Alert:
    """A worker reports a risk by hand (``alerts.report`` over the person's or unit's place in the tree)."""
    if not summary or not summary.strip():
        raise field_error("summary", _("Summary: describe what you saw or heard; it is required."))
    if person is None and org_unit is None:
        raise field_error("org_unit", _("Org unit: give the person or the org unit where the risk is."))
    if not has_capability(actor, ALERTS_REPORT):
        raise PermissionDenied
    unit = person.org_unit if person is not None else org_unit
    if not path_in_scope(actor, ALERTS_REPORT, unit.path):
        # Outside the reporter's area: the same answer as an unknown id, naming the field (no 403 with details).
        if person is not None:
            raise field_error("person", _("Person: not found in your area; check the person id."))
        raise field_error("org_unit", _("Org unit: not found in your area; check the org unit id."))
    if emergency:
        level = Level.RED
    return raise_alert(Signal(level=level, source=Source.EMERGENCY if emergency else Source.MANUAL,
                              cause="emergency" if emergency else "manual", summary=summary.strip(), org_unit=unit,
                              person=person, reported_by=actor), actor=actor)


# --- lifecycle ---------------------------------------------------------------------------------------------------

def _locked(actor, pk) -> Alert:
    """The alert if ``actor`` may work on it (``alerts.work`` over its place in the tree); 404 otherwise."""
    from .selectors import workable_alerts

    return workable_alerts(actor).select_for_update().get(pk=pk)


def _transition(actor, alert: Alert, allowed, kind, message, **changes) -> Alert:
    now = timezone.now()
    if Alert.objects.filter(pk=alert.pk, state__in=allowed).update(**changes) != 1:
        raise field_error("state", message, state=alert.get_state_display())
    alert.refresh_from_db()
    AlertEvent.objects.create(alert=alert, kind=kind, at=now, actor=_user(actor), detail={"state": alert.state},
                              county_code=alert.county_code)
    audit.record(actor, audit.Action.UPDATE, obj=alert, person=alert.person, org_path=alert.org_path,
                 detail={"state": alert.state, **({"outcome": alert.outcome} if alert.outcome else {})})
    return alert


def acknowledge(actor, pk) -> Alert:
    """Take the alert on (``alerts.work`` over it). The acknowledger's own messages about the alert are marked read:
    they have acted on them, so the inbox badge no longer counts them."""
    with transaction.atomic():
        alert = _locked(actor, pk)
        now = timezone.now()
        alert = _transition(actor, alert, WAITING_STATES, AlertEvent.Kind.ACKNOWLEDGED,
                            _("State: the alert is {state}, it can no longer be acknowledged."),
                            state=State.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now)
        Notification.objects.filter(recipient=actor, alert=alert, read_at__isnull=True).update(read_at=now)
        return alert


def start_intervention(actor, pk) -> Alert:
    with transaction.atomic():
        alert = _locked(actor, pk)
        return _transition(actor, alert, (State.ACKNOWLEDGED,), AlertEvent.Kind.INTERVENTION,
                           _("State: the alert is {state}; acknowledge it before starting an intervention."),
                           state=State.IN_INTERVENTION, intervention_at=timezone.now())


def close(actor, pk, *, outcome: str, note: str = "") -> Alert:
    if outcome not in Outcome.values:
        raise field_error("outcome", _("Outcome: required to close an alert; choose one of {choices}."),
                          choices=choice_list(Outcome))
    with transaction.atomic():
        alert = _locked(actor, pk)
        now = timezone.now()
        alert = _transition(actor, alert, (State.ACKNOWLEDGED, State.IN_INTERVENTION), AlertEvent.Kind.CLOSED,
                            _("State: the alert is {state}; acknowledge it before closing it."),
                            state=State.CLOSED, closed_by=actor, closed_at=now, outcome=outcome)
        if note:
            alert.outcome_note = note
            alert.save(update_fields=["outcome_note"])
        return alert


# --- escalation ---------------------------------------------------------------------------------------------------

def escalate_overdue(now=None, *, batch: int = 500, max_alerts: int = 100_000) -> int:
    """Escalate every alert whose acknowledgement deadline has passed: ownership moves to the next unit up that has a
    crisis team (or stays at the top, which is reminded again), a new deadline is set and the team is notified.

    Each alert is claimed with a conditional UPDATE on its state *and the deadline being escalated*, in its own
    transaction: two sweepers never escalate an alert twice for one deadline, and a sweeper killed midway leaves
    every alert either escalated (committed) or still overdue (picked up by the next run). One sweep escalates an
    alert at most once, even if its new deadline has already passed (it waits for the next sweep). Returns the count.
    """
    now = now or timezone.now()
    done = 0
    next_team: dict[int, OrgUnit] = {}
    due_by: dict[tuple[str, int], object] = {}
    members: dict[int, list] = {}  # per sweep: team look-ups are the same for every alert of a unit
    escalated: set[int] = set()  # this sweep's escalations: each alert at most once per sweep
    while done < max_alerts:
        # An alert escalated by this sweep carries last_escalated_at == now: never take it again in the same sweep.
        rows = list(Alert.objects.filter(state__in=WAITING_STATES, ack_due_at__lte=now)
                    .filter(Q(last_escalated_at__isnull=True) | ~Q(last_escalated_at=now))
                    .order_by("ack_due_at", "pk").values_list("pk", "ack_due_at", "owner_unit_id", "level")[:batch])
        if not rows:
            break
        if all(pk in escalated for pk, *_ in rows):
            break  # only alerts this sweep already escalated are left
        claimed_any = False
        for pk, due_at, owner_id, level in rows:
            if pk in escalated:
                continue
            if owner_id not in next_team:
                owner = OrgUnit.objects.get(pk=owner_id)
                next_team[owner_id] = team_unit(owner, above=True) or owner
            target = next_team[owner_id]
            if (level, target.pk) not in due_by:
                due_by[(level, target.pk)] = deadlines(level, target)[0]
            if target.pk not in members:
                members[target.pk] = team_members(target)
            with transaction.atomic():
                claimed = Alert.objects.filter(pk=pk, state__in=WAITING_STATES, ack_due_at=due_at).update(
                    owner_unit=target, state=State.ESCALATED, ack_due_at=now + due_by[(level, target.pk)],
                    escalations=F("escalations") + 1, last_escalated_at=now)
                if claimed != 1:
                    continue  # acknowledged meanwhile, or another sweeper escalated this deadline
                alert = Alert.objects.select_related("person", "owner_unit").get(pk=pk)
                AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.ESCALATED, at=now, from_unit_id=owner_id,
                                          to_unit=target, detail={"deadline": due_at.isoformat()},
                                          county_code=alert.county_code)
                audit.record(None, audit.Action.UPDATE, obj=alert, person=alert.person, org_path=alert.org_path,
                             detail={"escalated_to": target.code, "deadline": due_at.isoformat()})
                notify(members[target.pk], "alert_escalated", alert)
            escalated.add(pk)
            claimed_any = True
            done += 1
        if not claimed_any and len(rows) < batch:
            break
    return done


# --- notifications ------------------------------------------------------------------------------------------------

def notify(users, kind: str, alert: Alert | None = None, params: dict | None = None) -> list[Notification]:
    """An inbox message to each user, and one delivery per outside channel the user has an address for. Deliveries
    are sent by a task after the transaction commits; a failing channel never undoes or blocks the caller."""
    params = dict(params or {})
    if alert is not None:
        params.update(alert=alert.pk, level=alert.level, unit=alert.owner_unit.name, due=alert.ack_due_at.isoformat())
    seen, notes = set(), []
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        notes.append(Notification(recipient=user, kind=kind, params=params, alert=alert))
    Notification.objects.bulk_create(notes)
    deliveries = []
    for note in notes:
        for channel in enabled_channels():
            if channel.address(note.recipient):
                deliveries.append(Delivery(notification=note, channel=channel.name,
                                           org_path=alert.org_path if alert is not None else ""))
    Delivery.objects.bulk_create(deliveries)
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: enqueue_deliveries(ids))
    return notes


def enqueue_deliveries(ids) -> None:
    """Queue the sending tasks. If the queue is down the deliveries stay pending and the periodic retry picks them
    up; nothing propagates to the request that raised the alert."""
    from .tasks import send_delivery

    for pk in ids:
        try:
            send_delivery(pk)
        except Exception:  # noqa: BLE001 — the queue being down must not fail the caller
            log.exception("could not queue delivery %s; it stays pending", pk)


def deliver(pk: int, *, final: bool) -> Delivery:
    """Send one delivery through its channel. On failure records the error (``failed`` when no retry is left) and
    re-raises so that the task is retried."""
    d = Delivery.objects.select_related("notification__recipient").get(pk=pk)
    if d.status == Delivery.Status.SENT:
        return d
    note = d.notification
    channel = CHANNELS[d.channel]
    try:
        with override(settings.LANGUAGE_CODE):  # outside channels speak the platform's language (Chinese)
            channel.send(channel.address(note.recipient) or "", texts.subject(), texts.render(note.kind, note.params))
    except Exception as exc:
        Delivery.objects.filter(pk=pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:300],
            status=Delivery.Status.FAILED if final else Delivery.Status.RETRYING)
        raise
    Delivery.objects.filter(pk=pk).update(attempts=F("attempts") + 1, status=Delivery.Status.SENT, sent_at=timezone.now(),
                                          last_error="")
    d.refresh_from_db()
    return d


def mark_read(user, pk) -> Notification:
    note = Notification.objects.get(pk=pk, recipient=user)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def _user(actor):
    return actor if getattr(actor, "pk", None) else None
