"""Multi-domain staff pages: the home page (archive, org tree and assignments together), the audit viewer (the
audit log, with a person found through the archive's blind index) and the service-network coverage page (the
indicator registry's figures and targets with the network register's gaps)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from xinli.archives import selectors as person_selectors
from xinli.archives import transfers
from xinli.core import audit, audit_display
from xinli.core import selectors as core_selectors
from xinli.core.ids import parse_year
from xinli.core.models import AuditEntry
from xinli.core.policy import ARCHIVES_VIEW, AUDIT_VIEW, INDICATORS_VIEW, NETWORK_MANAGE, SMD_VIEW
from xinli.core.scoping import has_capability, path_in_scope
from xinli.indicators import disclosure
from xinli.indicators import selectors as indicator_selectors
from xinli.indicators import services as indicator_services
from xinli.indicators.registry import REGISTRY
from xinli.network import coverage, inspection
from xinli.network import selectors as network_selectors
from xinli.regions import parameters
from xinli.regions import selectors as unit_selectors
from xinli.smd.indicators import t12_rules_for


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
        "transfer_count": transfers.pending_count(user),
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


NETWORK_GROUPS = ("network", "workforce")  # the registry groups the coverage page shows (T01–T07, T18, T19, T21, T22, WF1)


@login_required
def network_coverage(request):
    """The service network of the officer's area (``network.manage``): for each indicator of the network and the
    workforce, its name, the year's figure from the rollups and the target in force (``targets_for``: a region's own
    target shows), as on the scorecard; beside it the register on the day chosen (``?date=``, default today), as
    the network's rules compute it: how many are covered and which villages, schools, workplaces, hospitals and
    townships still lack their service — with the T05 rule in force. Then the overdue rectifications and the sites."""
    user = request.user
    if not has_capability(user, NETWORK_MANAGE):
        raise Http404
    today = timezone.localdate()
    day = _date(request.GET.get("date")) or today
    year = day.year
    codes = [code for code, ind in REGISTRY.items() if ind.group in NETWORK_GROUPS]
    units = [u for u in unit_selectors.top_units(user) if path_in_scope(user, NETWORK_MANAGE, u.path)]
    blocks = []
    for unit in units:
        on_day = coverage.compute(unit, day)
        rollups = {r.indicator: r for r in indicator_selectors.visible_rollups(user).filter(
            org_unit=unit, period=str(year), breakdown="", indicator__in=codes)}
        targets = indicator_services.targets_for(unit, year, codes)
        rows = []
        for code in codes:
            ind = REGISTRY[code]
            if unit.level not in ind.levels and code not in rollups:
                continue
            r = rollups.get(code)
            status = indicator_services.status(code, r.value if r else None, targets[code])
            rows.append({"code": code, "ind": ind, "r": r, "target": targets[code], "status": status,
                         "status_label": indicator_services.STATUS_LABELS.get(status, ""), "c": on_day.get(code)})
        blocks.append({"unit": unit, "rows": rows})
    sites = list(network_selectors.visible_sites(user).filter(org_path__startswith=units[0].path)[:300]) if units else []
    overdue = [r for u in units for r in inspection.overdue_rectifications(u, today)]
    return render(request, "network/coverage.html", {"blocks": blocks, "day": day, "year": year, "sites": sites, "overdue": overdue})


SMD_GROUP = "smd"  # the registry group of the SMD indicators (T11–T17)


@login_required
def smd_indicators(request):
    """The SMD indicators (T11–T17) of the reader's area and its counties and townships, for the 精防 doctor and the
    health officer: the year's figures from the rollups (as on the scorecard, with the same small-cell mask), each in
    its unit, against the target in force for each unit (``targets_for``: a region's own targets show), with the T12
    rule in force. Read by holders of ``indicators.view`` or ``smd.view`` over the units."""
    user = request.user
    if not (has_capability(user, INDICATORS_VIEW) or has_capability(user, SMD_VIEW)):
        raise Http404
    this_year = timezone.localdate().year
    year = parse_year(request.GET.get("year")) or this_year
    year = min(max(year, 2000), this_year)
    codes = [code for code, ind in REGISTRY.items() if ind.group == SMD_GROUP]
    tops = [u for u in unit_selectors.top_units(user)
            if path_in_scope(user, INDICATORS_VIEW, u.path) or path_in_scope(user, SMD_VIEW, u.path)]
    units = []
    for top in tops:
        units.append(top)
        units.extend(unit_selectors.visible_units(user).filter(path__startswith=top.path, level__in=["county", "township"])
                     .exclude(pk=top.pk).order_by("path"))
    found = indicator_selectors.rollups_in_scope(user, INDICATORS_VIEW, SMD_VIEW).filter(
        org_unit__in=units, period=str(year), breakdown="", indicator__in=codes)
    rollups = {(r.org_unit_id, r.indicator): r for r in disclosure.apply(user, found)}
    rules = t12_rules_for(units)
    t12 = parameters.KNOWN["t12_rule"]
    rows = []
    for unit in units:
        targets = indicator_services.targets_for(unit, year, codes)
        cells = []
        for code in codes:
            r = rollups.get((unit.pk, code))
            status = indicator_services.status(code, r.value if r else None, targets[code])
            cells.append({"code": code, "ind": REGISTRY[code], "r": r, "target": targets[code], "status": status,
                          "status_label": indicator_services.STATUS_LABELS.get(status, "")})
        rows.append({"unit": unit, "register": rollups.get((unit.pk, "T11")), "cells": cells, "t12_rule": t12.shown(rules[unit.pk])})
    computed = max((r.computed_at for r in rollups.values()), default=None)
    head = [{"code": code, "ind": REGISTRY[code], "target": rows[0]["cells"][i]["target"] if rows else REGISTRY[code].target}
            for i, code in enumerate(codes)]
    hidden = [r for r in rollups.values() if getattr(r, "hidden", None)]
    return render(request, "smd/indicators.html", {
        "rows": rows, "head": head, "year": year, "years": list(range(this_year, 2019, -1)), "computed": computed,
        "t12_rules": sorted({row["t12_rule"] for row in rows}), "can_view_indicators": has_capability(user, INDICATORS_VIEW),
        "small_cells": {"any": bool(hidden), "limit": min((r.cell_limit for r in hidden), default=None)}})
