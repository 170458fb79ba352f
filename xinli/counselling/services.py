"""Every write of counselling: cases, sessions with confidential notes, break-the-glass, plans, referrals."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.accounts.models import User
from xinli.archives.validation import check_mobile
from xinli.core import audit, breakglass
from xinli.core.i18n import field_error
from xinli.core.policy import ARCHIVES_EDIT, COUNSELLING_WORK, SMD_FOLLOWUP, SMD_VIEW
from xinli.core.scoping import path_in_scope

from .models import BreakGlass, Case, Plan, Referral, Session

BREAK_GLASS_HOURS = breakglass.HOURS


def open_case(actor, person, *, reason: str, supervisor=None, site=None) -> Case:
    if not path_in_scope(actor, COUNSELLING_WORK, person.org_path):
        raise PermissionDenied
    if not (reason or "").strip():
        raise field_error("reason", _("Reason: say why the person came for counselling."))
    with transaction.atomic():
        case = Case(person=person, counsellor=actor, supervisor=supervisor, site=site, reason=reason.strip()).place_under(person)
        case.save()
        audit.record(actor, audit.Action.CREATE, obj=case, person=person)
    return case


def add_session(actor, case: Case, *, date: datetime.date, minutes: int, notes: str = "", assessment=None,
                signs_of_disorder: bool = False) -> tuple[Session, bool]:
    """``assessment``: an outcome measure (an instrument administered to the same person) attached to the session."""
    """Record a session (counsellor of the case only). Returns the session and whether to prompt a referral: a
    counsellor who records signs of a mental disorder must refer (Mental Health Law art. 23)."""
    if case.counsellor_id != actor.pk:
        raise PermissionDenied
    if case.state != Case.State.OPEN:
        raise field_error("case", _("Case: closed; open a new case for new sessions."))
    if date is None or date > timezone.localdate() or date < timezone.localtime(case.opened_at).date():
        raise field_error("date", _("Date: between the opening of the case and today."))
    if not isinstance(minutes, int) or not 5 <= minutes <= 240:
        raise field_error("minutes", _("Minutes: from 5 to 240."))
    if assessment is not None and assessment.person_id != case.person_id:
        raise field_error("assessment", _("Outcome measure: must be an assessment of the same person."))
    with transaction.atomic():
        session = Session.objects.create(case=case, date=date, minutes=minutes, notes=(notes or "").strip(), assessment=assessment,
                                         signs_of_disorder=signs_of_disorder, created_by=actor, county_code=case.county_code)
        audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, detail={"session": session.pk})
    prompt = signs_of_disorder and not Referral.objects.filter(person=case.person, sent_at__gte=case.opened_at).exists()
    return session, prompt


def close_case(actor, case: Case, *, summary: str) -> Case:
    if case.counsellor_id != actor.pk:
        raise PermissionDenied
    if not (summary or "").strip():
        raise field_error("summary", _("Closing summary: required."))
    with transaction.atomic():
        if Case.objects.filter(pk=case.pk, state=Case.State.OPEN).update(state=Case.State.CLOSED, closed_at=timezone.now()) != 1:
            raise field_error("case", _("Case: already closed."))
        case.refresh_from_db()
        case.closing_summary = summary.strip()
        case.save(update_fields=["closing_summary"])
        audit.record(actor, audit.Action.UPDATE, obj=case, person=case.person, detail={"state": "closed"})
    return case


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def record_closed_case(actor, person, *, counsellor, reason: str, opened_on: datetime.date, closed_on: datetime.date,
                       summary: str) -> Case:
    """A closed case of the person's history brought from another system (bulk import): no sessions and no notes,
    only who counselled, when, why and how it ended. Who may call: holders of ``counselling.work`` or
    ``archives.edit`` over the person; the counsellor must be an active user who counsels persons of that area."""
    if not (path_in_scope(actor, COUNSELLING_WORK, person.org_path) or path_in_scope(actor, ARCHIVES_EDIT, person.org_path)):
        raise PermissionDenied
    errors: dict[str, list] = {}

    def add(exc: ValidationError) -> None:
        for k, v in exc.message_dict.items():
            errors.setdefault(k, []).extend(v)

    if counsellor is None or not counsellor.is_active or not path_in_scope(counsellor, COUNSELLING_WORK, person.org_path):
        add(field_error("counsellor", _("Counsellor: give the user name of a counsellor who works in the person's area.")))
    if not (reason or "").strip():
        add(field_error("reason", _("Reason: say why the person came for counselling.")))
    if not (summary or "").strip():
        add(field_error("summary", _("Closing summary: required.")))
    today = timezone.localdate()
    if opened_on is None or opened_on > today:
        add(field_error("opened_on", _("Opened: the day the case was opened, not in the future.")))
    elif closed_on is None or closed_on > today or closed_on < opened_on:
        add(field_error("closed_on", _("Closed: the day the case was closed, between its opening and today.")))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case(person=person, counsellor=counsellor, reason=reason.strip(), state=Case.State.CLOSED,
                    opened_at=_start_of(opened_on), closed_at=_start_of(closed_on),
                    closing_summary=summary.strip()).place_under(person)
        case.save()
        audit.record(actor, audit.Action.CREATE, obj=case, person=person, detail={"imported": True, "state": "closed"})
    return case


def can_read_notes(user, case: Case) -> bool:
    if user.pk in (case.counsellor_id, case.supervisor_id):
        return True
    return breakglass.active(BreakGlass.objects.filter(case=case, user=user)).exists()


def break_glass(actor, case: Case, *, reason: str) -> BreakGlass:
    """Time-limited access to the notes for someone else who works with persons in the area, with a stated reason."""
    if not path_in_scope(actor, COUNSELLING_WORK, case.org_path):
        raise PermissionDenied
    return breakglass.open_grant(actor, BreakGlass, obj=case, person=case.person, reason=reason, case=case,
                                 county_code=case.county_code)


# --- personalised plans -----------------------------------------------------------------------------------------

def create_plan(actor, person, *, goals: str, interventions: str, review_on: datetime.date, partners=(), worker=None,
                imported: bool = False, started_on: datetime.date | None = None) -> Plan:
    """``imported``: a plan of the person's history brought from another system (bulk import): it started on
    ``started_on`` (not in the future) and its review date may have passed (an overdue review, or a plan closed since)."""
    if not (path_in_scope(actor, COUNSELLING_WORK, person.org_path) or path_in_scope(actor, ARCHIVES_EDIT, person.org_path)):
        raise PermissionDenied
    if not person.tags.filter(until__isnull=True).exists():
        raise field_error("person", _("Person: a personalised plan is for a person with a special-population tag; add the tag first."))
    if not (goals or "").strip() or not (interventions or "").strip():
        raise field_error("goals", _("Goals and interventions: both are required."))
    if imported:
        if started_on is None or started_on > timezone.localdate():
            raise field_error("started_on", _("Start date: the day the plan started, not in the future."))
        if review_on is None or review_on < started_on:
            raise field_error("review_on", _("Review on: a date not before the start of the plan."))
    elif review_on is None or review_on <= timezone.localdate():
        raise field_error("review_on", _("Review on: a date after today."))
    bad = [p for p in partners if p not in ("government", "social", "family")]
    if bad:
        raise field_error("partners", _("Partners: government, social and/or family."))
    try:
        with transaction.atomic():
            plan = Plan(person=person, goals=goals.strip(), interventions=interventions.strip(), partners=list(partners),
                        worker=worker or actor, review_on=review_on).place_under(person)
            if imported:
                plan.created_at = _start_of(started_on)
            plan.save()
            audit.record(actor, audit.Action.CREATE, obj=plan, person=person, detail={"imported": True} if imported else None)
    except IntegrityError:
        raise field_error("person", _("Person: already has an active plan; review or close it first.")) from None
    return plan


def review_plan(actor, plan: Plan, *, next_review: datetime.date | None = None, close: bool = False, note: str = "") -> Plan:
    """A plan review: either the next review date or closing the plan."""
    if not (path_in_scope(actor, COUNSELLING_WORK, plan.org_path) or path_in_scope(actor, ARCHIVES_EDIT, plan.org_path)):
        raise PermissionDenied
    if plan.state != Plan.State.ACTIVE:
        raise field_error("state", _("Plan: already closed."))
    if not close and (next_review is None or next_review <= timezone.localdate()):
        raise field_error("review_on", _("Review on: a date after today."))
    with transaction.atomic():
        if close:
            plan.state, plan.closed_at = Plan.State.CLOSED, timezone.now()
        else:
            plan.review_on = next_review
        plan.save(update_fields=["state", "closed_at", "review_on"])
        audit.record(actor, audit.Action.UPDATE, obj=plan, person=plan.person, detail={"closed": close, "note": (note or "")[:100]})
    return plan


def plan_review_reminders(today: datetime.date | None = None) -> int:
    """Tell each responsible worker about their plans due for review within 3 days or overdue, once a day. The
    worker's plans are claimed with one conditional UPDATE (``reminded_on`` not yet today) in the transaction that
    writes the message, as the alert sweeper claims alerts: a second worker racing finds nothing left to claim and
    sends nothing. Returns the number of workers told."""
    from xinli.alerts.services import notify

    today = today or timezone.localdate()
    due = (Plan.objects.filter(state=Plan.State.ACTIVE, review_on__lte=today + datetime.timedelta(days=3))
           .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today)))
    told = 0
    for worker in User.objects.filter(pk__in=due.values("worker_id")).order_by("pk"):
        with transaction.atomic():
            claimed = due.filter(worker=worker).update(reminded_on=today)
            if claimed:
                notify([worker], "plans_due", params={"count": claimed})
                told += 1
    return told


# --- referrals ------------------------------------------------------------------------------------------------------

def refer(actor, person, *, institution, reason: str, urgency: str = "routine", documents: str = "", back: bool = False) -> Referral:
    if not (path_in_scope(actor, COUNSELLING_WORK, person.org_path) or path_in_scope(actor, SMD_FOLLOWUP, person.org_path)
            or (back and path_in_scope(actor, SMD_VIEW, institution.org_path))):
        raise PermissionDenied
    if not (reason or "").strip():
        raise field_error("reason", _("Reason: say why the person is referred."))
    if urgency not in Referral.Urgency.values:
        raise field_error("urgency", _("Urgency: routine or urgent."))
    with transaction.atomic():
        ref = Referral(person=person, to_institution=institution, back=back, reason=reason.strip(), documents=documents,
                       urgency=urgency, sent_by=actor, to_path=institution.org_path).place_under(person)
        ref.save()
        audit.record(actor, audit.Action.CREATE, obj=ref, person=person, detail={"to": institution.pk, "urgency": urgency, "back": back})
    return ref


def _receiver(actor, ref: Referral) -> bool:
    return path_in_scope(actor, SMD_VIEW, ref.to_path) or path_in_scope(actor, COUNSELLING_WORK, ref.to_path)


def receive(actor, ref: Referral) -> Referral:
    if not _receiver(actor, ref):
        raise PermissionDenied
    with transaction.atomic():
        if Referral.objects.filter(pk=ref.pk, state=Referral.State.SENT).update(state=Referral.State.RECEIVED, received_at=timezone.now(),
                                                                               received_by=actor) != 1:
            raise field_error("state", _("Referral: already received."))
        ref.refresh_from_db()
        audit.record(actor, audit.Action.UPDATE, obj=ref, person=ref.person, detail={"state": "received"})
    return ref


def reply(actor, ref: Referral, *, text: str) -> Referral:
    if not _receiver(actor, ref):
        raise PermissionDenied
    if not (text or "").strip():
        raise field_error("reply", _("Reply: write the outcome (diagnosis, treatment, advice for the community)."))
    with transaction.atomic():
        if Referral.objects.filter(pk=ref.pk, state=Referral.State.RECEIVED).update(state=Referral.State.REPLIED, replied_at=timezone.now()) != 1:
            raise field_error("state", _("Referral: receive it before replying."))
        ref.refresh_from_db()
        ref.reply = text.strip()
        ref.save(update_fields=["reply"])
        audit.record(actor, audit.Action.UPDATE, obj=ref, person=ref.person, detail={"state": "replied"})
    return ref


# --- appointments ---------------------------------------------------------------------------------------------------

def _site_open(site, day) -> bool:
    return site.status_on(day) == "active"


def add_slots(actor, site, *, starts: list, minutes: int = 50) -> list:
    """Counsellors publish their own slots at an open site of their area."""
    from .models import Slot

    if not path_in_scope(actor, COUNSELLING_WORK, site.org_path):
        raise PermissionDenied
    now = timezone.now()
    if any(s <= now for s in starts):
        raise field_error("starts", _("Slots: only in the future."))
    if any(not _site_open(site, timezone.localtime(s).date()) for s in starts):
        raise field_error("site", _("Site: not open on that day."))
    outside = [s for s in starts if not site.within_hours(s, minutes)]
    if outside:
        raise field_error("starts", _("Slots: {when} is outside the site's opening hours ({hours}); choose a time within them."),
                          when=timezone.localtime(outside[0]).strftime("%Y-%m-%d %H:%M"), hours=site.hours)
    try:
        with transaction.atomic():
            slots = [Slot.objects.create(site=site, counsellor=actor, starts_at=s, minutes=minutes, org_path=site.org_path) for s in starts]
            audit.record(actor, audit.Action.CREATE, object_type="counselling.slot", object_id=str(site.pk), org_path=site.org_path,
                         detail={"slots": len(slots)})
    except IntegrityError:
        raise field_error("starts", _("Slots: you already have a slot at that time.")) from None
    return slots


def book(slot, *, name: str, phone: str, person=None, actor=None, account=None):
    """Book a slot (a resident from the portal, or staff for a person). Past slots, closed sites and taken slots are
    refused; the partial unique index makes a double booking impossible even when two people click at once."""
    import secrets

    from .models import Booking

    if not (name or "").strip() and person is None:
        raise field_error("name", _("Name: how should the counsellor call you?"))
    if not (phone or "").strip() and person is None:
        raise field_error("phone", _("Phone: the counsellor needs a way to reach you if the time changes."))
    if person is None:
        phone = check_mobile(phone)
    if slot.starts_at <= timezone.now():
        raise field_error("slot", _("Slot: already past; choose another time."))
    if not _site_open(slot.site, timezone.localtime(slot.starts_at).date()) or not slot.site.within_hours(slot.starts_at, slot.minutes):
        raise field_error("slot", _("Slot: the site is closed then; choose another site or time."))
    try:
        with transaction.atomic():
            booking = Booking(slot=slot, person=person, account=account, name=(name or "").strip()[:50],
                              phone=(phone or "").strip()[:20],
                              reference=secrets.token_hex(4).upper()).place_under(slot.site.org_unit)
            booking.save()
            audit.record(actor, audit.Action.CREATE, obj=booking, person=person, org_path=slot.org_path)
    except IntegrityError:
        raise field_error("slot", _("Slot: just taken by someone else; choose another time.")) from None
    return booking


def cancel(booking, *, reference: str = "", actor=None):
    """Cancel by the resident (with the booking reference) or by the counsellor; frees the slot and offers it to the
    first person on the site's waiting list."""
    from .models import Booking

    if actor is None and reference.strip().upper() != booking.reference:
        raise field_error("reference", _("Booking reference: does not match."))
    if actor is not None and not path_in_scope(actor, COUNSELLING_WORK, booking.org_path):
        raise PermissionDenied
    with transaction.atomic():
        if Booking.objects.filter(pk=booking.pk, state=Booking.State.BOOKED).update(state=Booking.State.CANCELLED) != 1:
            raise field_error("state", _("Booking: not active."))
        audit.record(actor, audit.Action.UPDATE, obj=booking, person=booking.person, org_path=booking.org_path, detail={"state": "cancelled"})
        _offer_to_waiting_list(booking.slot)
    booking.refresh_from_db()
    return booking


