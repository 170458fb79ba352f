
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _l

from xinli.core.policy import (
    ACCOUNTS_MANAGE,
    ALERTS_REPORT,
    ALERTS_WORK,
    ARCHIVES_EDIT,
    ARCHIVES_VIEW,
    AUDIT_VIEW,
    COUNSELLING_WORK,
    HOTLINE_OPERATE,
    HOTLINE_SUPERVISE,
    IMPORTS_RUN,
    INDICATORS_MANAGE,
    INDICATORS_VIEW,
    LEADING_VIEW,
    NETWORK_MANAGE,
    ORDERS_CREATE,
    ORDERS_SUPERVISE,
    ORDERS_WORK,
    OUTREACH_PUBLISH,
    REGIONS_MANAGE,
    SCREENING_CAMPAIGN,
    SECURITY_MANAGE,
    SMD_BASIC,
    SMD_VIEW,
)
from xinli.core.scoping import has_capability, path_in_scope, scope_paths


def nav_flags(user):
    return {
        "audit": has_capability(user, AUDIT_VIEW),
        "security": has_capability(user, SECURITY_MANAGE),
        "imports": has_capability(user, IMPORTS_RUN),
        "users": has_capability(user, ACCOUNTS_MANAGE),
        "campaigns": has_capability(user, SCREENING_CAMPAIGN),
        "archives": has_capability(user, ARCHIVES_VIEW),
        "alerts": has_capability(user, ALERTS_WORK) or has_capability(user, ALERTS_REPORT),
        "console": has_capability(user, ALERTS_WORK) or has_capability(user, HOTLINE_SUPERVISE),
        "crisis": has_capability(user, ALERTS_WORK),
        # The crisis team register: health officers keep it, crisis teams read their own (alerts.views.team_list).
        "crisis_teams": has_capability(user, NETWORK_MANAGE) or has_capability(user, ALERTS_WORK),
        "smd": has_capability(user, SMD_VIEW) or has_capability(user, SMD_BASIC),
        "smd_clinical": has_capability(user, SMD_VIEW),
        "network": has_capability(user, NETWORK_MANAGE),
        "outreach": has_capability(user, OUTREACH_PUBLISH),
        # the awareness survey's probability samples: drawn by who reads the archive and manages indicators (a unit's health officer)
        "samples": any(path_in_scope(user, ARCHIVES_VIEW, p) for p in scope_paths(user, INDICATORS_MANAGE)),
        "counselling": has_capability(user, COUNSELLING_WORK) or has_capability(user, SMD_VIEW),
        "smd_indicators": has_capability(user, INDICATORS_VIEW),
        "indicators": has_capability(user, INDICATORS_VIEW),
        "hotline": has_capability(user, HOTLINE_OPERATE) or has_capability(user, HOTLINE_SUPERVISE),
        # grids and household visits (issue 19): whoever edits the archive in an area
        "grids": has_capability(user, ARCHIVES_EDIT),
        # work orders between departments (issue 19): the office's staff, the senders, the 综治 office
        "orders": any(has_capability(user, c) for c in (ORDERS_WORK, ORDERS_CREATE, ORDERS_SUPERVISE)),
        # the leading group (issue 19 part 4): its meetings, tasks and appraisals
        "leading": has_capability(user, LEADING_VIEW),
        # the work-order kinds (platform-wide data: deadlines, shared person fields), kept by the system administrator
        "order_kinds": has_capability(user, REGIONS_MANAGE),
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
