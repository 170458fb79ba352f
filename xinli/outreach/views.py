"""The publicity office's page: write and submit articles, review colleagues' articles, events and attendance, and
the awareness rate (T10) of the area with its sample size, 95 % interval and which sample it comes from; and the
health officer's pages for the probability sample of the awareness survey (draw, invitations, response rate)."""

from __future__ import annotations

import datetime
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual, field_error
from xinli.core.ids import form_int
from xinli.core.listing import list_rows
from xinli.core.policy import OUTREACH_PUBLISH
from xinli.core.scoping import has_capability, path_in_scope, scope_q
from xinli.regions import selectors as unit_selectors
from xinli.regions.models import OrgUnit

from . import indicators, sampling, services
from .models import Article, AwarenessLink, AwarenessSample, Category, Event, Registration
from .questionnaire import current_survey


@login_required
def desk(request):
    user = request.user
    if not has_capability(user, OUTREACH_PUBLISH):
        raise Http404

    units = [u for u in unit_selectors.top_units(user) if path_in_scope(user, OUTREACH_PUBLISH, u.path)]
    mine_or_area = Article.objects.filter(scope_q(user, OUTREACH_PUBLISH))
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "write":
                unit = next(u for u in units if str(u.pk) == request.POST.get("org_unit"))
                article = mine_or_area.filter(pk=form_pk(request.POST.get("article"))).first()
                article = services.write_article(user, org_unit=unit, title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                                 category=request.POST.get("category", ""), summary=request.POST.get("summary", ""),
                                                 article=article)
                if request.POST.get("submit") == "1":
                    services.submit(user, article)
            elif what in ("approve", "reject"):
                article = mine_or_area.filter(pk=form_pk(request.POST.get("article"))).first()
                if article is None:
                    raise Http404
                services.review(user, article, approve=what == "approve", note=request.POST.get("note", ""))
            elif what == "event":
                unit = next(u for u in units if str(u.pk) == request.POST.get("org_unit"))
                starts = timezone.make_aware(datetime.datetime.fromisoformat(request.POST.get("starts_at", "")))
                services.create_event(user, org_unit=unit, title=request.POST.get("title", ""), kind=request.POST.get("kind", ""),
                                      starts_at=starts, place=request.POST.get("place", ""), capacity=form_int(request.POST.get("capacity"), 0))
            elif what == "awareness_link":
                # A code outside the user's area is answered like an unknown one (no existence oracle).
                unit = OrgUnit.objects.filter(code=request.POST.get("code", "").strip()[:12], level="village").first()
                if unit is not None and not path_in_scope(user, OUTREACH_PUBLISH, unit.path):
                    unit = None
                link = services.awareness_link(user, unit)
                messages.success(request, bilingual(_("Survey link for {unit}: {url}"), unit=link.org_unit.name,
                                                    url=request.build_absolute_uri(reverse("portal:awareness", args=[link.token]))))
                return redirect("outreach:desk")
            elif what == "materials":
                event = Event.objects.filter(scope_q(user, OUTREACH_PUBLISH), pk=form_pk(request.POST.get("event"))).first()
                if event is None:
                    raise Http404
                services.record_materials(user, event, form_int(request.POST.get("materials"), -1))
            elif what == "attended":
                reg = Registration.objects.filter(event__in=Event.objects.filter(scope_q(user, OUTREACH_PUBLISH)),
                                                  pk=form_pk(request.POST.get("registration"))).first()
                if reg is None:
                    raise Http404
                services.mark_attendance(user, reg)
            messages.success(request, bilingual(_("Saved.")))
        except (ValueError, StopIteration):
            messages.error(request, bilingual(_("Form: check the dates (YYYY-MM-DD) and the choices.")))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        except PermissionDenied:
            raise Http404 from None
        return redirect("outreach:desk")
    year = timezone.localdate().year
    return render(request, "outreach/desk.html", {
        "units": units, "categories": Category.choices, "kinds": Event.Kind.choices,
        "mine": mine_or_area.filter(author=user).order_by("-id")[:50],
        "to_review": mine_or_area.filter(state=Article.State.IN_REVIEW).exclude(author=user),
        "events": Event.objects.filter(scope_q(user, OUTREACH_PUBLISH)).prefetch_related("registrations").order_by("-starts_at")[:50],
        "awareness": [(u, indicators.estimates(u, year)) for u in units], "year": year, "survey": current_survey(),
        "samples": _sample_rows(AwarenessSample.objects.filter(scope_q(user, OUTREACH_PUBLISH), year=year)),
        "links": _links(request), "villages": _villages(user),
    })


