"""Merging two records of the same resident (issue 17, docs/archive.md "Duplicate archives").

One record survives; every row that names the other one points to the survivor afterwards. The rows are found
generically: every foreign key to ``Person`` in any app (``person_links``: ``Person._meta`` with hidden relations),
so a new app's foreign key is moved without touching this module. Rules:

- a relation listed in ``RULES`` as ``KEEP`` stays (the review list's pairs and the merge records: history about the
  two records themselves);
- population tags (``END_DUPLICATE``): moved; a tag active on both records is ended on the moved row (``until`` =
  the day of the merge), the survivor's stays;
- every other relation is moved (``MOVE``). Where a one-to-one field or a unique constraint (with its condition)
  allows one row per person — the SMD register record, the active personalised plan — and both records have one,
  the merge is refused, naming both rows, and nothing is written: close or correct one of them first;
- consents and population tags are placed under the survivor's unit, as moving a person does, and tags take the
  survivor's sex (they mirror it for the indicator counts); records kept by
  area in other apps (SMD record, cases, plans …) keep their unit: moving a responsibility is a transfer.
- Non-foreign-key references (``NON_FK_REFERENCES``): audit entries keep the person id they were written with (the
  log is append-only); the audit viewer's person search adds the records merged into the one found.

The merged record is kept, status "merged" with ``merged_into`` the survivor (never deleted). The merge's audit entry
lists every moved row (model, table, pk, field, and the other columns the merge changed with their old and new
values, and a keyed digest of the row as the merge left it): ``undo_merge`` reads that entry and restores exactly,
within ``MERGE_UNDO_DAYS`` and only if none of those rows changed since (else it refuses, naming the rows). Who: holders of ``archives.merge`` and ``archives.edit``
over both records; reads of both records for the comparison are audited."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.crypto import keyring
from xinli.core.i18n import bilingual, field_error
from xinli.core.models import AuditEntry
from xinli.core.policy import ARCHIVES_EDIT, ARCHIVES_MERGE
from xinli.core.scoping import path_in_scope
from xinli.regions.models import common_path

from .models import Person, PersonMerge, PersonStatus, PossibleDuplicate

MERGE_UNDO_DAYS = 30

KEEP, MOVE, END_DUPLICATE = "keep", "move", "end_duplicate"
RULES = {
    "archives.possibleduplicate.person_a": KEEP,
    "archives.possibleduplicate.person_b": KEEP,
    "archives.personmerge.survivor": KEEP,
    "archives.personmerge.merged": KEEP,
    "archives.populationtag.person": END_DUPLICATE,
}
# How a refusal names the rows that may exist once per person (else the model's name).
CONFLICT_LABELS = {
    "smd.patient": _("record in the severe-mental-disorder register"),
    "counselling.plan": _("active personalised plan"),
}
# How the comparison and merge pages name the kinds of linked rows (else the model's plural name).
LINK_LABELS = {
    "alerts.affectedperson": _("persons affected by a crisis event"),
    "alerts.alert": _("alerts"),
    "alerts.crisiscase": _("crisis intervention cases"),
    "archives.consent": _("consents"),
    "archives.person": _("records merged into this one earlier"),
    "archives.populationtag": _("population tags"),
    "counselling.booking": _("counselling bookings"),
    "counselling.case": _("counselling cases"),
    "counselling.plan": _("personalised plans"),
    "counselling.referral": _("referrals"),
    "field.fieldnote": _("field notes (home visits, kept entries, photos)"),
    "field.scheduledvisit": _("scheduled home visits"),
    "governance.gridresident": _("grid placements"),
    "governance.householdvisit": _("household visits"),
    "governance.workorder": _("work orders"),
    "hotline.call": _("hotline calls"),
    "outreach.invitation": _("awareness survey invitations"),
    "screening.assessment": _("assessments"),
    "screening.participant": _("screening campaign participants"),
    "smd.patient": _("records in the severe-mental-disorder register"),
}
# Rows placed under their person's unit by the archive itself: they follow the survivor's unit.
REPLACED = {"archives.consent", "archives.populationtag"}
# Columns that hold a person id without a foreign key, and how a merge deals with them.
NON_FK_REFERENCES = {
    "core.auditentry.person_id": "append-only: kept; the audit viewer's person search adds the merged records",
}


@dataclass(frozen=True)
class Link:
    """A foreign key (or one-to-one field) of some model to ``Person``."""

    model: type
    field: models.Field

    @property
    def key(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field.name}"

    @property
    def rule(self) -> str:
        return RULES.get(self.key, MOVE)

    @property
    def label(self):
        return kind_label(self.model._meta.label_lower)

    def unique_sets(self) -> list[tuple[tuple[str, ...], object]]:
        """The ways the model allows only one row per person (per the other fields): (other fields, condition)."""
        out = []
        if self.field.one_to_one or self.field.unique:
            out.append(((), None))
        for c in self.model._meta.constraints:
            if isinstance(c, models.UniqueConstraint) and c.fields and self.field.name in c.fields:
                out.append((tuple(f for f in c.fields if f != self.field.name), c.condition))
        for together in self.model._meta.unique_together:
            if self.field.name in together:
                out.append((tuple(f for f in together if f != self.field.name), None))
        return out

    def rows(self, person):
        return self.model._base_manager.filter(**{self.field.name: person.pk})


def kind_label(label_lower: str):
    model = apps.get_model(label_lower)
    # Django's default plural is the name + "s", an English ending on a Chinese page: the name itself then.
    plural = model._meta.original_attrs.get("verbose_name_plural") or model._meta.verbose_name
    return LINK_LABELS.get(label_lower, plural)


def moved_summary(moved: list) -> str:
    """The rows a merge moved, by kind, in the reader's language (the audit viewer): "知情同意 1、人群标签 2"."""
    kinds: dict[str, int] = {}
    for item in moved:
        if isinstance(item, dict) and "model" in item:
            kinds[item["model"]] = kinds.get(item["model"], 0) + 1
    parts = []
    for label, n in sorted(kinds.items()):
        try:
            parts.append(f"{kind_label(label)} {n}")
        except LookupError:
            parts.append(f"{label} {n}")
    return "、".join(parts) or "—"


