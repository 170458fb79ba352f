"""Every read of the resident archive: scoped to the user, and audited when a person is shown."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinli.core import audit
from xinli.core.fields import blind_index
from xinli.core.policy import ARCHIVES_EDIT, ARCHIVES_VIEW
from xinli.core.scoping import has_capability, scope_q

from .models import Consent, Person, PopulationTag
from .normalize import normalize_id_number, normalize_name, normalize_phone, search_token

ID_LIKE = re.compile(r"^\s*\d{17}[\dXx]\s*$")
PHONE_LIKE = re.compile(r"^\s*\+?[\d\s-]{7,16}\s*$")
LATIN = re.compile(r"^[A-Za-z\s']+$")


def visible_persons(user, capability: str = ARCHIVES_VIEW) -> QuerySet[Person]:
    """Persons at or below the user's assignments that grant ``capability``. Nothing otherwise."""
    return Person.objects.filter(scope_q(user, capability)).select_related("org_unit")


def sampling_frame(user, unit, *, born_from: int, born_to: int) -> list[tuple[int, int]]:
    """The frame of an awareness-survey sample: (person id, org unit id) of the residents (status resident, birth year
    from ``born_from`` to ``born_to``) registered in a village or community under ``unit`` that ``user`` may read,
    in id order. Ids only: no personal field is decrypted or shown (the draw is audited by the caller)."""
    from .models import PersonStatus

    return list(visible_persons(user).filter(org_path__startswith=unit.path, status=PersonStatus.ACTIVE, birth_year__gte=born_from,
                                             birth_year__lte=born_to, org_unit__level="village")
                .order_by("pk").values_list("pk", "org_unit_id"))


