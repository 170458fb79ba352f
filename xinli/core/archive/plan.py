"""Which rows make up one region: every model is classified once, so a new model is either picked up by a rule or
fails ``test_export_archive`` until someone decides where it belongs.

* **region** — a model with ``org_path``: its rows whose path is under the unit's path.
* **child** — a model without ``org_path`` whose foreign key points at a region or child model (alert events,
  sessions, certificates, M2M through rows, ...): its rows whose parent was selected. Non-null parent keys decide
  when a model has any, so an optional link (a session's assessment) does not pull in another region's case.
* **unit config** — per-unit settings without ``org_path`` (populations, deadline and reminder policies, targets):
  rows of the subtree's units. These and the subtree's org units are restored like dependencies (only where
  missing), so a region can be restored into a database that kept the org tree.
* **dependencies** — every row a selected row points at and that was not selected (the subtree's ancestors, a
  hospital in another county a referral went to, the users who recorded things, the checklist of an inspection):
  added until closed. They are restored only where the target lacks them.
* **personal** — a region or child model holding personal data: an encrypted or blind-index column, or a link to
  such a model (a tag names its person, a task its patient). A row of a personal model outside the region is never
  exported, not even as a dependency (purpose limitation, PIPL): a link to it from a region row (a call in county A
  whose caller lives in county B, the alert it raised there) is exported as NULL when the key is nullable; when it
  is not, the region row itself is **left out**, and so is everything that needs it (a case kept in A for a person
  now in B, with its sessions). The manifest counts what was withheld, left out and cleared.
* **stub** — users travel as inactive stubs: username and display name only, no password, no mobile, no roles, no
  second factor, no tokens. A restore never grants anyone access.
* **excluded** — listed below with the reason.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q

from ..fields import BlindIndexField, EncryptedTextField

CHUNK = 900  # ids per IN (...) list: under SQLite's default limit of 999 parameters

EXCLUDED = {
    "core.auditentry": "exported separately as a verified segment of the chain",
    "core.audithead": "the target keeps its own chain head",
    "core.auditcheckpoint": "the target verifies and checkpoints its own chain",
    "accounts.assignment": "access is granted afresh by the target's security administrator",
    "accounts.apitoken": "credentials never leave the database",
    "accounts.user_groups": "Django groups are not used",
    "accounts.user_user_permissions": "Django permissions are not used",
    "otp_totp.totpdevice": "second-factor secrets never leave the database",
    "field.device": "a worker's phone is registered afresh at the target (and wiped there by revocation, not moved)",
    "field.syncitem": "a device's sync log (idempotency keys and outcomes); the records it wrote travel as region rows",
    "portal.residentaccount": "a resident's log-in belongs to the resident, not to the region's records",
    "governance.exchangepartner": "an external platform's registration and shared secret: registered afresh at the target",
    "governance.exchangenonce": "replay-protection state of the exchange API (minutes long)",
    "governance.exchangemessage": "the exchange outbox of a partner registered at this installation only",
    "admin.logentry": "Django admin history",
    "auth.permission": "created by migrate",
    "auth.group": "not used",
    "auth.group_permissions": "not used",
    "contenttypes.contenttype": "created by migrate",
    "sessions.session": "log-in sessions",
    "axes.accessattempt": "log-in failures",
    "axes.accessattemptexpiration": "log-in failures",
    "axes.accesslog": "log-in history",
    "axes.accessfailurelog": "log-in failures",
}
UNIT_CONFIG = {"regions.unitpopulation", "regions.regionparameter", "alerts.deadlinepolicy", "smd.reminderpolicy", "indicators.target"}
STUB = "accounts.user"
ORG_UNIT = "regions.orgunit"
# Reached only as a dependency of a selected row (or, for imported scales, by the assessments' scale codes).
REFERENCE = {"network.checklist", "outreach.awarenesssurvey", "scales.importedscale", "regions.department", "governance.orderkind"}


def label(model) -> str:
    return model._meta.label_lower


def all_models():
    return [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy]


def fks(model):
    return [f for f in model._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)]


def classify() -> dict[str, str]:
    """label -> region | child | unit_config | stub | org_unit | reference | excluded | unclassified."""
    kinds: dict[str, str] = {}
    for m in all_models():
        lab = label(m)
        if lab in EXCLUDED:
            kinds[lab] = "excluded"
        elif lab == ORG_UNIT:
            kinds[lab] = "org_unit"
        elif lab == STUB:
            kinds[lab] = "stub"
        elif lab in UNIT_CONFIG:
            kinds[lab] = "unit_config"
        elif lab in REFERENCE:
            kinds[lab] = "reference"
        elif any(f.name == "org_path" for f in m._meta.concrete_fields):
            kinds[lab] = "region"
    changed = True
    while changed:
        changed = False
        for m in all_models():
            if label(m) not in kinds and any(kinds.get(label(f.related_model)) in ("region", "child") for f in fks(m)):
                kinds[label(m)] = "child"
                changed = True
    for m in all_models():
        kinds.setdefault(label(m), "unclassified")
    return kinds


def personal_labels(kinds=None) -> set[str]:
    """The region and child models that hold personal data: an encrypted or blind-index column, or a foreign key
    to such a model (until closed). Their rows outside the region never leave it."""
    kinds = kinds or classify()
    models = [m for m in all_models() if kinds.get(label(m)) in ("region", "child")]
    out = {label(m) for m in models
           if any(isinstance(f, (EncryptedTextField, BlindIndexField)) for f in m._meta.concrete_fields)}
    changed = True
    while changed:
        changed = False
        for m in models:
            if label(m) not in out and any(label(f.related_model) in out for f in fks(m)):
                out.add(label(m))
                changed = True
    return out


def parent_fks(model, kinds):
    """The keys that make a child row belong to the region: non-null ones if the model has any, else the others."""
    cands = [f for f in fks(model) if kinds.get(label(f.related_model)) in ("region", "child")]
    required = [f for f in cands if not f.null]
    return required or cands


@dataclass
class Selection:
    """Primary keys per model: ``own`` rows belong to the region (must be absent from a restore target),
    ``deps`` rows are needed by them (restored only where missing). Not exported: ``withheld`` rows of personal
    models outside the region that selected rows point at, and ``left_out`` region rows whose non-null key points
    at a withheld or left-out row (they are no longer in ``own``)."""

    own: dict[type, set] = field(default_factory=dict)
    deps: dict[type, set] = field(default_factory=dict)
    withheld: dict[type, set] = field(default_factory=dict)
    left_out: dict[type, set] = field(default_factory=dict)

    def gone(self, model) -> set:
        """Rows of ``model`` a link may point at but the archive does not hold: links to them are cleared."""
        return self.withheld.get(model, set()) | self.left_out.get(model, set())

    def has(self, model, pk) -> bool:
        return pk in self.own.get(model, ()) or pk in self.deps.get(model, ())

    def models(self):
        return [m for m in set(self.own) | set(self.deps) if self.own.get(m) or self.deps.get(m)]

    def pks(self, model) -> set:
        return self.own.get(model, set()) | self.deps.get(model, set())


def _pks(qs) -> set:
    return set(qs.values_list("pk", flat=True))


def _in_chunks(model, using, field_name, values) -> set:
    values, out = list(values), set()
    for i in range(0, len(values), CHUNK):
        out |= _pks(model._base_manager.using(using).filter(**{f"{field_name}__in": values[i:i + CHUNK]}))
    return out


def select(unit, using: str = "default") -> Selection:
    """Every row of ``unit``'s region and everything those rows point at."""
    kinds = classify()
    unclassified = sorted(k for k, v in kinds.items() if v == "unclassified")
    if unclassified:
        raise RuntimeError(f"models without an archive rule: {unclassified} (see xinli/core/archive/plan.py)")
    by_label = {label(m): m for m in all_models()}
    sel = Selection()
    OrgUnit = by_label[ORG_UNIT]
    # The subtree's units and their settings are restored where missing: a target may still have the org tree.
    units = _pks(OrgUnit._base_manager.using(using).filter(path__startswith=unit.path))
    sel.deps[OrgUnit] = units
    for lab, kind in kinds.items():
        model = by_label[lab]
        if kind == "region":
            sel.own[model] = _pks(model._base_manager.using(using).filter(org_path__startswith=unit.path))
        elif kind == "unit_config":
            sel.deps[model] = _in_chunks(model, using, "org_unit", units)
    # Children in dependency order, so a grandchild sees its parents' selection.
    children = [by_label[k] for k, v in kinds.items() if v == "child"]
    graph = {m: {f.related_model for f in parent_fks(m, kinds) if f.related_model in children} for m in children}
    for model in graphlib.TopologicalSorter(graph).static_order():
        rows = set()
        for f in parent_fks(model, kinds):
            rows |= _in_chunks(model, using, f.attname, sel.own.get(f.related_model, ()))
        sel.own[model] = rows
    scales = by_label.get("scales.importedscale")
    assessments = by_label.get("screening.assessment")
    if scales is not None and assessments is not None:
        codes = set()
        ids = list(sel.own.get(assessments, ()))
        for i in range(0, len(ids), CHUNK):
            codes |= set(assessments._base_manager.using(using).filter(pk__in=ids[i:i + CHUNK])
                         .values_list("scale", flat=True).distinct())
        sel.deps[scales] = _in_chunks(scales, using, "code", codes)
    personal = {by_label[lab] for lab in personal_labels(kinds)}
    base = {m: set(pks) for m, pks in sel.deps.items()}
    while True:
        # Rows left out may have been the only ones pointing at some dependency: close again from scratch.
        sel.deps, sel.withheld = {m: set(pks) for m, pks in base.items()}, {}
        _close(sel, using, kinds, personal)
        if not _leave_out(sel, using):
            return sel


