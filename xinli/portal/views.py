"""Public pages for residents, phone first, no login. A self-test is anonymous: the result is shown at once, and the
answers are kept (without any identity) only if the resident ticks the separate consent (PIPL art. 29). Critical
answers or a severe result open the crisis screen with the hotline and emergency numbers first."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from xinli.core import audit
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual, field_error
from xinli.core.ids import parse_int
from xinli.core.ratelimit import rate_limited
from xinli.counselling import services as counselling
from xinli.counselling.models import Booking, Slot
from xinli.network.models import Site, SiteKind
from xinli.network.selectors import public_sites, sites_near
from xinli.outreach.models import Article, AwarenessLink, Category, Event
from xinli.outreach.services import count_view, record_awareness, register
from xinli.regions.models import OrgUnit
from xinli.scales import ScoringError, definitions, score
from xinli.screening.models import Assessment, Mode

HOTLINE = "12356"
# Self-tests offered to the public: shipped (not licence-restricted) adult instruments.
PUBLIC_TESTS = ("phq9", "gad7", "k10", "who5", "pss10", "gds15")
PUBLIC_SITE_KINDS = (SiteKind.VILLAGE_ROOM, SiteKind.SOCIAL_WORK_ROOM, SiteKind.TOWNSHIP_ROOM, SiteKind.MINORS_CENTRE,
                     SiteKind.SOCIAL_ORG, SiteKind.PSYCHIATRIC_CLINIC, SiteKind.GENERAL_CLINIC, SiteKind.MATERNAL_TCM)


def _lang() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def _tests():
    lang = _lang()
    registry = definitions.registry()
    return [{"code": c, "name": registry[c].name(lang), "short": registry[c].raw.get("short_name", c.upper()),
             "items": len(registry[c].scored_items)} for c in PUBLIC_TESTS if c in registry and not registry[c].raw.get("restricted")]


def home(request):
    return render(request, "portal/home.html", {"tests": _tests(), "hotline": HOTLINE})


@rate_limited("portal")
def self_test(request, code):
    if code not in PUBLIC_TESTS or code not in definitions.registry():
        raise Http404
    d = definitions.get(code)
    lang = _lang()
    posted = request.POST if request.method == "POST" else {}
    errors = []
    if request.method == "POST":
        answers = {i.id: parse_int(posted[f"q_{i.id}"]) for i in d.items if parse_int(posted.get(f"q_{i.id}")) is not None}
        keep = posted.get("keep") == "on"
        submission = posted.get("submission", "")
        try:
            if keep:
                from xinli.screening.services import administer

                # The form's one-time submission id makes a double-sent form (a retry, a second tap) store once;
                # the same id with other answers (the resident went back and changed them) is a new submission.
                key = submission if re.fullmatch(r"[0-9a-f]{32}", submission) else None
                try:
                    assessment, _created = administer(_resident(request), scale=code, answers=answers, mode=Mode.SELF,
                                                      idempotency_key=key and f"portal-{key}")
                except ValidationError as exc:
                    if not (key and "idempotency_key" in getattr(exc, "error_dict", {})):
                        raise
                    assessment, _created = administer(_resident(request), scale=code, answers=answers, mode=Mode.SELF)
                critical, severity, band = assessment.critical_items, assessment.severity, assessment.band
                total = assessment.total
            else:
                result = score(code, answers)
                critical, severity, band, total = result.critical_items, result.severity, result.band, result.total
        except ScoringError as exc:
            errors = [str(exc)]
        except ValidationError as exc:
            errors = exc.messages
        else:
            b = next((x for x in d.bands if x.code == band), None)
            return render(request, "portal/result.html", {
                "name": d.name(lang), "total": total, "band": b.label.get(lang) if b else band,
                "advice": b.advice.get(lang) if b else "", "crisis": bool(critical) or severity >= 3, "kept": keep,
                "hotline": HOTLINE, "counties": _counties()})
    items = [{"id": i.id, "text": i.text.get(lang), "missing": bool(errors) and not posted.get(f"q_{i.id}"), "options": [
        {"value": o.value, "label": o.label.get(lang), "checked": posted.get(f"q_{i.id}") == str(o.value)} for o in i.options]}
        for i in d.items]
    return render(request, "portal/self_test.html", {
        "first_missing": next((i["id"] for i in items if i["missing"]), None),
        "code": code, "name": d.name(lang), "instructions": (d.raw.get("instructions") or {}).get(lang, ""), "items": items,
        "errors": errors, "licence": d.raw["licence"].get(lang), "hotline": HOTLINE,
        "submission": posted.get("submission") or uuid.uuid4().hex}, status=400 if errors else 200)


def _counties():
    return list(OrgUnit.objects.filter(level__in=["county"], valid_to__isnull=True).order_by("code"))


SITES_PER_PAGE = 10  # about two phone screens a page (issue 14: one district list was 17,468 px tall)
NEAR_LIMIT = 60  # the nearest sites listed for "near me"


def _near(text: str) -> tuple[float, float] | None:
    """``lat,lng`` in degrees from the query string; ``None`` when absent; ``ValueError`` when not coordinates."""
    if not text:
        return None
    lat, lng = (float(x) for x in text.split(","))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError
    return lat, lng


def sites(request):
    """Open sites in a chosen area (county or township), or nearest first from the resident's position ("near me",
    the browser's geolocation), with address, hours, phone and distance, a page at a time."""
    from django.core.paginator import Paginator

    unit = OrgUnit.objects.filter(pk=form_pk(request.GET.get("unit")), level__in=["city", "county", "township"]).first()
    townships = list(OrgUnit.objects.filter(parent=unit, level="township").order_by("code")) if unit is not None and unit.level == "county" else []
    near, error, position = (request.GET.get("near") or "")[:40], "", None
    try:
        position = _near(near)
    except ValueError:
        error = bilingual(_("Near: latitude,longitude in degrees, e.g. 36.07,120.38."))
        near = ""
    open_sites = public_sites(PUBLIC_SITE_KINDS)
    found = []
    if unit is not None:
        found = open_sites.filter(org_path__startswith=unit.path)
        if position is not None:  # the area's sites, nearest first, each with its distance
            found = sites_near(found, *position, limit=None, with_unlocated=True)
    elif position is not None:
        found = sites_near(open_sites, *position, limit=NEAR_LIMIT)
    page = Paginator(found, SITES_PER_PAGE).get_page(request.GET.get("page")) if (unit is not None or position is not None) else None
    query = "".join(f"{k}={quote(str(v))}&" for k, v in (("unit", unit and unit.pk), ("near", near)) if v)
    return render(request, "portal/sites.html", {
        "unit": unit, "page": page, "query": query, "counties": _counties(), "townships": townships, "hotline": HOTLINE,
        "near": near, "error": error}, status=400 if error else 200)