def search_persons(user, *, q: str = "", id_number: str = "", org_unit=None, tag: str = "", status: str = "") -> QuerySet[Person]:
    """Scoped search. ``q`` is read as an ID number (18 characters), a phone number, pinyin initials or full pinyin
    (Latin letters), or a whole name (Chinese). Encrypted fields match exactly through their blind indexes."""
    qs = visible_persons(user)
    if id_number:
        qs = qs.filter(id_number_bidx=blind_index("id_number", id_number, normalize_id_number) or "-")
    q = (q or "").strip()
    if q:
        if ID_LIKE.match(q):
            qs = qs.filter(id_number_bidx=blind_index("id_number", q, normalize_id_number))
        elif PHONE_LIKE.match(q):
            qs = qs.filter(phone_bidx=blind_index("phone", q, normalize_phone) or "-")
        elif LATIN.match(q):
            token = search_token(q)
            qs = qs.filter(Q(name_initials_bidx=blind_index("name_initials", token)) | Q(name_pinyin_bidx=blind_index("name_pinyin", token)))
        else:
            qs = qs.filter(name_bidx=blind_index("name", q, normalize_name) or "-")
    if org_unit is not None:
        qs = qs.filter(org_path__startswith=org_unit.path)
    if tag:
        qs = qs.filter(pk__in=PopulationTag.objects.filter(tag=tag, until__isnull=True).values("person_id"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•]+$")
DIGITS = re.compile(r"^\d{4,17}[\dXx]?$")


def search_miss_kind(q: str) -> str:
    """Which matching rule a search that found nobody ran into, for the page to explain (docs/archive.md): every
    field matches whole, through an exact blind index — a surname, part of a name or part of a number finds nobody
    by design (an index of surnames or prefixes would let anyone holding the index enumerate residents).
    "surname" (one Chinese character), "name" (a whole Chinese name), "pinyin", "id" (18 characters), "id_part",
    "phone", or "" for an empty query."""
    from .validation import PHONE_RE

    q = (q or "").strip()
    if not q:
        return ""
    if CJK.match(q):
        return "surname" if len(q) == 1 else "name"
    if LATIN.match(q):
        return "pinyin"
    if ID_LIKE.match(q):
        return "id"
    compact = re.sub(r"[\s-]", "", q).removeprefix("+86")
    if PHONE_RE.match(compact):
        return "phone"
    if DIGITS.match(compact):
        return "id_part"
    return "name"


def person_ids_for_audit(user, q: str) -> tuple[list[int], str]:
    """The audit viewer's person filter: the ids of the persons whose whole name or ID number is ``q``, among the
    persons under the audit administrator's ``audit.view`` area, and what was searched by ("name", "id_number";
    "" when ``q`` is neither a whole Chinese name nor an 18-character ID number, and nothing is searched). Ids
    only — no field of the person is read or returned, so the audit administrator gains no access to the archive;
    the caller audits the search. Matching is the archive search's: exact, through the blind indexes."""
    from xinli.core.policy import AUDIT_VIEW

    kind = search_miss_kind(q)
    if kind not in ("name", "id"):
        return [], ""
    scope = scope_q(user, AUDIT_VIEW)  # matches nothing without the role
    q = q.strip()
    match = (Q(id_number_bidx=blind_index("id_number", q, normalize_id_number) or "-") if kind == "id"
             else Q(name_bidx=blind_index("name", q, normalize_name) or "-"))
    ids = list(Person.objects.filter(scope).filter(match).order_by("pk").values_list("pk", flat=True)[:500])
    # Audit entries keep the person id they were written with (append-only): a record merged into one found (issue
    # 17) has its history under its own id, so its id is added (merges point every merged record to the survivor).
    merged = Person.objects.filter(scope).filter(merged_into_id__in=ids).exclude(pk__in=ids).values_list("pk", flat=True)
    ids = sorted({*ids, *merged[:500]})
    return ids, "id_number" if kind == "id" else "name"


def get_person(user, pk, *, purpose: str = "", capability: str = ARCHIVES_VIEW) -> Person:
    """One person the user may see, audited as a read. Raises ``Person.DoesNotExist`` (404) outside scope."""
    person = visible_persons(user, capability).get(pk=pk)
    audit.record(user, audit.Action.READ, obj=person, person=person, purpose=purpose)
    return person


def get_person_for_edit(user, pk) -> Person:
    return get_person(user, pk, purpose="edit", capability=ARCHIVES_EDIT)


def person_consents(person: Person) -> QuerySet[Consent]:
    """Consents of a person already fetched through ``get_person`` (so the read is scoped and audited)."""
    return Consent.objects.filter(person=person).order_by("-given_at", "-id")


def visible_consents(user) -> QuerySet[Consent]:
    return Consent.objects.filter(scope_q(user, ARCHIVES_VIEW)).select_related("person")


def person_tags(person: Person) -> list[PopulationTag]:
    return list(PopulationTag.objects.filter(person=person, until__isnull=True).order_by("tag"))


def count_visible(user) -> int:
    return visible_persons(user).count()


def visible_duplicate_requests(user) -> QuerySet:
    """Duplicate ID-number requests the user resolves: those whose common ancestor unit lies in the area where the
    user edits the archive (officers of that ancestor or above), except the user's own requests — who asked does not
    decide, and is not shown the other record. They name no person."""
    from .models import DuplicateRequest

    qs = DuplicateRequest.objects.filter(scope_q(user, ARCHIVES_EDIT)).select_related("unit", "requester", "resolved_by")
    return qs.exclude(requester=user) if getattr(user, "pk", None) else qs


def duplicate_requests(user, *, status: str = "open") -> QuerySet:
    """The officers' worklist: ``status`` "open" (the default), "closed" (every other status) or one status."""
    from .models import DuplicateRequest

    qs = visible_duplicate_requests(user)
    if status == "closed":
        qs = qs.exclude(status=DuplicateRequest.Status.OPEN)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def open_duplicate_request_count(user) -> int:
    """How many duplicate ID-number requests wait for the user (the home card and the archive's link); 0 without
    ``archives.edit``."""
    from .models import DuplicateRequest

    if not has_capability(user, ARCHIVES_EDIT):
        return 0
    return visible_duplicate_requests(user).filter(status=DuplicateRequest.Status.OPEN).count()


def get_duplicate_request(user, pk):
    """One request the user resolves; ``DuplicateRequest.DoesNotExist`` (404) otherwise — outside the area, the
    user's own, or no such request alike."""
    return visible_duplicate_requests(user).get(pk=pk)


def duplicate_holders(user, requests) -> dict:
    """{blind index: the person holding that ID number} for ``requests``, among the persons the user may edit (the
    officers of the common ancestor edit both areas). Only the record's id and unit are loaded, for a link: opening
    the record (``get_person``) is the audited read."""
    keys = {r.id_number_bidx for r in requests}
    if not keys:
        return {}
    rows = (visible_persons(user, ARCHIVES_EDIT).filter(id_number_bidx__in=keys)
            .only("pk", "org_path", "id_number_bidx", "org_unit__name", "org_unit__code"))
    return {p.id_number_bidx: p for p in rows}


# --- possible duplicates and merges (issue 17) ----------------------------------------------------------------------

def _merge_scope(user, *fields: str) -> Q:
    """Rows whose every named person path lies where the user holds both ``archives.merge`` and ``archives.edit``."""
    from xinli.core.policy import ARCHIVES_MERGE

    q = Q()
    for f in fields:
        q &= scope_q(user, ARCHIVES_MERGE, f) & scope_q(user, ARCHIVES_EDIT, f)
    return q


def mergeable_persons(user) -> QuerySet[Person]:
    """Records the user may compare and merge (``archives.merge`` and ``archives.edit``). Ids only: not audited."""
    return Person.objects.filter(_merge_scope(user, "org_path"))


def possible_duplicates(user, *, state: str = "open") -> QuerySet:
    """The review list: pairs of records the user may merge (both records in the user's merge area), by state
    ("open" by default, "closed" for merged and dismissed). Record numbers and units only: no personal field."""
    from .models import PossibleDuplicate

    qs = (PossibleDuplicate.objects.filter(_merge_scope(user, "person_a__org_path", "person_b__org_path"))
          .select_related("person_a__org_unit", "person_b__org_unit", "decided_by"))
    if state == "closed":
        qs = qs.exclude(state=PossibleDuplicate.State.OPEN)
    elif state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def open_possible_duplicate_count(user) -> int:
    from xinli.core.policy import ARCHIVES_MERGE

    if not has_capability(user, ARCHIVES_MERGE):
        return 0
    return possible_duplicates(user).count()


def get_possible_duplicate(user, pk):
    """One pair the user may decide; ``PossibleDuplicate.DoesNotExist`` (404) otherwise."""
    return possible_duplicates(user, state="").get(pk=pk)


def persons_for_merge(user, pk_a, pk_b, *, purpose: str = "merge") -> tuple[Person, Person]:
    """The two records to compare, both where the user may merge, each read audited. ``Person.DoesNotExist`` (404)
    when either is outside, missing, or both are the same record."""
    if pk_a == pk_b:
        raise Person.DoesNotExist
    rows = {p.pk: p for p in Person.objects.filter(_merge_scope(user, "org_path")).filter(pk__in=[pk_a, pk_b])
            .select_related("org_unit")}
    if len(rows) != 2:
        raise Person.DoesNotExist
    pair = (rows[pk_a], rows[pk_b])
    audit.record_person_reads(user, pair, purpose=purpose)
    return pair


def merges(user) -> QuerySet:
    """Merge records of pairs the user may merge (both records in the user's merge area)."""
    from .models import PersonMerge

    return (PersonMerge.objects.filter(_merge_scope(user, "survivor__org_path", "merged__org_path"))
            .select_related("survivor__org_unit", "merged__org_unit", "merged_by", "undone_by").order_by("-merged_at", "-id"))


def get_merge(user, pk):
    return merges(user).get(pk=pk)


def compare_persons(a: Person, b: Person) -> dict:
    """Everything the comparison page and API show of two records already read through ``persons_for_merge``:
    fields (label, value a, value b, differs), active population tags, consents, and the number of linked rows of
    every kind a merge moves."""
    from django.utils.formats import date_format

    from .merge import linked_counts
    from .models import Tag

    def shown(p: Person, name: str):
        value = getattr(p, name)
        if name == "org_unit":
            return p.org_unit.name
        if name in ("sex", "status"):
            return getattr(p, f"get_{name}_display")()
        if name in ("created_at", "updated_at"):
            return date_format(timezone.localtime(value), "Y-m-d H:i")
        if name == "birth_date":
            return value.isoformat() if value else ""
        return value or ""

    names = ("name", "id_number", "sex", "birth_date", "phone", "address", "org_unit", "status", "created_at", "updated_at")
    fields = []
    for name in names:
        va, vb = shown(a, name), shown(b, name)
        fields.append({"field": name, "label": Person._meta.get_field(name).verbose_name, "a": va, "b": vb,
                       "differs": va != vb})
    tag_labels = dict(Tag.choices)
    tags = {p.pk: [{"tag": t.tag, "label": tag_labels.get(t.tag, t.tag), "since": t.since} for t in person_tags(p)]
            for p in (a, b)}
    consents = {p.pk: list(person_consents(p)) for p in (a, b)}
    ca, cb = linked_counts(a), linked_counts(b)
    counts = [{"kind": key, "label": label, "a": na, "b": nb} for (key, label, na), (_k, _l, nb) in zip(ca, cb, strict=True)]
    return {"fields": fields, "tags": tags, "consents": consents, "counts": counts}