def _leave_out(sel: Selection, using: str) -> bool:
    """Move region rows whose non-null key points at a withheld or left-out row to ``left_out``, until closed.
    (Only rows of personal models can be affected: a model linking a personal model is personal itself; and a
    dependency is never of a personal model, so dependencies stay complete.)"""
    moved = False
    changed = True
    while changed:
        changed = False
        for model in list(sel.own):
            for f in fks(model):
                gone = sel.gone(f.related_model)
                if f.null or not gone or not sel.own.get(model):
                    continue
                rows = _in_chunks(model, using, f.attname, gone) & sel.own[model]
                if rows:
                    sel.own[model] -= rows
                    sel.left_out.setdefault(model, set()).update(rows)
                    changed = moved = True
    return moved


def _close(sel: Selection, using: str, kinds, personal=frozenset()) -> None:
    """Add every row a selected row points at, until nothing new appears; a row of a personal model outside the
    region is withheld instead (not added, not followed)."""
    pending = {m: set(sel.pks(m)) for m in sel.models()}
    while pending:
        wanted: dict[type, set] = {}
        for model, pks in pending.items():
            for f in fks(model):
                target = f.related_model
                if kinds.get(label(target)) == "excluded":
                    continue
                ids, gone = list(pks), sel.gone(target)
                for i in range(0, len(ids), CHUNK):
                    refs = model._base_manager.using(using).filter(pk__in=ids[i:i + CHUNK]).exclude(
                        **{f"{f.attname}__isnull": True}).values_list(f.attname, flat=True).distinct()
                    wanted.setdefault(target, set()).update(r for r in refs if not sel.has(target, r) and r not in gone)
        pending = {}
        for target, ids in wanted.items():
            if target in personal:
                sel.withheld.setdefault(target, set()).update(ids)
                continue
            if ids:
                sel.deps.setdefault(target, set()).update(ids)
                pending[target] = ids


def region_rows_exist(path: str, using: str) -> dict[str, int]:
    """Rows of the region already in ``using``: table -> count (the restore target must have none)."""
    found = {}
    for lab, kind in classify().items():
        if kind == "region":
            model = apps.get_model(lab)
            n = model._base_manager.using(using).filter(Q(org_path__startswith=path)).count()
            if n:
                found[model._meta.db_table] = n
    return found
