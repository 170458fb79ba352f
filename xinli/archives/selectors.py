"""Every read of the resident archive: scoped to the user, and audited when a person is shown."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

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
