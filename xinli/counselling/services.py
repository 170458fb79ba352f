"""Every write of counselling: cases, sessions with confidential notes, break-the-glass, plans, referrals."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.accounts.policy import ARCHIVES_EDIT, COUNSELLING_WORK, SMD_FOLLOWUP, SMD_VIEW
from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.scoping import path_in_scope

from .models import BreakGlass, Case, Plan, Referral, Session

BREAK_GLASS_HOURS = 4


def open_case(actor, person, *, reason: str, supervisor=None, site=None) -> Case:
    if not path_in_scope(actor, COUNSELLING_WORK, person.org_path):
        raise PermissionDenied
    if not (reason or "").strip():
        raise field_error("reason", _("Reason: say why the person came for counselling."))
    with transaction.atomic():
        case = Case.objects.create(person=person, counsellor=actor, supervisor=supervisor, site=site, reason=reason.strip(), org_path=person.org_path)
        audit.record(actor, audit.Action.CREATE, obj=case, person=person)
    return case


def add_session(actor, case: Case, *, date: datetime.date, minutes: int, notes: str, assessment=None,
                signs_of_disorder: bool = False) -> tuple[Session, bool]:
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
    with transaction.atomic():
        session = Session.objects.create(case=case, date=date, minutes=minutes, notes=(notes or "").strip(), assessment=assessment,
                                         signs_of_disorder=signs_of_disorder, created_by=actor)
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


def can_read_notes(user, case: Case) -> bool:
    if user.pk in (case.counsellor_id, case.supervisor_id):
        return True
    return BreakGlass.objects.filter(case=case, user=user, expires_at__gt=timezone.now()).exists()


def break_glass(actor, case: Case, *, reason: str) -> BreakGlass:
    """Time-limited access to the notes for someone else who works with persons in the area, with a stated reason."""
    if not path_in_scope(actor, COUNSELLING_WORK, case.org_path):
        raise PermissionDenied
    if len((reason or "").strip()) < 10:
        raise field_error("reason", _("Reason: explain the emergency (at least 10 characters); it is recorded."))
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlass.objects.create(case=case, user=actor, reason=reason.strip()[:300], granted_at=now,
                                          expires_at=now + datetime.timedelta(hours=BREAK_GLASS_HOURS))
        audit.record(actor, audit.Action.BREAK_GLASS, obj=case, person=case.person, purpose=reason.strip()[:60],
                     detail={"expires_at": grant.expires_at.isoformat()})
    return grant


# --- personalised plans -----------------------------------------------------------------------------------------

def create_plan(actor, person, *, goals: str, interventions: str, review_on: datetime.date, partners=(), worker=None) -> Plan:
    if not (path_in_scope(actor, COUNSELLING_WORK, person.org_path) or path_in_scope(actor, ARCHIVES_EDIT, person.org_path)):
        raise PermissionDenied
    if not person.tags.filter(until__isnull=True).exists():
        raise field_error("person", _("Person: a personalised plan is for a person with a special-population tag; add the tag first."))
    if not (goals or "").strip() or not (interventions or "").strip():
        raise field_error("goals", _("Goals and interventions: both are required."))
    if review_on is None or review_on <= timezone.localdate():
        raise field_error("review_on", _("Review on: a date after today."))
    bad = [p for p in partners if p not in ("government", "social", "family")]
    if bad:
        raise field_error("partners", _("Partners: government, social and/or family."))
    try:
        with transaction.atomic():
            plan = Plan.objects.create(person=person, goals=goals.strip(), interventions=interventions.strip(), partners=list(partners),
                                       worker=worker or actor, review_on=review_on, org_path=person.org_path)
            audit.record(actor, audit.Action.CREATE, obj=plan, person=person)
    except IntegrityError:
        raise field_error("person", _("Person: already has an active plan; review or close it first.")) from None
    return plan


def plan_coverage(unit) -> tuple[int, int]:
    """T09: persons with an active special-population tag who have an active plan ÷ those persons."""
    from xinli.archives.models import Person

    tagged = Person.objects.filter(org_path__startswith=unit.path, tags__until__isnull=True).distinct()
    covered = tagged.filter(plans__state=Plan.State.ACTIVE).distinct()
    return covered.count(), tagged.count()


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
        ref = Referral.objects.create(person=person, to_institution=institution, back=back, reason=reason.strip(), documents=documents,
                                      urgency=urgency, sent_by=actor, org_path=person.org_path, to_path=institution.org_path)
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