def articles(request):
    from django.db.models import Q

    qs = Article.objects.filter(state=Article.State.PUBLISHED)
    q = (request.GET.get("q") or "").strip()[:40]
    category = request.GET.get("category", "")
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    if category in Category.values:
        qs = qs.filter(category=category)
    return render(request, "portal/articles.html", {"articles": qs[:100], "q": q, "category": category,
                                                    "categories": Category.choices, "hotline": HOTLINE})


def article(request, pk):
    item = Article.objects.filter(pk=pk, state=Article.State.PUBLISHED).first()
    if item is None:
        raise Http404
    count_view(item)
    return render(request, "portal/article.html", {"article": item, "hotline": HOTLINE})


@rate_limited("portal")
def events(request):
    from django.utils import timezone

    message = error = ""
    if request.method == "POST":
        event = Event.objects.filter(pk=form_pk(request.POST.get("event"))).first()
        if event is None:
            raise Http404
        try:
            register(event, name=request.POST.get("name", ""), phone=request.POST.get("phone", ""))
            message = event.title
        except ValidationError as exc:
            error = " ".join(exc.messages)
    upcoming = Event.objects.filter(starts_at__gt=timezone.now()).select_related("org_unit")[:100]
    return render(request, "portal/events.html", {"events": upcoming, "message": message, "error": error, "hotline": HOTLINE},
                  status=400 if error else 200)


def _looks_like_invitation(token: str) -> bool:
    from xinli.outreach.models import INVITATION_ALPHABET

    return len(token) == 10 and all(c in INVITATION_ALPHABET for c in token.upper())


