"""Grids and household visits (网格与摸排, issue 19 part 2): every write goes through here.

A grid worker visits households (入户摸排) and records the situation, the pilot plan's five risk signs (三(三):
矛盾突出、生活失意、心态失衡、行为失常、性格偏执), a dispute (矛盾纠纷: kind, parties, mediation by the people's mediator)
and needs. Declared rules (:data:`RULES`, :data:`NEED_KINDS`) turn what was found into actions, as the alert rules
turn results into alerts: a special-population tag (T09's ``conflict_distress`` / ``paranoid_personality``), a
personalised plan opened for the visitor, an alert, and work orders to the departments (a dispute to be mediated,
hardship, employment, caregiving). What each visit did is kept on it (``actions``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.archives.models import Tag
from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.policy import ARCHIVES_EDIT
from xinli.core.scoping import path_in_scope

from .exchange import queue_visit
from .models import DisputeType, GridCell, GridResident, HouseholdVisit, Mediation, Need, OrderKind, RiskSign


@dataclass(frozen=True)
class VisitRule:
    """What one risk sign found on a visit does: the tag it sets, whether it opens a personalised plan (when the
    person has none), and the level of the alert it raises ("" for none)."""

    sign: str
    tag: str
    plan: bool = False
    alert: str = ""


# Choices (docs/governance.md): every sign puts the person in T09's population; the three that point to a person
# already suffering (imbalance, abnormal behaviour, paranoia) also open a plan; abnormal behaviour also raises an
# orange alert for the crisis team (the plan's 行为失常 is where harm to self or others begins).
RULES = (
    VisitRule(RiskSign.CONFLICT, Tag.CONFLICT_DISTRESS),
    VisitRule(RiskSign.FRUSTRATION, Tag.CONFLICT_DISTRESS),
    VisitRule(RiskSign.IMBALANCE, Tag.CONFLICT_DISTRESS, plan=True),
    VisitRule(RiskSign.ABNORMAL, Tag.CONFLICT_DISTRESS, plan=True, alert="orange"),
    VisitRule(RiskSign.PARANOID, Tag.PARANOID_PERSONALITY, plan=True),
)
# A need or a dispute to be referred → the work-order kind it becomes.
NEED_KINDS = {Need.POVERTY: "hardship_aid", Need.EMPLOYMENT: "employment_help", Need.CAREGIVING: "disability_support"}
DISPUTE_KIND = "dispute_mediation"
PLAN_DAYS = 30
PLAN_GOALS = "化解矛盾、疏导情绪，恢复心理平衡（入户摸排发现）"
PLAN_INTERVENTIONS = "网格员每月入户走访；村（社区）心理咨询室心理疏导；必要时转介心理咨询或精神卫生医疗机构"
TEXT_MAX = 2000


def visible_grids(user):
    """Grid cells in the user's archive-editing area (the grid workers, the village and township workers)."""
    from xinli.core.scoping import scope_q

    return GridCell.objects.filter(scope_q(user, ARCHIVES_EDIT), active=True)


def grids_for(person) -> list[GridCell]:
    return list(GridCell.objects.filter(org_unit_id=person.org_unit_id, active=True).order_by("code"))


def grid_of(person) -> GridCell | None:
    row = GridResident.objects.filter(person=person).select_related("grid").order_by("-since", "-pk").first()
    return row.grid if row else None


def place(actor, person, grid: GridCell) -> GridResident:
    """Put a resident in a grid cell of their village (moving them from another cell)."""
    if not path_in_scope(actor, ARCHIVES_EDIT, person.org_path):
        raise PermissionDenied
    if grid.org_unit_id != person.org_unit_id:
        raise field_error("grid", _("Grid cell: {grid} is not in the person's village or community; pick one of its cells."),
                          grid=grid.name)
    GridResident.objects.filter(person=person).exclude(grid=grid).delete()
    row = GridResident.objects.filter(person=person, grid=grid).first()
    if row is None:
        row = GridResident(person=person, grid=grid).place_under(person)
        row.save()
    return row


