"""Every write to the resident archive. Each service checks the actor's scope, validates, writes in one transaction
and audits in the same transaction, so a request that fails writes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.db import column_values, insert_new
from xinli.core.fields import blind_index
from xinli.core.i18n import bilingual, field_error
from xinli.core.policy import ARCHIVES_EDIT, ARCHIVES_VIEW
from xinli.core.scoping import path_in_scope
from xinli.regions.models import OrgUnit, common_path

from .models import (
    Consent,
    ConsentGiver,
    ConsentPurpose,
    DuplicateRequest,
    LegalBasis,
    Person,
    PersonStatus,
    PopulationTag,
    Sex,
    Tag,
)
from .normalize import normalize_id_number
from .transfers import open_for_move
from .validation import GUARDIAN_CONSENT_AGE, check_id_number, check_phone

# The codes of each choices class, built once (``Choices.values`` builds a new list at each access: a bulk import
# spent 4 % of its time there).
_VALUES = {c: frozenset(c.values) for c in (ConsentPurpose, LegalBasis, ConsentGiver, Tag)}

PERSON_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "address", "org_unit", "status")


@dataclass
class Saved:
    person: Person
    warnings: list[str] = field(default_factory=list)


def _require_edit_scope(actor, unit: OrgUnit, field_name: str = "org_unit") -> None:
    if not path_in_scope(actor, ARCHIVES_EDIT, unit.path):
        # An org unit outside the actor's area is reported like a missing one: it reveals nothing.
        raise field_error(field_name, _("Residence org unit: not found in your area; pick a unit you are responsible for."))
    if unit.valid_to is not None:
        raise field_error(field_name, _("Residence org unit: this unit no longer exists; pick its successor."))


def _clean(data: dict, *, existing: Person | None, today: datetime.date | None = None) -> tuple[dict, list[str]]:
    """Validate and normalise person fields; fills sex and birth date from the ID number. ``today``: the local date
    (given by a caller cleaning many records at once)."""
    today = today or timezone.localdate()
    clean = dict(data)
    warnings: list[str] = []
    errors: dict[str, list[str]] = {}

    def add(err: ValidationError):
        for k, v in err.message_dict.items():
            errors.setdefault(k, []).extend(v)

    name = (clean.get("name") if "name" in clean else (existing.name if existing else "")) or ""
    if "name" in clean or existing is None:
        name = name.strip()
        if not name:
            add(field_error("name", _("Name: required; enter the person's name as on their ID card.")))
        elif len(name) > 50:
            add(field_error("name", _("Name: too long; at most 50 characters.")))
        clean["name"] = name
    if clean.get("id_number"):
        try:
            info = check_id_number(clean["id_number"], today=today)
            clean["id_number"] = info.number
            warnings += info.warnings
            given_sex, given_birth = clean.get("sex"), clean.get("birth_date")
            if given_sex and given_sex != Sex.UNKNOWN and given_sex != info.sex:
                add(field_error("sex", _("Sex: does not match the ID number (17th digit); correct the sex or the number.")))
            if given_birth and given_birth != info.birth_date:
                add(field_error("birth_date", _("Birth date: does not match the ID number (characters 7–14); correct one of them.")))
            clean["sex"], clean["birth_date"] = info.sex, info.birth_date
        except ValidationError as exc:
            add(exc)
    elif "id_number" in clean:
        clean["id_number"] = None
    if "sex" in clean and not clean["sex"]:
        clean["sex"] = Sex.UNKNOWN  # left empty and no ID number to take it from: not stated
    if clean.get("birth_date"):
        if clean["birth_date"] > today:
            add(field_error("birth_date", _("Birth date: in the future; enter the real birth date.")))
    if clean.get("phone"):
        try:
            clean["phone"] = check_phone(clean["phone"])
        except ValidationError as exc:
            add(exc)
    if "address" in clean and clean["address"] and len(clean["address"]) > 200:
        add(field_error("address", _("Address: too long; at most 200 characters.")))
    if "status" in clean and (clean["status"] not in PersonStatus.values or clean["status"] == PersonStatus.MERGED):
        add(field_error("status", _("Status: unknown value; use active, moved_out or deceased.")))
    if errors:
        raise ValidationError(errors)
    return clean, warnings


# Issue 15 (existence oracle): one refusal text for every case where the number cannot be used here and the actor may
# not see why — held by a person outside the actor's area, claimed by an open duplicate request, or taken by a
# concurrent registration. It names no person and no unit.
ID_REFUSED = _("Resident ID number: cannot be registered here; a review request has been sent and a higher-level "
               "administrator will handle it.")


def _check_id_free(actor, number: str, unit: OrgUnit, exclude_pk=None) -> None:
    """Refuse an ID number the archive already holds (one person per ID number). Within the actor's area the
    message points to the existing record, which the actor can open; outside it, or when the number is under review,
    the neutral ``ID_REFUSED`` and a :class:`DuplicateRequest` for the common ancestor's officers (audited). The
    refusal carries the request (``exc.review_request``) so that a batch whose transaction rolls back can record it
    again afterwards (:func:`record_review_requests`)."""
    bidx = blind_index("id_number", number, normalize_id_number)
    existing = Person.objects.filter(id_number_bidx=bidx).exclude(pk=exclude_pk).only("pk", "org_path").first()
    if existing is not None and path_in_scope(actor, ARCHIVES_VIEW, existing.org_path):
        raise field_error("id_number", _("Resident ID number: already in the archive as record {pk}; open that record instead."),
                          code="unique", pk=existing.pk)
    pending = list(DuplicateRequest.objects.filter(id_number_bidx=bidx, status=DuplicateRequest.Status.OPEN)
                   .values_list("org_path", flat=True)[:50])
    if existing is None and not pending:
        return
    # Under review with no holder left: the same officers as the open requests for the number decide this one too.
    review = ReviewRequest(actor, bidx, unit, existing.org_path if existing is not None else common_path(pending))
    review.record()
    exc = field_error("id_number", ID_REFUSED, code="unique")
    exc.review_request = review
    raise exc


def check_new_id_number(actor, person: Person, data: dict) -> None:
    """The ID-number check of :func:`update_person`, for callers that wrap the update in their own transaction: call
    it first, outside that transaction, so that the duplicate request it may record is not rolled back with it."""
    number = normalize_id_number(str(data.get("id_number") or ""))
    if number and number != person.id_number:
        _check_id_free(actor, number, data.get("org_unit") or person.org_unit, exclude_pk=person.pk)


@dataclass(frozen=True)
class ReviewRequest:
    """A duplicate/transfer request to record: who asked, the number's blind index, the requesting unit and the
    holder's path (the request goes to the common ancestor of that path and the unit)."""

    actor: object
    bidx: str
    unit: OrgUnit
    other_path: str

    def record(self) -> None:
        _request_review(self.actor, self.bidx, self.unit, self.other_path)