def person_links() -> list[Link]:
    """Every foreign key to ``Person`` in every installed app, hidden ones (``related_name="+"``) included."""
    out = []
    for rel in Person._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and rel.is_relation and (rel.one_to_many or rel.one_to_one):
            out.append(Link(rel.related_model, rel.field))
    return sorted(out, key=lambda link: link.key)


def can_merge(actor, *persons) -> bool:
    """``archives.merge`` and ``archives.edit`` over every one of ``persons``."""
    return all(path_in_scope(actor, ARCHIVES_MERGE, p.org_path) and path_in_scope(actor, ARCHIVES_EDIT, p.org_path)
               for p in persons)


def linked_counts(person) -> list[tuple[str, object, int]]:
    """(relation key, label, number of rows) for every relation a merge moves."""
    return [(link.key, link.label, link.rows(person).count()) for link in person_links() if link.rule != KEEP]


def _conflicts(link: Link, survivor, merged) -> list[str]:
    if link.rule != MOVE:
        return []
    out = []
    for others, condition in link.unique_sets():
        attnames = [link.model._meta.get_field(f).attname for f in others]

        def keyed(person, attnames=attnames, condition=condition):
            qs = link.rows(person)
            if condition is not None:
                qs = qs.filter(condition)
            return {tuple(getattr(r, a) for a in attnames): r.pk for r in qs}
        kept, moving = keyed(survivor), keyed(merged)
        for key in sorted(kept.keys() & moving.keys(), key=str):
            out.append(bilingual(_("Merge refused: each of the two records has its own {what} (number {a} on record {sa}, "
                                   "number {b} on record {sb}), and a person can have only one; close or correct one of "
                                   "them first."),
                                 what=CONFLICT_LABELS.get(link.model._meta.label_lower, link.model._meta.verbose_name), a=kept[key], sa=survivor.pk, b=moving[key], sb=merged.pk))
    return out