def _offer_to_waiting_list(slot):
    from .models import WaitingListEntry

    entry = WaitingListEntry.objects.filter(site=slot.site, offered__isnull=True).order_by("created_at", "pk").first()
    if entry is None or slot.starts_at <= timezone.now():
        return None
    try:
        booking = book(slot, name=entry.name, phone=entry.phone)
    except ValidationError:  # an entry from before mobile numbers were checked, or a slot now outside the hours
        return None
    entry.offered = booking
    entry.save(update_fields=["offered"])
    return booking


def join_waiting_list(site, *, name: str, phone: str):
    from .models import WaitingListEntry

    if not (name or "").strip() or not (phone or "").strip():
        raise field_error("phone", _("Name and phone: both are needed to offer you a freed time."))
    phone = check_mobile(phone)
    entry = WaitingListEntry(site=site, name=name.strip()[:50], phone=phone).place_under(site.org_unit)
    entry.save()
    return entry


def mark_booking(actor, booking, *, state: str):
    """The counsellor records attended or no-show."""
    from .models import Booking

    if booking.slot.counsellor_id != actor.pk:
        raise PermissionDenied
    if state not in (Booking.State.ATTENDED, Booking.State.NO_SHOW):
        raise field_error("state", _("State: attended or no-show."))
    if booking.slot.starts_at > timezone.now():
        raise field_error("state", _("State: the appointment has not happened yet."))
    Booking.objects.filter(pk=booking.pk, state=Booking.State.BOOKED).update(state=state)
    booking.refresh_from_db()
    audit.record(actor, audit.Action.UPDATE, obj=booking, person=booking.person, org_path=booking.org_path, detail={"state": state})
    return booking


def send_reminders(now=None) -> int:
    """Remind counsellors of tomorrow's appointments once (inbox; the resident gets the reference on booking). Each
    booking is claimed with a conditional UPDATE (``reminded`` still false) in the transaction that writes the
    message, as the alert sweeper claims alerts: of two workers racing, one sends it."""
    import datetime as dt

    from xinli.alerts.services import notify

    from .models import Booking

    now = now or timezone.now()
    due = Booking.objects.filter(state=Booking.State.BOOKED, reminded=False, slot__starts_at__gt=now,
                                 slot__starts_at__lte=now + dt.timedelta(hours=24)).select_related("slot__counsellor")
    n = 0
    for b in due:
        with transaction.atomic():
            if Booking.objects.filter(pk=b.pk, state=Booking.State.BOOKED, reminded=False).update(reminded=True) != 1:
                continue  # another worker reminded it, or it was cancelled meanwhile
            notify([b.slot.counsellor], "appointment", params={"booking": b.reference, "when": timezone.localtime(b.slot.starts_at).strftime("%m-%d %H:%M")})
        n += 1
    return n
