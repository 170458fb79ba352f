"""Multi-domain staff pages: the home page (archive, org tree and assignments together) and the audit viewer (the
audit log, with a person found through the archive's blind index)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xinli.archives import selectors as person_selectors
from xinli.core import audit, audit_display
from xinli.core import selectors as core_selectors
from xinli.core.models import AuditEntry
from xinli.core.policy import ARCHIVES_VIEW, AUDIT_VIEW
from xinli.core.scoping import has_capability
from xinli.regions import selectors as unit_selectors


@login_required
def home(request):
    user = request.user
    if hasattr(user, "resident_account"):  # a resident's portal account is not a staff account
        return redirect("portal:account")
    return render(request, "home.html", {
        "units": unit_selectors.top_units(user),
        "assignments": user.active_assignments(),
        "person_count": person_selectors.count_visible(user) if has_capability(user, ARCHIVES_VIEW) else None,
        "duplicate_count": person_selectors.open_duplicate_request_count(user),
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
    qs = core_selectors.audit_entries(
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