def review_request_of(exc: ValidationError) -> ReviewRequest | None:
    """The duplicate request a refusal of ``_check_id_free`` recorded, if ``exc`` is one."""
    return getattr(exc, "review_request", None)


def record_review_requests(requests) -> None:
    """Record again, after a batch's transaction has ended, the duplicate requests its refused rows raised: the batch
    (an import run in one ``transaction.atomic``, a row in a savepoint) rolled them back with itself, and the officers
    must still see them. Idempotent: a request that survived is found, not doubled."""
    for review in requests:
        review.record()


def _request_review(actor, bidx: str, unit: OrgUnit, other_path: str) -> None:
    """Record (once per actor, number and unit while open) the duplicate/transfer request; it survives the refused
    request on purpose (the refusal is the reason for the row)."""
    with transaction.atomic():
        request, created = DuplicateRequest.objects.get_or_create(
            id_number_bidx=bidx, unit=unit, requester=actor if getattr(actor, "pk", None) else None,
            status=DuplicateRequest.Status.OPEN, defaults={"org_path": common_path([unit.path, other_path])})
        audit.record(actor, audit.Action.CREATE if created else audit.Action.UPDATE, obj=request, org_path=request.org_path,
                     detail={"duplicate_id_number": True, "unit": unit.pk})


