import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

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
    """The audit viewer (audit administrator): filter by user, action, person, object type and dates."""
    if not has_capability(request.user, AUDIT_VIEW):
        raise Http404
    g = request.GET
    qs = selectors.audit_entries(
        request.user, actor=g.get("actor", "").strip(), action=g.get("action", ""), person_id=g.get("person", "").strip(),
        object_type=g.get("object_type", "").strip(), date_from=_date(g.get("from")), date_to=_date(g.get("to")),
    )
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "actions": AuditEntry.Action.choices, "f": g})


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


def page_not_found(request, exception=None):
    """404 for an address that matches no route: JSON under /api/ (what API clients parse), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse
        from django.utils.translation import gettext_lazy as _

        from .i18n import bilingual

        return JsonResponse({"detail": bilingual(_("Not found, or outside your area."))}, status=404)
    from django.views.defaults import page_not_found as default_page_not_found

    return default_page_not_found(request, exception)