def _sample_rows(samples) -> list[dict]:
    """Each sample with its response rate per stratum (aggregate: no person)."""
    return [{"sample": s, "strata": sampling.response_rates(s)} for s in samples.select_related("org_unit", "survey").order_by("-drawn_at")[:50]]


def _may_draw_somewhere(user) -> bool:
    return any(sampling.may_draw(user, u) for u in unit_selectors.top_units(user))


@login_required
def samples(request):
    """The probability samples of the awareness survey where the user may draw (health commission officer: reads the
    archive and manages indicators over the unit): draw one, and each sample's response rate and estimates."""
    user = request.user
    if not _may_draw_somewhere(user):
        raise Http404
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:12]
        unit = unit_selectors.visible_units(user).filter(code=code).exclude(level="village").first()
        try:
            if unit is None or not sampling.may_draw(user, unit):
                raise field_error("code", _("Org unit code: the 12-digit code of a city, county or township in your area."))
            sample = sampling.draw_sample(user, unit, per_stratum=form_int(request.POST.get("per_stratum"), 0))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("outreach:samples")
        except PermissionDenied:
            raise Http404 from None
        messages.success(request, bilingual(_("Sample drawn: {n} residents invited."), n=sample.invitations.count()))
        return redirect("outreach:sample", pk=sample.pk)
    year = timezone.localdate().year
    rows = _sample_rows(sampling.visible_samples(user))
    for row in rows:
        row["estimates"] = indicators.estimates(row["sample"].org_unit, row["sample"].year)
    units = [u for u in unit_selectors.visible_units(user).exclude(level="village").only("code", "name", "path", "level").order_by("path")[:2000]
             if sampling.may_draw(user, u)]
    return render(request, "outreach/samples.html", {"rows": rows, "units": units, "year": year, "survey": current_survey(),
                                                     "max_per_stratum": sampling.MAX_PER_STRATUM, "min_age": sampling.MIN_AGE,
                                                     "max_age": sampling.MAX_AGE})


@login_required
def sample(request, pk):
    """One sample: its strata (population, invited, responded, response rate), the estimates, and the invitations —
    the drawn residents with their one-time codes, for handing out (each resident listed is read-audited)."""
    s = sampling.visible_samples(request.user).select_related("org_unit", "survey").filter(pk=pk).first()
    if s is None:
        raise Http404
    invitations = list_rows(request, s.invitations.select_related("person", "org_unit").order_by("org_path", "pk"), per_page=100)
    return render(request, "outreach/sample.html", {
        "s": s, "strata": sampling.response_rates(s), "estimates": indicators.estimates(s.org_unit, s.year), "page": invitations,
        "start_url": request.build_absolute_uri(reverse("portal:awareness_start")), "qr": _qr(request.build_absolute_uri(reverse("portal:awareness_start")))})


def _qr(url: str) -> str:
    svg = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=4).save(svg)
    return svg.getvalue().decode()


def _villages(user) -> list[OrgUnit]:
    """The villages (communities) of the user's area, for picking where a survey link goes by name or code."""
    return list(unit_selectors.visible_units(user).filter(level="village").filter(scope_q(user, OUTREACH_PUBLISH, field="path"))
                .only("code", "name").order_by("path")[:5000])


def _links(request) -> list[dict]:
    """The survey links of the user's area (newest first) with their address and QR code, for handing out."""
    rows = []
    for link in (AwarenessLink.objects.filter(scope_q(request.user, OUTREACH_PUBLISH)).select_related("org_unit", "survey")
                 .order_by("-created_at")[:50]):
        url = request.build_absolute_uri(reverse("portal:awareness", args=[link.token]))
        rows.append({"link": link, "url": url, "qr": _qr(url)})
    return rows