def _new_person(actor, clean: dict) -> Person:
    """An unsaved person of cleaned fields (not yet placed in a unit)."""
    person = Person(
        name=clean["name"], id_number=clean.get("id_number"), sex=clean.get("sex") or Sex.UNKNOWN,
        birth_date=clean.get("birth_date"), phone=clean.get("phone"), address=clean.get("address"),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    person.birth_year = person.birth_date.year if person.birth_date else None
    return person


def _place(person: Person, unit: OrgUnit) -> None:
    person.org_unit = unit
    person.place_under(unit)


def register_person(actor, data: dict, *, tags=(), consents=()) -> Saved:
    """Register a resident in the archive. Who may call: holders of ``archives.edit`` over ``data['org_unit']``.

    ``data``: name, id_number, sex, birth_date, phone, address, org_unit (OrgUnit). One person per ID number.
    Returns the person and any warnings (e.g. a historical ID address code)."""
    unit = data.get("org_unit")
    if unit is None:
        raise field_error("org_unit", _("Residence org unit: required; pick the village or community where the person lives."))
    _require_edit_scope(actor, unit)
    clean, warnings = _clean(data, existing=None)
    if clean.get("id_number"):
        _check_id_free(actor, clean["id_number"], unit)
    person = _new_person(actor, clean)
    _place(person, unit)
    try:
        with transaction.atomic():
            person.save()
            audit.record(actor, audit.Action.CREATE, obj=person, person=person,
                         detail={"fields": sorted(k for k, v in clean.items() if v not in (None, ""))})
            for tag in tags:
                _add_tag(actor, person, tag)
            for consent in consents:
                _record_consent(actor, person, consent)
    except IntegrityError:
        # Two clerks registering the same ID number at once: the unique blind index decides.
        raise field_error("id_number", ID_REFUSED, code="unique") from None
    return Saved(person, warnings)


def update_person(actor, person: Person, data: dict, *, expected_version: int | None = None) -> Saved:
    """Change archive fields of ``person``. Who may call: holders of ``archives.edit`` over the person's current
    unit (and over the new unit when moving them). ``expected_version`` guards against lost updates."""
    if not path_in_scope(actor, ARCHIVES_EDIT, person.org_path):
        raise PermissionDenied
    if person.status == PersonStatus.MERGED:
        raise field_error("status", _("Record: merged into record {pk}; edit that record instead."), pk=person.merged_into_id)
    data = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    if "org_unit" in data and data["org_unit"] is None:
        raise field_error("org_unit", _("Residence org unit: required; pick the village or community where the person lives."))
    if "org_unit" in data and data["org_unit"].pk != person.org_unit_id:
        _require_edit_scope(actor, data["org_unit"])
    clean, warnings = _clean(data, existing=person)
    if clean.get("id_number") and clean["id_number"] != person.id_number:
        _check_id_free(actor, clean["id_number"], clean.get("org_unit") or person.org_unit, exclude_pk=person.pk)
    changed = []
    old_unit = person.org_unit
    for key, value in clean.items():
        if key == "org_unit":
            if value.pk != person.org_unit_id:
                _place(person, value)
                changed.append("org_unit")
            continue
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    if not changed:
        return Saved(person, warnings)
    person.birth_year = person.birth_date.year if person.birth_date else None
    with transaction.atomic():
        if expected_version is not None:
            # Conditional bump: a concurrent edit has already moved the version on.
            if Person.objects.filter(pk=person.pk, version=expected_version).update(version=expected_version + 1) != 1:
                raise field_error("version", _("Record: changed by someone else since you opened it; reload and apply your change again."), code="conflict")
            person.version = expected_version + 1
        else:
            person.version += 1
        person.updated_at = timezone.now()
        try:
            person.save()
        except IntegrityError:
            raise field_error("id_number", ID_REFUSED, code="unique") from None
        if "org_unit" in changed:
            Consent.objects.filter(person=person).update(org_path=person.org_path, county_code=person.county_code)
        if "org_unit" in changed or "sex" in changed:
            # Tags mirror the person's unit and sex (the T09/CA1 counts read them alone: archives.models.PopulationTag).
            PopulationTag.objects.filter(person=person).update(org_path=person.org_path, county_code=person.county_code,
                                                               sex=person.sex)
        audit.record(actor, audit.Action.UPDATE, obj=person, person=person, detail={"fields": sorted(changed)})
        if "org_unit" in changed:
            # What other services manage for the person by area follows through a transfer the new unit accepts.
            open_for_move(actor, person, old_unit, person.org_unit)
    return Saved(person, warnings)


def _build_consent(actor, person: Person, data: dict, today: datetime.date | None = None) -> Consent:
    """A validated, unsaved consent of ``person`` (the checks of :func:`record_consent`)."""
    today = today or timezone.localdate()
    purpose, basis = data.get("purpose"), data.get("legal_basis") or LegalBasis.CONSENT
    given_by = data.get("given_by") or ConsentGiver.SELF
    given_at = data.get("given_at") or today
    errors = {}

    if purpose not in _VALUES[ConsentPurpose]:
        errors["purpose"] = [bilingual(_("Purpose: unknown value; pick one of the listed purposes."))]
    if basis not in _VALUES[LegalBasis]:
        errors["legal_basis"] = [bilingual(_("Legal basis: unknown value; pick one of the listed bases."))]
    if given_by not in _VALUES[ConsentGiver]:
        errors["given_by"] = [bilingual(_("Given by: use self or guardian."))]
    if isinstance(given_at, datetime.date) and given_at > today:
        errors["given_at"] = [bilingual(_("Date given: in the future; enter the day consent was given."))]
    age = person.age_on(given_at) if isinstance(given_at, datetime.date) else None
    if basis == LegalBasis.CONSENT and age is not None and age < GUARDIAN_CONSENT_AGE and given_by != ConsentGiver.GUARDIAN:
        errors["given_by"] = [bilingual(_("Given by: the person is under 14, so a guardian must consent (PIPL art. 31); record the guardian."))]
    if given_by == ConsentGiver.GUARDIAN and not (data.get("guardian_name") or "").strip():
        errors["guardian_name"] = [bilingual(_("Guardian name: required when a guardian gives consent."))]
    if errors:
        raise ValidationError(errors)
    consent = Consent(
        person=person, purpose=purpose, legal_basis=basis, given_by=given_by,
        guardian_name=(data.get("guardian_name") or "").strip() or None,
        guardian_relation=(data.get("guardian_relation") or "").strip()[:30], given_at=given_at,
        recorded_by=actor if getattr(actor, "pk", None) else None
    ).place_under(person)
    return consent


def _record_consent(actor, person: Person, data: dict) -> Consent:
    consent = _build_consent(actor, person, data)
    consent.save()
    audit.record(actor, audit.Action.CREATE, obj=consent, person=person,
                 detail={"purpose": consent.purpose, "basis": consent.legal_basis})
    return consent


def record_consent(actor, person: Person, data: dict) -> Consent:
    """Record a consent (purpose, legal basis, self or guardian; a guardian is required under 14).
    Who may call: holders of ``archives.edit`` over the person."""
    if not path_in_scope(actor, ARCHIVES_EDIT, person.org_path):
        raise PermissionDenied
    with transaction.atomic():
        return _record_consent(actor, person, data)


def withdraw_consent(actor, consent: Consent) -> Consent:
    """Withdraw a consent (PIPL art. 15: as easy as giving it). Idempotent."""
    if not path_in_scope(actor, ARCHIVES_EDIT, consent.org_path):
        raise PermissionDenied
    if consent.withdrawn_at is not None:
        return consent
    with transaction.atomic():
        updated = Consent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
        consent.refresh_from_db()
        if updated:
            audit.record(actor, audit.Action.UPDATE, obj=consent, person=consent.person, detail={"withdrawn": True})
    return consent


def _add_tag(actor, person: Person, tag: str) -> PopulationTag | None:
    if tag not in _VALUES[Tag]:
        raise field_error("tags", _("Population tag: unknown tag '{tag}'; pick from the list."), tag=tag)
    if PopulationTag.objects.filter(person=person, tag=tag, until__isnull=True).exists():
        return None
    row = PopulationTag(person=person, tag=tag, recorded_by=actor if getattr(actor, "pk", None) else None).place_under(person)
    row.save()
    return row


def set_tags(actor, person: Person, tags) -> list[str]:
    """Make the person's active special-population tags exactly ``tags`` (ended tags keep their history)."""
    if not path_in_scope(actor, ARCHIVES_EDIT, person.org_path):
        raise PermissionDenied
    wanted = set(tags)
    with transaction.atomic():
        active = {t.tag: t for t in PopulationTag.objects.filter(person=person, until__isnull=True)}
        for tag in sorted(wanted - set(active)):
            _add_tag(actor, person, tag)
        today = timezone.localdate()
        for tag in sorted(set(active) - wanted):
            PopulationTag.objects.filter(pk=active[tag].pk).update(until=today)
        if wanted != set(active):
            audit.record(actor, audit.Action.UPDATE, obj=person, person=person,
                         detail={"tags_added": sorted(wanted - set(active)), "tags_ended": sorted(set(active) - wanted)})
    return sorted(wanted)


def lookup_unit(pk) -> OrgUnit:
    try:
        return OrgUnit.objects.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise field_error("org_unit", _("Residence org unit: not found in your area; pick a unit you are responsible for.")) from None


# The person's columns that need no database: what a bulk import's worker process computes ahead (SM4 ciphertexts,
# HMAC-SM3 blind indexes with their normalisers and pinyin).
PREPARED_COLUMNS = ("name", "id_number", "birth_date", "phone", "address", "id_number_bidx", "phone_bidx", "name_bidx",
                    "name_initials_bidx", "name_pinyin_bidx", "name_birth_bidx")


@dataclass
class Prepared:
    """The part of one registration that needs no database (:func:`prepare_people`): the cleaned fields and warnings,
    or the refusal, and the person's column values; ``today`` is the date they were checked against."""
    today: datetime.date
    clean: dict | None = None
    warnings: list = field(default_factory=list)
    error: ValidationError | None = None
    values: dict = field(default_factory=dict)


def prepare_people(datas, today: datetime.date | None = None) -> list[Prepared]:
    """For each person's ``data`` (as :func:`register_people` takes it; the unit is not needed): the field checks of a
    registration and the person's :data:`PREPARED_COLUMNS`. Makes no query and writes nothing, so a bulk import's
    worker process runs it for the next batch; :func:`register_people` then does the checks that need the database
    (scope, ID number free) and the writes."""
    today = today or timezone.localdate()
    out = []
    for data in datas:
        try:
            clean, warnings = _clean(data, existing=None, today=today)
        except ValidationError as exc:
            out.append(Prepared(today, error=exc))
            continue
        person = _new_person(None, clean)
        out.append(Prepared(today, clean, warnings, values=column_values(person, PREPARED_COLUMNS)))
    return out


def register_people(actor, items, prepared: list[Prepared | None] | None = None) -> list:
    """:func:`register_person` for many residents at once (bulk import): ``items`` is a list of (data, tags, consents).
    Each item is checked like one registration (scope, fields, ID number free, tags, consents); the valid ones are
    written with one INSERT per table inside the caller's transaction, with one audit entry per person (one INSERT).
    Returns, per item, a :class:`Saved` or the ``ValidationError`` that refused it (a number already held or under
    review raises the same refusal and duplicate request as :func:`register_person`).

    ``prepared``: per item, :func:`prepare_people` of the same data, computed ahead (None, or checked against
    another day: computed here)."""
    results: list = [None] * len(items)
    today = timezone.localdate()  # once for the batch (a fifth of the per-row checks' time went to asking for it)
    prepared = list(prepared) if prepared is not None else [None] * len(items)
    missing = [i for i, pre in enumerate(prepared) if pre is None or pre.today != today]
    for i, pre in zip(missing, prepare_people([items[i][0] for i in missing], today), strict=True):
        prepared[i] = pre
    numbers = {i: pre.values["id_number_bidx"] for i, pre in enumerate(prepared) if pre.values.get("id_number_bidx")}
    held = set(Person.objects.filter(id_number_bidx__any_of=set(numbers.values())).values_list("id_number_bidx", flat=True))
    held |= set(DuplicateRequest.objects.filter(id_number_bidx__any_of=set(numbers.values()), status=DuplicateRequest.Status.OPEN)
                .values_list("id_number_bidx", flat=True))
    seen: set[str] = set()
    people, extras = [], []
    for i, (data, tags, consents) in enumerate(items):
        try:
            unit = data.get("org_unit")
            if unit is None:
                raise field_error("org_unit", _("Residence org unit: required; pick the village or community where the person lives."))
            _require_edit_scope(actor, unit)
            if prepared[i].error is not None:
                raise prepared[i].error
            clean, warnings = prepared[i].clean, prepared[i].warnings
            if numbers.get(i) in held or numbers.get(i) in seen:
                _check_id_free(actor, clean["id_number"], unit)  # raises the refusal (and records the review)
                raise field_error("id_number", ID_REFUSED, code="unique")  # a number twice in the batch
            for tag in tags:
                if tag not in _VALUES[Tag]:
                    raise field_error("tags", _("Population tag: unknown tag '{tag}'; pick from the list."), tag=tag)
            person = _new_person(actor, clean)
            _place(person, unit)
            built = [_build_consent(actor, person, c, today) for c in consents]
        except ValidationError as exc:
            results[i] = exc
            continue
        if numbers.get(i):
            seen.add(numbers[i])
        people.append(person)
        extras.append((i, person, sorted(set(tags)), built, warnings, clean))
    if not people:
        return results
    with transaction.atomic():
        try:
            insert_new(Person, people, prepared=[prepared[i].values for i, *_rest in extras])
        except IntegrityError:
            raise field_error("id_number", ID_REFUSED, code="unique") from None
        tag_rows, consent_rows = [], []
        for _i, person, tags, built, _w, _c in extras:
            for tag in tags:
                tag_rows.append(PopulationTag(person=person, tag=tag, since=today, recorded_by=person.created_by).place_under(person))
            for consent in built:
                consent.person = person
                consent_rows.append(consent)
        insert_new(PopulationTag, tag_rows)
        insert_new(Consent, consent_rows)
        audit.record_person_reads(actor, people, action=audit.Action.CREATE,
                                  detail={"bulk_import": True, "tags": len(tag_rows), "consents": len(consent_rows)})
    for i, person, _t, _b, warnings, _c in extras:
        results[i] = Saved(person, warnings)
    return results


def is_unchanged(person: Person, data: dict) -> bool:
    """Whether :func:`update_person` with ``data`` would change nothing (the same cleaning and comparison), so that a
    bulk import can count a row as unchanged without a write. Invalid data is never "unchanged"."""
    data = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    try:
        clean, _warnings = _clean(data, existing=person)
    except ValidationError:
        return False
    for key, value in clean.items():
        if key == "org_unit":
            if value.pk != person.org_unit_id:
                return False
        elif getattr(person, key) != value:
            return False
    return True