def awareness_start(request):
    """Where an invited resident types the one-time code printed on their invitation (a probability sample of the
    awareness survey). Wrong codes are counted per client address (``XINLI_RATE_CODE``), as campaign codes are."""
    from django.shortcuts import redirect

    from xinli.core import ratelimit
    from xinli.outreach.sampling import invitation_for_code

    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    error = ""
    if code:
        retry_after = ratelimit.exhausted("code", request)
        if retry_after:
            return ratelimit.too_many(request, retry_after)
        try:
            invitation_for_code(code)
        except ValidationError as exc:
            ratelimit.check("code", request)
            error = " ".join(exc.messages)
        else:
            return redirect("portal:awareness", token=code)
    return render(request, "portal/awareness_start.html", {"code": code, "error": error, "hotline": HOTLINE},
                  status=400 if error else 200)


@rate_limited("portal")
def awareness(request, token):
    """The core-knowledge survey, reached by a village's unguessable link (made on the publicity desk and handed out
    by the survey team: a convenience sample) or by a drawn resident's one-time invitation code (a probability
    sample); a sequential id, a wrong token or an unknown code answers 404."""
    from xinli.core import ratelimit
    from xinli.outreach.sampling import invitation_for_code
    from xinli.outreach.services import answer_invitation

    link = AwarenessLink.objects.filter(token=token, org_unit__level="village").select_related("survey", "org_unit").first()
    invitation = None
    if link is None:
        if not _looks_like_invitation(token):
            raise Http404
        retry_after = ratelimit.exhausted("code", request)
        if retry_after:
            return ratelimit.too_many(request, retry_after)
        try:
            invitation = invitation_for_code(token)
        except ValidationError as exc:
            from xinli.outreach.models import Invitation

            if not Invitation.objects.filter(code=token.upper()).exists():
                ratelimit.check("code", request)
                raise Http404 from None
            return render(request, "portal/awareness_closed.html", {"message": " ".join(exc.messages), "hotline": HOTLINE}, status=410)
    survey, unit = (link.survey, link.org_unit) if link else (invitation.sample.survey, invitation.org_unit)
    error, answers = "", {}
    if request.method == "POST":
        answers = {q["id"]: request.POST.get(f"q_{q['id']}") for q in survey.questions if request.POST.get(f"q_{q['id']}")}
        try:
            if link:
                record_awareness(survey, org_unit=unit, answers=answers)
            else:
                answer_invitation(invitation.code, answers)
        except ValidationError as exc:
            if "code" in getattr(exc, "message_dict", {}):  # the code was used meanwhile (another tab, a double tap)
                return render(request, "portal/awareness_closed.html", {"message": " ".join(exc.messages), "hotline": HOTLINE}, status=410)
            error = " ".join(exc.messages)
        else:
            return render(request, "portal/awareness_done.html", {"hotline": HOTLINE, "survey": survey})
    questions = [{**q, "chosen": answers.get(q["id"])} for q in survey.questions]  # an answered question stays answered
    return render(request, "portal/awareness.html", {"survey": survey, "questions": questions, "unit": unit, "error": error,
                                                     "invited": invitation is not None, "hotline": HOTLINE},
                  status=400 if error else 200)