def _check(person, grid, visited_on, situation, signs, needs, dispute_type, dispute_parties, mediation, mediator):
    errors = {}
    today = timezone.localdate()
    if visited_on is None or visited_on > today or visited_on < today - datetime.timedelta(days=366):
        errors["visited_on"] = _("Visit date: the day of the visit, not in the future and within the last year (YYYY-MM-DD).")
    if len((situation or "").strip()) > TEXT_MAX or len((dispute_parties or "").strip()) > TEXT_MAX:
        errors["situation"] = _("Situation: at most 2000 characters; shorten it.")
    if set(signs) - set(RiskSign.values):
        errors["risk_signs"] = _("Risk signs: pick from the list.")
    if set(needs) - set(Need.values):
        errors["needs"] = _("Needs: pick from the list.")
    if dispute_type and dispute_type not in DisputeType.values:
        errors["dispute_type"] = _("Dispute: pick the kind from the list.")
    if dispute_type and not (dispute_parties or "").strip():
        errors["dispute_parties"] = _("Parties: required with a dispute; write who is in dispute with whom.")
    if dispute_type and mediation not in Mediation.values:
        errors["mediation"] = _("Mediation: required with a dispute; say whether it was resolved, is being mediated or is to be referred.")
    if mediation and not dispute_type:
        errors["dispute_type"] = _("Dispute: pick its kind, or leave the mediation empty.")
    if mediation == Mediation.MEDIATING and not (mediator or "").strip():
        errors["mediator"] = _("People's mediator: required while a dispute is being mediated; write the mediator's name.")
    if errors:
        from xinli.core.i18n import bilingual

        raise ValidationError({k: ValidationError(bilingual(v)) for k, v in errors.items()})


def record_visit(actor, person, *, grid: GridCell, visited_on: datetime.date, situation: str = "", risk_signs=(), needs=(),
                 dispute_type: str = "", dispute_parties: str = "", mediation: str = "", mediator: str = "",
                 refer_needs: bool = False) -> HouseholdVisit:
    """Record a household visit and apply the declared rules, all in one transaction."""
    from xinli.archives import services as archives

    if not path_in_scope(actor, ARCHIVES_EDIT, person.org_path):
        raise PermissionDenied
    signs, needs = sorted(set(risk_signs)), sorted(set(needs))
    _check(person, grid, visited_on, situation, signs, needs, dispute_type, dispute_parties, mediation, mediator)
    with transaction.atomic():
        place(actor, person, grid)
        visit = HouseholdVisit(grid=grid, person=person, visited_on=visited_on, visited_by=actor if actor.pk else None,
                               situation=(situation or "").strip() or None, risk_signs=signs, needs=needs,
                               dispute_type=dispute_type or "", dispute_parties=(dispute_parties or "").strip() or None,
                               mediation=mediation or "", mediator=(mediator or "").strip()).place_under(person)
        visit.save()
        actions: dict = {}
        fired = [r for r in RULES if r.sign in signs]
        tags = {r.tag for r in fired}
        active = set(person.tags.filter(until__isnull=True).values_list("tag", flat=True))
        if tags - active:
            archives.set_tags(actor, person, sorted(active | tags))
            actions["tags"] = sorted(tags - active)
        if any(r.plan for r in fired):
            actions["plan"] = _open_plan(actor, person)
        levels = [r.alert for r in fired if r.alert]
        if levels:
            actions["alert"] = _raise(actor, person, levels, signs)
        orders = []
        if dispute_type and mediation == Mediation.REFER:
            orders.append(_order(actor, person, DISPUTE_KIND, _("Dispute to mediate: {kind}"), DisputeType(dispute_type).label))
        if refer_needs:
            for need in needs:
                orders.append(_order(actor, person, NEED_KINDS[need], _("Need found on a household visit: {kind}"), Need(need).label))
        if orders:
            actions["orders"] = orders
        HouseholdVisit.objects.filter(pk=visit.pk).update(actions=actions)
        visit.actions = actions
        audit.record(actor, audit.Action.CREATE, obj=visit, person=person, org_path=person.org_path,
                     detail={"signs": len(signs), "needs": len(needs), "dispute": bool(dispute_type)})
        queue_visit(actor, visit)  # risk signs and disputes to the 综治 platforms of the area (issue 19 part 5)
    return visit


def _open_plan(actor, person):
    from xinli.counselling.models import Plan
    from xinli.counselling.services import create_plan

    existing = Plan.objects.filter(person=person, state=Plan.State.ACTIVE, closed_at__isnull=True).first()
    if existing is not None:
        return {"existing": existing.pk}
    plan = create_plan(actor, person, goals=PLAN_GOALS, interventions=PLAN_INTERVENTIONS,
                       review_on=timezone.localdate() + datetime.timedelta(days=PLAN_DAYS), partners=("government", "family"))
    return {"opened": plan.pk}