def _json(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _fingerprint(model, pk) -> str:
    """A keyed digest (HMAC-SM3, the blind-index key) of every column of one row as it is now: the undo compares it
    with the digest taken right after the merge, so any change to the row since is seen. Keyed, so the audit entry
    that keeps it reveals nothing of the row's content."""
    values = model._base_manager.filter(pk=pk).values().first()
    return keyring().blind_index("merge_row", json.dumps(values, sort_keys=True, default=str, ensure_ascii=False))


def merge_persons(actor, survivor: Person, merged: Person, *, pair: PossibleDuplicate | None = None) -> PersonMerge:
    """Merge ``merged`` into ``survivor`` (see the module's rules). Refusals (no right, same record, a record already
    merged, a one-per-person conflict) write nothing. Returns the merge record."""
    if survivor.pk == merged.pk:
        raise field_error("merged", _("Merge: the two records are the same; pick two different records."))
    if not can_merge(actor, survivor, merged):
        raise PermissionDenied
    with transaction.atomic():
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        for p in (survivor, merged):
            if p.status == PersonStatus.MERGED:
                raise field_error("merged", _("Merge: record {pk} was itself merged into record {into}; compare with "
                                              "that record instead."), pk=p.pk, into=p.merged_into_id)
        from .models import Transfer

        pending = Transfer.objects.filter(person_id__in=[survivor.pk, merged.pk], status=Transfer.Status.PENDING).order_by("pk").first()
        if pending is not None:  # a transfer waiting for acceptance is decided first (its items belong to one record)
            raise field_error("merged", _("Merge: record {pk} has a transfer waiting for acceptance (number {t}); accept or "
                                          "return it first."), pk=pending.person_id, t=pending.pk)
        links = person_links()
        problems = [m for link in links for m in _conflicts(link, survivor, merged)]
        if problems:
            raise ValidationError({"merged": problems})
        now = timezone.now()
        today = timezone.localdate()
        moved = []
        for link in links:
            if link.rule == KEEP:
                continue
            label = link.model._meta.label_lower
            manager = link.model._base_manager
            survivor_tags = set()
            if link.rule == END_DUPLICATE:
                survivor_tags = set(link.rows(survivor).filter(until__isnull=True).values_list("tag", flat=True))
            for row in link.rows(merged).order_by("pk"):
                old, new = {}, {}
                if label in REPLACED and row.org_path != survivor.org_path:
                    old.update(org_path=row.org_path, county_code=row.county_code)
                    new.update(org_path=survivor.org_path, county_code=survivor.county_code)
                if label == "archives.populationtag" and row.sex != survivor.sex:
                    old["sex"], new["sex"] = row.sex, survivor.sex  # a tag mirrors its person's sex (T09/CA1 counts)
                if link.rule == END_DUPLICATE and row.until is None and row.tag in survivor_tags:
                    old["until"], new["until"] = None, today
                manager.filter(pk=row.pk).update(**{link.field.attname: survivor.pk}, **new)
                item = {"model": label, "table": link.model._meta.db_table, "pk": row.pk, "field": link.field.attname}
                if new:
                    item["old"] = {k: _json(v) for k, v in old.items()}
                    item["new"] = {k: _json(v) for k, v in new.items()}
                item["sum"] = _fingerprint(link.model, row.pk)
                moved.append(item)
        Person.objects.filter(pk=merged.pk).update(status=PersonStatus.MERGED, merged_into=survivor.pk,
                                                   version=merged.version + 1, updated_at=now)
        if pair is None:
            a, b = sorted((survivor.pk, merged.pk))
            pair = PossibleDuplicate.objects.filter(person_a_id=a, person_b_id=b).first()
        pair_state = None
        if pair is not None:
            pair_state = pair.state
            PossibleDuplicate.objects.filter(pk=pair.pk).update(state=PossibleDuplicate.State.MERGED, decided_by=actor,
                                                                decided_at=now)
        record = PersonMerge.objects.create(survivor=survivor, merged=merged, merged_by=actor, merged_at=now, moved=moved,
                                            org_path=common_path([survivor.org_path, merged.org_path]))
        entry = audit.record(actor, audit.Action.UPDATE, obj=record, person=survivor, purpose="merge", detail={
            "survivor": survivor.pk, "merged_person": merged.pk, "merged_status": merged.status,
            "merged_version": merged.version + 1, "pair": pair.pk if pair is not None else None, "pair_state": pair_state,
            "moved": moved})
        audit.record(actor, audit.Action.UPDATE, obj=merged, person=merged, purpose="merge",
                     detail={"merged_into": survivor.pk, "merge": record.pk})
        PersonMerge.objects.filter(pk=record.pk).update(audit_entry_id=entry.pk)
        record.audit_entry_id = entry.pk
    return record


def undo_deadline(record: PersonMerge) -> datetime.datetime:
    return record.merged_at + datetime.timedelta(days=MERGE_UNDO_DAYS)


def undo_merge(actor, record: PersonMerge) -> PersonMerge:
    """Restore the two records as they were before ``record``, from the merge's audit entry: every moved row points
    to the merged record again with its changed columns restored, the merged record gets its status back. Refused
    (nothing written) when already undone, after ``MERGE_UNDO_DAYS``, or when a moved row was changed, removed or
    re-pointed since (each named). Who: whoever may merge the two records now."""
    survivor, merged = record.survivor, record.merged
    if not can_merge(actor, survivor, merged):
        raise PermissionDenied
    if record.undone_at is not None:
        raise field_error("merge", _("Undo: this merge was already undone."), code="conflict")
    if timezone.now() > undo_deadline(record):
        raise field_error("merge", _("Undo: possible only within {days} days of the merge; correct the records by hand "
                                     "instead."), days=MERGE_UNDO_DAYS)
    with transaction.atomic():
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if PersonMerge.objects.select_for_update().filter(pk=record.pk, undone_at__isnull=True).count() != 1:
            raise field_error("merge", _("Undo: this merge was already undone."), code="conflict")
        entry = AuditEntry.objects.get(pk=record.audit_entry_id)
        data = entry.detail
        problems = []
        if merged.status != PersonStatus.MERGED or merged.merged_into_id != survivor.pk:
            problems.append(bilingual(_("Undo refused: record {pk} is no longer merged into record {into}."),
                                      pk=merged.pk, into=survivor.pk))
        rows = []
        for item in data["moved"]:
            model = apps.get_model(item["model"])
            row = model._base_manager.filter(pk=item["pk"]).first()
            what = model._meta.verbose_name
            if row is None:
                problems.append(bilingual(_("Undo refused: {what} number {pk} was deleted since the merge."), what=what,
                                          pk=item["pk"]))
                continue
            if getattr(row, item["field"]) != survivor.pk or _fingerprint(model, row.pk) != item["sum"]:
                problems.append(bilingual(_("Undo refused: {what} number {pk} was changed since the merge; correct the "
                                            "records by hand instead."), what=what, pk=item["pk"]))
            rows.append((model, item))
        if problems:
            raise ValidationError({"merge": problems[:20]})
        for model, item in rows:
            restore = {item["field"]: merged.pk}
            for k, v in (item.get("old") or {}).items():
                restore[k] = model._meta.get_field(k).to_python(v)
            model._base_manager.filter(pk=item["pk"]).update(**restore)
        now = timezone.now()
        Person.objects.filter(pk=merged.pk).update(status=data["merged_status"], merged_into=None,
                                                   version=merged.version + 1, updated_at=now)
        if data.get("pair"):
            PossibleDuplicate.objects.filter(pk=data["pair"]).update(state=data.get("pair_state") or PossibleDuplicate.State.OPEN,
                                                                     decided_by=None, decided_at=None)
        PersonMerge.objects.filter(pk=record.pk).update(undone_by=actor, undone_at=now)
        audit.record(actor, audit.Action.UPDATE, obj=record, person=survivor, purpose="merge",
                     detail={"undone": True, "restored": len(rows), "merged_person": merged.pk})
        audit.record(actor, audit.Action.UPDATE, obj=merged, person=merged, purpose="merge",
                     detail={"undone": True, "merge": record.pk})
    record.refresh_from_db()
    return record