@rate_limited("portal")
def book(request, site_id):
    """Free slots of a site, booking with name and phone (no account), or the waiting list when none is free."""
    from django.utils import timezone

    site = Site.objects.filter(pk=site_id, kind__in=PUBLIC_SITE_KINDS).first()
    if site is None:
        raise Http404
    error, errors, booking, waiting = "", {}, None, False
    if request.method == "POST":
        try:
            if request.POST.get("do") == "wait":
                counselling.join_waiting_list(site, name=request.POST.get("name", ""), phone=request.POST.get("phone", ""))
                waiting = True
            else:
                slot = Slot.objects.filter(pk=form_pk(request.POST.get("slot")), site=site).first()
                if slot is None:
                    raise field_error("slot", _("Time: choose one of the free times listed."))
                booking = counselling.book(slot, name=request.POST.get("name", ""), phone=request.POST.get("phone", ""),
                                           account=_resident(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
    taken = Booking.objects.filter(state=Booking.State.BOOKED).values("slot_id")
    # Slots published before the site's hours changed are not offered (booking would refuse them).
    free = [s for s in Slot.objects.filter(site=site, starts_at__gt=timezone.now()).exclude(pk__in=taken).order_by("starts_at")[:200]
            if site.within_hours(s.starts_at, s.minutes)][:60]
    # After a refused booking the form keeps what the resident typed (not after a success).
    kept = {k: request.POST.get(k, "") for k in ("name", "phone", "slot")} if error else {}
    return render(request, "portal/book.html", {"site": site, "slots": free, "error": error, "errors": errors, "booking": booking,
                                                "waiting": waiting, "kept": kept, "hotline": HOTLINE}, status=400 if error else 200)


@rate_limited("portal")
def cancel_booking(request):
    done, error = False, ""
    if request.method == "POST":
        booking = Booking.objects.filter(reference=(request.POST.get("reference") or "").strip().upper()).first()
        if booking is None:
            error = str(_reference_error())
        else:
            try:
                counselling.cancel(booking, reference=request.POST.get("reference", ""))
                done = True
            except ValidationError as exc:
                error = " ".join(exc.messages)
    return render(request, "portal/cancel.html", {"done": done, "error": error, "hotline": HOTLINE}, status=400 if error else 200)


def privacy(request):
    """What the portal keeps about a resident, why, and how to have it deleted (linked from every portal page)."""
    return render(request, "portal/privacy.html", {"hotline": HOTLINE})


def text_size(request):
    """The larger-text switch (适老化): remembered in a cookie for a year, then back to the page it was used on."""
    from django.http import HttpResponseNotAllowed
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    from .templatetags.portal import TEXT_SIZE_COOKIE

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.POST.get("next") or ""
    if not (target.startswith("/p/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = "/p/"
    response = redirect(target)
    if request.POST.get("size") == "large":
        response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=request.is_secure())
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    return response


def _reference_error():
    from django.utils.translation import gettext_lazy as _

    return bilingual(_("Booking reference: not found; check the reference you were given."))


def _resident(request):
    user = request.user
    return user if user.is_authenticated and hasattr(user, "resident_account") else None


@sensitive_post_parameters("password", "phone")
@rate_limited("portal")
def account_register(request):
    from django.contrib.auth import login
    from django.shortcuts import redirect

    from . import services

    error = ""
    if request.method == "POST":
        try:
            account = services.register(phone=request.POST.get("phone", ""), password=request.POST.get("password", ""),
                                        consent=request.POST.get("consent") == "on")
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("portal:account")
    return render(request, "portal/account_register.html", {"error": error, "hotline": HOTLINE}, status=400 if error else 200)


@sensitive_post_parameters("password", "phone")
@rate_limited("login")
def account_login(request):
    from django.contrib.auth import login
    from django.shortcuts import redirect

    from . import services

    error = ""
    if request.method == "POST":
        user = services.authenticate_phone(request, request.POST.get("phone", ""), request.POST.get("password", ""))
        if user is None:
            from django.utils.translation import gettext_lazy as _

            error = bilingual(_("Phone or password is wrong; check them and retry."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            audit.record(user, audit.Action.LOGIN, obj=user)
            return redirect("portal:account")
    return render(request, "portal/account_login.html", {"error": error, "hotline": HOTLINE}, status=403 if error else 200)


def account(request):
    from django.contrib.auth import logout
    from django.shortcuts import redirect

    from . import services

    user = _resident(request)
    if user is None:
        return redirect("portal:account_login")
    if request.method == "POST" and request.POST.get("do") == "delete":
        services.delete_portal_data(user)
        logout(request)
        return render(request, "portal/account_deleted.html", {"hotline": HOTLINE})
    if request.method == "POST" and request.POST.get("do") == "logout":
        from xinli.core import audit

        # The staff logout would land on the staff login; a resident goes back to the portal.
        audit.record(user, audit.Action.LOGOUT, obj=user)
        logout(request)
        return redirect("portal:home")
    lang = _lang()
    tests = [{"a": a, "name": definitions.get(a.scale).name(lang)} for a in
             Assessment.objects.filter(administered_by=user, mode="self", person__isnull=True).order_by("-taken_at")[:50]]
    return render(request, "portal/account.html", {
        "bookings": Booking.objects.filter(account=user).select_related("slot__site").order_by("-slot__starts_at")[:50],
        "tests": tests, "hotline": HOTLINE})