def _raise(actor, person, levels, signs) -> int:
    from xinli.alerts.services import report

    found = "、".join(_zh(RiskSign(s).label) for s in signs)
    alert = report(actor, level="red" if "red" in levels else levels[0], summary=_zh(_("Found on a household visit: {signs}"), signs=found),
                   person=person)
    return alert.pk


def _zh(message, **params) -> str:
    """Text written into a record (an order's subject, an alert's summary): in Chinese, the records' language."""
    from django.utils.translation import override

    with override("zh-hans"):
        return str(message).format(**{k: str(v) for k, v in params.items()})


def _order(actor, person, kind_code: str, title, label) -> dict:
    """A work order for what the visit found, to the nearest office of the kind's department; when no office covers
    the village the visit is still recorded and says so (the worker sends it by hand once the office exists)."""
    from . import services

    kind = OrderKind.objects.get(code=kind_code)
    try:
        with transaction.atomic():
            order = services.dispatch(actor, kind=kind, title=_zh(title, kind=label)[:100], from_unit=person.org_unit,
                                      person=person)
    except (ValidationError, PermissionDenied):
        return {"kind": kind_code, "sent": False}
    return {"kind": kind_code, "sent": True, "order": order.pk}


GRID_COLUMNS = ("code", "name", "org_unit_code")


def import_grids(text: str, *, actor=None):
    """Grid cells from CSV text — columns ``code`` (the village's 12 digits, ``-``, the cell number: 370202001001-01),
    ``name``, ``org_unit_code`` (the village or community), optional ``households`` and ``worker`` (a username) — as
    org units are imported: every row checked first, any bad row → all problems with their line, nothing written; an
    existing code is updated (re-runnable). Returns ``regions.services.ImportReport``."""
    import csv
    import io
    import re

    from xinli.accounts.models import User
    from xinli.regions.models import OrgUnit
    from xinli.regions.services import ImportReport

    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [c for c in GRID_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"缺少列 / missing columns: {', '.join(missing)}"))
        return report
    rows, seen = [], set()
    for line, row in enumerate(reader, start=2):
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        unit_code, households = (row.get("org_unit_code") or "").strip(), (row.get("households") or "").strip()
        username = (row.get("worker") or "").strip()
        problems = []
        unit = OrgUnit.objects.filter(code=unit_code, valid_to__isnull=True).first()
        if unit is None or unit.level != "village":
            problems.append(f"org_unit_code：{unit_code} 不是现行村（社区）/ not a current village or community")
        if not re.fullmatch(r"\d{12}-\d{1,4}", code) or not code.startswith(unit_code):
            problems.append("code：村（社区）12 位代码-网格序号，如 370202001001-01 / the village's 12 digits, a dash, the cell number")
        if code in seen:
            problems.append(f"code：{code} 重复 / twice in the file")
        seen.add(code)
        if not name or len(name) > 100:
            problems.append("name：必填，不超过 100 个字 / required, at most 100 characters")
        if households and not households.isdigit():
            problems.append("households：户数须为整数 / a whole number")
        worker = User.objects.filter(username=username, is_active=True).first() if username else None
        if username and worker is None:
            problems.append(f"worker：没有启用的用户 {username} / no active user {username}")
        report.errors += [(line, p) for p in problems]
        rows.append((code, name, unit, int(households) if households.isdigit() else None, worker))
    if not report.ok:
        return report
    with transaction.atomic():
        for code, name, unit, households, worker in rows:
            grid, made = GridCell.objects.update_or_create(code=code, defaults={"name": name, "org_unit": unit,
                                                                                "households": households, "worker": worker})
            report.created += made
            report.updated += not made
        audit.record(actor, audit.Action.UPDATE, object_type="governance.gridcell", detail={"created": report.created, "updated": report.updated})
    return report


def outcome_message(visit: HouseholdVisit) -> str:
    """What the visit set in motion, for the worker (in the reader's language)."""
    from xinli.core.i18n import bilingual

    parts = [bilingual(_("Household visit recorded."))]
    actions = visit.actions or {}
    if actions.get("tags"):
        parts.append(bilingual(_("Added to the special populations.")))
    plan = actions.get("plan") or {}
    if plan.get("opened"):
        parts.append(bilingual(_("A personalised plan was opened for you (review in 30 days).")))
    if actions.get("alert"):
        parts.append(bilingual(_("An alert was raised for the crisis team.")))
    for order in actions.get("orders", []):
        if order["sent"]:
            parts.append(bilingual(_("Work order #{pk} sent."), pk=order["order"]))
        else:
            parts.append(bilingual(_("No department office covers this village for one of the needs: send it by hand when it exists.")))
    return " ".join(parts)
