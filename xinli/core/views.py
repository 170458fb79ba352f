import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _l

from xinli.accounts.policy import (
    ACCOUNTS_MANAGE,
    ALERTS_REPORT,
    ALERTS_WORK,
    ARCHIVES_VIEW,
    AUDIT_VIEW,
    COUNSELLING_WORK,
    HOTLINE_OPERATE,
    HOTLINE_SUPERVISE,
    INDICATORS_VIEW,
    NETWORK_MANAGE,
    OUTREACH_PUBLISH,
    SCREENING_CAMPAIGN,
    SECURITY_MANAGE,
    SMD_BASIC,
    SMD_VIEW,
)
from xinli.core.scoping import has_capability

from . import selectors
from .models import AuditEntry


@login_required
def home(request):
    from xinli.archives import selectors as person_selectors
    from xinli.regions import selectors as unit_selectors

    user = request.user
    if hasattr(user, "resident_account"):  # a resident's portal account is not a staff account
        from django.shortcuts import redirect

        return redirect("portal:account")
    return render(request, "home.html", {
        "units": unit_selectors.top_units(user),
        "assignments": user.active_assignments(),
        "person_count": person_selectors.count_visible(user) if has_capability(user, ARCHIVES_VIEW) else None,
    })


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def audit_log(request):
    """The audit viewer (audit administrator): filter by user, action, person (by whole name or ID number, through
    the blind index), object type and dates; every code shown in the reader's language."""
    from django.utils.translation import gettext as _

    from xinli.archives import selectors as person_selectors

    from . import audit, audit_display

    if not has_capability(request.user, AUDIT_VIEW):
        raise Http404
    g = request.GET
    who = g.get("who", "").strip()
    person_ids, who_error = None, ""
    if who:
        person_ids, by = person_selectors.person_ids_for_audit(request.user, who)
        if not by:
            who_error = (_("A surname alone finds nobody: enter the whole name or the 18-character resident ID number; "
                           "names are stored encrypted and match only in full.")
                         if person_selectors.search_miss_kind(who) == "surname"
                         else _("Person: enter the whole name or the 18-character resident ID number."))
        else:
            # The search is audited like any other: by what, and how many persons matched — never the name or number.
            audit.record(request.user, audit.Action.SEARCH, object_type="core.auditentry", purpose="audit",
                         detail={"by": by, "persons": len(person_ids)})
    qs = selectors.audit_entries(
        request.user, actor=g.get("actor", "").strip(), action=g.get("action", ""), person_id=g.get("person", "").strip(),
        object_type=g.get("object_type", "").strip(), date_from=_date(g.get("from")), date_to=_date(g.get("to")),
        person_ids=person_ids if who else None,
    )
    page = Paginator(qs, 50).get_page(g.get("page"))
    for e in page.object_list:
        e.shown = {"object": audit_display.object_label(e.object_type), "view": audit_display.view_label(e.view),
                   "purpose": audit_display.purpose(e.purpose), "outcome": audit_display.outcome(e.outcome),
                   "detail": audit_display.detail(e.object_type, e.detail)}
    return render(request, "core/audit_log.html", {"page": page, "actions": AuditEntry.Action.choices, "f": g,
                                                   "object_types": audit_display.object_types(),
                                                   "who": who, "who_error": who_error,
                                                   "who_unknown": bool(who and not who_error and not person_ids)})


def nav_flags(user):
    return {
        "audit": has_capability(user, AUDIT_VIEW),
        "security": has_capability(user, SECURITY_MANAGE),
        "users": has_capability(user, ACCOUNTS_MANAGE),
        "campaigns": has_capability(user, SCREENING_CAMPAIGN),
        "archives": has_capability(user, ARCHIVES_VIEW),
        "alerts": has_capability(user, ALERTS_WORK) or has_capability(user, ALERTS_REPORT),
        "console": has_capability(user, ALERTS_WORK) or has_capability(user, HOTLINE_SUPERVISE),
        "crisis": has_capability(user, ALERTS_WORK),
        "smd": has_capability(user, SMD_VIEW) or has_capability(user, SMD_BASIC),
        "smd_clinical": has_capability(user, SMD_VIEW),
        "network": has_capability(user, NETWORK_MANAGE),
        "outreach": has_capability(user, OUTREACH_PUBLISH),
        "counselling": has_capability(user, COUNSELLING_WORK) or has_capability(user, SMD_VIEW),
        "smd_indicators": has_capability(user, INDICATORS_VIEW),
        "indicators": has_capability(user, INDICATORS_VIEW),
        "hotline": has_capability(user, HOTLINE_OPERATE) or has_capability(user, HOTLINE_SUPERVISE),
        "unread": user.notifications.filter(read_at__isnull=True).count(),
    }


# The national psychological assistance hotline, for the portal bar on error pages (portal.views.HOTLINE is the same).
HOTLINE = "12356"

# Error pages (docs/errors.md): JSON under /api/ (what API clients parse); elsewhere a page in the reader's language
# with the site's header — the portal's, with the 12356 bar, under /p/ — saying what happened and the way back.
ERROR_MESSAGES = {
    400: _l("Bad request: the address or the form sent was not understood. Go back and try again."),
    403: _l("Access denied: your role does not allow this page. If you need it, ask your system administrator."),
    404: _l("Not found, or outside your area."),
    500: _l("Server error: something went wrong on our side and nothing was saved. Try again in a moment."),
}


def _error(request, status: int, template: str):
    from django.http import JsonResponse

    from .i18n import bilingual

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": bilingual(ERROR_MESSAGES[status])}, status=status)
    return render(request, template, _error_context(request), status=status)


def _error_context(request) -> dict:
    from urllib.parse import urlsplit

    referer = request.META.get("HTTP_REFERER", "")
    parts = urlsplit(referer)
    same_site = parts.netloc == request.get_host() and parts.path != request.path
    return {"portal": request.path.startswith("/p/"), "hotline": HOTLINE,
            "back": parts.path + (f"?{parts.query}" if parts.query else "") if same_site else ""}


def page_not_found(request, exception=None):
    """404: an address that matches no route, or an object outside the user's area (the page never says which)."""
    return _error(request, 404, "404.html")


def permission_denied(request, exception=None):
    return _error(request, 403, "403.html")


def bad_request(request, exception=None):
    return _error(request, 400, "400.html")


def server_error(request):
    """500: a static page (no database query, no context processor — they may be what failed)."""
    from django.http import HttpResponseServerError, JsonResponse
    from django.template import loader

    from .i18n import bilingual

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": bilingual(ERROR_MESSAGES[500])}, status=500)
    portal = request.path.startswith("/p/")
    return HttpResponseServerError(loader.get_template("500.html").render({"portal": portal, "hotline": HOTLINE}))
