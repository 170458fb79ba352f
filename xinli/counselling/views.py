"""Counsellor pages: the desk (cases, appointments, referrals, plans) and a case with its confidential notes."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives import selectors as person_selectors
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.ids import form_int
from xinli.core.listing import list_rows
from xinli.core.policy import COUNSELLING_WORK, SMD_VIEW
from xinli.core.scoping import has_capability, path_in_scope

from . import selectors, services
from .models import Booking, Case, Plan, Slot


def _run(request, fn, *args, **kwargs):
    try:
        result = fn(*args, **kwargs)
        messages.success(request, bilingual(_("Saved.")))
        return result
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except ValueError:
        messages.error(request, bilingual(_("Form: check the dates (YYYY-MM-DD) and the choices.")))
    return None


@login_required
def desk(request):
    user = request.user
    if not (has_capability(user, COUNSELLING_WORK) or has_capability(user, SMD_VIEW)):
        raise Http404
    from xinli.network import selectors as network_selectors

    if request.method == "POST":
        what = request.POST.get("do")
        if what == "open":
            person = person_selectors.search_persons(user, id_number=request.POST.get("id_number", "")).first()
            if person is None:
                messages.error(request, bilingual(_("Person: no resident with this ID number in your area.")))
            else:
                case = _run(request, services.open_case, user, person, reason=request.POST.get("reason", ""))
                if case:
                    return redirect("counselling:case", pk=case.pk)
        elif what == "slots":
            site = network_selectors.visible_sites(user).filter(pk=form_pk(request.POST.get("site"))).first()
            if site is None:
                raise Http404
            try:
                starts = [timezone.make_aware(datetime.datetime.fromisoformat(request.POST.get("starts_at", "")))]
            except ValueError:
                starts = None
            if starts:
                _run(request, lambda: services.add_slots(user, site, starts=starts, minutes=form_int(request.POST.get("minutes"), 50)))
            else:
                messages.error(request, bilingual(_("Form: check the dates (YYYY-MM-DD) and the choices.")))
        elif what == "book_for":
            person = person_selectors.search_persons(user, id_number=request.POST.get("id_number", "")).first()
            slot = Slot.objects.filter(counsellor=user, pk=form_pk(request.POST.get("slot"))).first()
            if person is None or slot is None:
                messages.error(request, bilingual(_("Person: no resident with this ID number in your area.")))
            else:
                person_selectors.get_person(user, person.pk, purpose="appointment")
                _run(request, services.book, slot, name=person.name, phone=person.phone or "", person=person, actor=user)
        elif what == "plan":
            person = person_selectors.search_persons(user, id_number=request.POST.get("id_number", "")).first()
            if person is None:
                messages.error(request, bilingual(_("Person: no resident with this ID number in your area.")))
            else:
                try:
                    review_on = datetime.date.fromisoformat(request.POST.get("review_on", ""))
                except ValueError:
                    review_on = None
                _run(request, services.create_plan, user, person, goals=request.POST.get("goals", ""),
                     interventions=request.POST.get("interventions", ""), review_on=review_on,
                     partners=request.POST.getlist("partners"))
        elif what in ("review", "close_plan"):
            plan = Plan.objects.filter(worker=user, pk=form_pk(request.POST.get("plan"))).first()
            if plan is None:
                raise Http404
            try:
                nxt = datetime.date.fromisoformat(request.POST.get("review_on", "")) if what == "review" else None
            except ValueError:
                nxt = None
            _run(request, services.review_plan, user, plan, next_review=nxt, close=what == "close_plan")
        elif what in ("attended", "no_show"):
            booking = Booking.objects.filter(slot__counsellor=user, pk=form_pk(request.POST.get("booking"))).first()
            if booking is None:
                raise Http404
            _run(request, services.mark_booking, user, booking, state=what)
        elif what in ("receive", "reply"):
            ref = selectors.visible_referrals(user).filter(pk=form_pk(request.POST.get("referral"))).first()
            if ref is None:
                raise Http404
            if what == "receive":
                _run(request, services.receive, user, ref)
            else:
                _run(request, services.reply, user, ref, text=request.POST.get("reply", ""))
        return redirect("counselling:desk")
    now = timezone.now()

    referrals = list_rows(request, selectors.visible_referrals(user).order_by("-sent_at"), limit=100)
    return render(request, "counselling/desk.html", {
        "cases": list_rows(request, selectors.visible_cases(user).filter(counsellor=user, state=Case.State.OPEN).order_by("-opened_at"), limit=100),
        "bookings": list_rows(request, Booking.objects.filter(slot__counsellor=user, state=Booking.State.BOOKED).select_related("slot__site").order_by("slot__starts_at"), limit=100),
        "free_slots": Slot.objects.filter(counsellor=user, starts_at__gt=now).exclude(bookings__state="booked").count(),
        "my_free": list(Slot.objects.filter(counsellor=user, starts_at__gt=now).exclude(bookings__state="booked").select_related("site")[:50]),
        "sites": [s for s in network_selectors.visible_sites(user) if path_in_scope(user, COUNSELLING_WORK, s.org_path)][:200],
        "received": [r for r in referrals if path_in_scope(user, SMD_VIEW, r.to_path) or path_in_scope(user, COUNSELLING_WORK, r.to_path)],
        "sent": [r for r in referrals if r.sent_by_id == user.pk],
        "plans": list_rows(request, Plan.objects.filter(worker=user, state=Plan.State.ACTIVE).select_related("person").order_by("review_on"), limit=100),
        "now": now, "overdue_reviews": Plan.objects.filter(worker=user, state=Plan.State.ACTIVE, review_on__lt=timezone.localdate()).count(),
    })


@login_required
def case_page(request, pk):
    user = request.user
    try:
        case, sessions = selectors.get_case(user, pk)
    except Case.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "session":
            from xinli.screening.models import Assessment

            measure = Assessment.objects.filter(person=case.person, pk=form_pk(request.POST.get("assessment"))).first()
            result = _run(request, lambda: services.add_session(
                user, case, date=datetime.date.fromisoformat(request.POST.get("date", "")), minutes=form_int(request.POST.get("minutes"), 0),
                notes=request.POST.get("notes", ""), signs_of_disorder=request.POST.get("signs") == "on", assessment=measure))
            if result and result[1]:
                messages.warning(request, bilingual(_("Signs of a mental disorder: refer the person to a hospital (Mental Health Law art. 23).")))
        elif what == "break_glass":
            _run(request, services.break_glass, user, case, reason=request.POST.get("reason", ""))
        elif what == "close":
            _run(request, services.close_case, user, case, summary=request.POST.get("summary", ""))
        elif what == "refer":
            from xinli.network.models import Institution

            inst = Institution.objects.filter(pk=form_pk(request.POST.get("institution")), kind__in=["psychiatric_hospital", "general_hospital"]).first()
            if inst is None:
                messages.error(request, bilingual(_("Institution: choose the hospital.")))
            else:
                _run(request, services.refer, user, case.person, institution=inst, reason=request.POST.get("reason", ""),
                     urgency=request.POST.get("urgency", "routine"))
        return redirect("counselling:case", pk=pk)
    from xinli.network.models import Institution
    from xinli.screening.models import Assessment

    return render(request, "counselling/case.html", {
        "measures": Assessment.objects.filter(person=case.person).order_by("-taken_at")[:20] if case.counsellor_id == user.pk else [],
        "case": case, "sessions": sessions, "readable": services.can_read_notes(user, case), "mine": case.counsellor_id == user.pk,
        "hospitals": Institution.objects.filter(kind__in=["psychiatric_hospital", "general_hospital"]).order_by("name")[:100],
        "today": timezone.localdate(),
    })
