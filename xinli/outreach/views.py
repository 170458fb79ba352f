"""The publicity office's page: write and submit articles, review colleagues' articles, events and attendance, and
the awareness rate of the area."""

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
from xinli.core.i18n import bilingual
from xinli.core.ids import form_int
from xinli.core.policy import OUTREACH_PUBLISH
from xinli.core.scoping import has_capability, path_in_scope, scope_q
from xinli.regions import selectors as unit_selectors
from xinli.regions.models import OrgUnit

from . import services
from .models import Article, AwarenessLink, Category, Event, Registration


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
        "awareness": [(u, services.awareness_rate(u, year)) for u in units], "year": year,
        "links": _links(request), "villages": _villages(user),
    })


def _villages(user) -> list[OrgUnit]:
    """The villages (communities) of the user's area, for picking where a survey link goes by name or code."""
    return list(unit_selectors.visible_units(user).filter(level="village").filter(scope_q(user, OUTREACH_PUBLISH, field="path"))
                .only("code", "name").order_by("path")[:5000])


def _links(request) -> list[dict]:
    """The survey links of the user's area (newest first) with their address and QR code, for handing out."""
    rows = []
    for link in (AwarenessLink.objects.filter(scope_q(request.user, OUTREACH_PUBLISH)).select_related("org_unit")
                 .order_by("-created_at")[:50]):
        url = request.build_absolute_uri(reverse("portal:awareness", args=[link.token]))
        svg = io.BytesIO()
        qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=4).save(svg)
        rows.append({"link": link, "url": url, "qr": svg.getvalue().decode()})
    return rows
