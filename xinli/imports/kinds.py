"""The kinds of import: their columns (with the template's example row) and how a row (or a group of rows) is
written through the domain services. A handler returns "created", "updated" or "unchanged", or raises
``RowProblems`` / ``ValidationError`` / ``PermissionDenied`` (the row is refused and reported)."""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from xinli.archives import services as archives
from xinli.archives.models import Consent, ConsentPurpose, Person, PopulationTag, Tag
from xinli.archives.normalize import normalize_id_number
from xinli.core.db import insert_new
from xinli.core.fields import blind_index
from xinli.core.i18n import bilingual
from xinli.core.policy import ARCHIVES_EDIT
from xinli.core.scoping import path_in_scope
from xinli.smd.models import Adherence

from .models import Kind, SourceLink, Strategy
from .services import Column, Context, RowProblems, parse_date, split_list, text


@dataclass
class ImportKind:
    columns: list[Column]
    handle: Callable
    field_columns: dict  # service error field -> column key
    group: Callable | None = None
    bulk: Callable | None = None  # (ctx, groups) -> {group index: outcome or exception} for the groups it took
    # (batch) -> {line: what ``bulk`` would compute for it without the database}: run ahead by ``imports.worker``
    prepare: Callable | None = None


# Insight as the follow-up form offers it (code, its Chinese and English label, and the national form's wording).
INSIGHTS = {**{code: code for code in ("complete", "partial", "absent")},
            "完全": "complete", "不全": "partial", "缺失": "absent",
            "自知力完全": "complete", "自知力不全": "partial", "自知力缺失": "absent"}


def _label_code(value, known: dict[str, str]) -> str:
    """A cell written as a code or as its label, as the code (anything else as written, for the service to refuse)."""
    value = text(value)
    return known.get(value, value)


@functools.cache
def _labels(choices) -> dict[str, str]:
    """Code and Chinese label (and English label) -> code (built once per choices class: the labels are fixed in the
    code and the catalogues; rebuilding it per row took half of a bulk import's time)."""
    out = {}
    for value, label in choices.choices:
        out[value] = value
        with override("zh-hans"):
            out[str(label)] = value
        with override("en"):
            out[str(label)] = value
    return out


SEXES = {"男": "M", "女": "F", "男性": "M", "女性": "F", "M": "M", "F": "F", "m": "M", "f": "F", "male": "M", "female": "F"}

RESIDENT_COLUMNS = [
    Column("source_id", "来源编号", "HIS-000123"),
    Column("name", "姓名", "张三", required=True),
    Column("id_number", "身份证号", "37020219800501123X"),
    Column("sex", "性别", "男"),
    Column("birth_date", "出生日期", "1980-05-01"),
    Column("phone", "电话", "13800000000"),
    Column("address", "地址", "香港中路1号"),
    Column("org_unit_code", "居住地区划代码", "370202001001", required=True),
    Column("tags", "人群标签", "空巢老人、留守老人"),
    Column("consents", "同意用途", "心理服务档案"),
    Column("guardian_name", "监护人", ""),
]
RESIDENT_FIELDS = {"org_unit": "org_unit_code", "purpose": "consents", "legal_basis": "consents", "given_by": "consents",
                   "given_at": "consents", "guardian_name": "guardian_name", "version": ""}


def _codes(value, mapping, column, message) -> list[str]:
    out, bad = [], []
    for part in split_list(value):
        code = mapping.get(part) or mapping.get(part.lower())
        (out if code else bad).append(code or part)
    if bad:
        raise RowProblems([(column, bilingual(message, value="、".join(bad)[:60]))])
    return out


def parse_resident(row: dict) -> tuple[dict, list, list]:
    """The part of a resident row's reading that needs no database: the values, and the problems of the columns
    before and after the unit's code (in the columns' order). A bulk import's worker process runs it ahead."""
    before, after = [], []
    data = {"name": text(row.get("name"))}
    for key in ("id_number", "phone", "address"):
        if text(row.get(key)):
            data[key] = text(row.get(key))
    sex = text(row.get("sex"))
    if sex:
        if sex not in SEXES:
            before.append(("sex", bilingual(_("Sex: '{value}' is not known; write 男 or 女 (or leave it empty to take it from the ID number)."), value=sex[:10])))
        else:
            data["sex"] = SEXES[sex]
    for problems, step in (
        (before, lambda: data.__setitem__("birth_date", parse_date(row.get("birth_date"), "birth_date"))),
        (after, lambda: data.__setitem__("tags", _codes(row.get("tags"), _labels(Tag), "tags",
                                                        _("Population tag: '{value}' is not known; use the tags of the template's list, separated by 、.")))),
        (after, lambda: data.__setitem__("consents", _codes(row.get("consents"), _labels(ConsentPurpose), "consents",
                                                            _("Consent purpose: '{value}' is not known; use the purposes of the template's list, separated by 、.")))),
    ):
        try:
            step()
        except RowProblems as exc:
            problems += exc.problems
    return data, before, after


def _resident_data(ctx: Context, row: dict, parsed: tuple | None = None):
    data, before, after = parsed or parse_resident(row)
    data, problems = dict(data), list(before)
    try:
        data["org_unit"] = ctx.unit(text(row.get("org_unit_code")))
    except RowProblems as exc:
        problems += exc.problems
    problems += after
    if problems:
        raise RowProblems(problems + _rule_problems(data, problems))
    if data.get("birth_date") is None:
        data.pop("birth_date", None)
    return data


def _id_bidx(data: dict) -> str | None:
    return blind_index("id_number", normalize_id_number(data.get("id_number", "")), normalize_id_number)


def _registration(data: dict) -> dict:
    """A parsed row's fields as ``archives.services.register_people`` takes them (tags and consents apart)."""
    return {k: v for k, v in data.items() if k not in ("tags", "consents")}


def prepare_residents(batch) -> dict:
    """Per line of a batch: :func:`parse_resident`, the ID number's blind index and, for a row that parsed,
    ``archives.services.prepare_people`` (the registration's checks and column values that need no database).
    The worker process (``imports.worker``) runs it for the next batch; :func:`bulk_residents` uses what it finds."""
    out, lines = {}, []
    for line, row in batch:
        if row.get("__blank__"):
            continue
        parsed = parse_resident(row)
        data, before, after = parsed
        if data.get("birth_date") is None:
            data.pop("birth_date", None)
        out[line] = (parsed, _id_bidx(data), None)
        if not before and not after:
            lines.append(line)
    for line, pre in zip(lines, archives.prepare_people([_registration(out[line][0][0]) for line in lines]), strict=True):
        out[line] = (*out[line][:2], pre)
    return out


def _consent(purpose: str, guardian: str) -> dict:
    if guardian:
        return {"purpose": purpose, "legal_basis": "consent", "given_by": "guardian", "guardian_name": guardian}
    return {"purpose": purpose, "legal_basis": "consent", "given_by": "self"}


def _find_person(ctx: Context, kind: str, source_id: str, id_number: str) -> Person | None:
    """The person of a row in the importer's area: by the row's source id, else by ID number. Found by the unique
    key alone and the area checked here (see :func:`_same_as_archive`)."""
    person = None
    link = SourceLink.objects.filter(kind=kind, source_id=source_id).first() if source_id else None
    if link is not None:
        person = Person.objects.filter(pk=link.object_id).first()
    elif id_number:
        bidx = blind_index("id_number", id_number, normalize_id_number)
        if bidx:
            person = Person.objects.filter(id_number_bidx=bidx).first()
    if person is None or not path_in_scope(ctx.actor, ARCHIVES_EDIT, person.org_path):
        return None
    return person


class _Changed(Exception):
    pass


def _update_resident(ctx: Context, person: Person, data: dict) -> str:
    tags, consents, guardian = data.pop("tags"), data.pop("consents"), data.pop("guardian", "")
    version = person.version
    archives.update_person(ctx.actor, person, data)
    changed = person.version != version
    if tags:
        active = set(person.tags.filter(until__isnull=True).values_list("tag", flat=True))
        if set(tags) != active:
            archives.set_tags(ctx.actor, person, tags)
            changed = True
    have = set(person.consents.filter(withdrawn_at__isnull=True).values_list("purpose", flat=True))
    for purpose in consents:
        if purpose not in have:
            archives.record_consent(ctx.actor, person, _consent(purpose, guardian))
            changed = True
    return "updated" if changed else "unchanged"


def handle_resident(ctx: Context, group) -> str:
    (_line, row), = group
    data = _resident_data(ctx, row)
    source_id = text(row.get("source_id"))[:64]
    guardian = text(row.get("guardian_name"))
    person = _find_person(ctx, Kind.RESIDENTS, source_id, normalize_id_number(data.get("id_number", "")))
    strategy = ctx.job.strategy
    if person is None:
        if strategy == Strategy.UPDATE:
            raise RowProblems([("id_number", bilingual(_("Resident: not in the archive of your area; check the ID number, or import with the strategy create or create and update.")))])
        tags, consents = data.pop("tags"), data.pop("consents")
        person = archives.register_person(ctx.actor, data, tags=tags, consents=[_consent(p, guardian) for p in consents]).person
        ctx.created_ids.append(person.pk)
        outcome = "created"
    else:
        data["guardian"] = guardian
        if strategy == Strategy.CREATE:
            try:
                with transaction.atomic():
                    if _update_resident(ctx, person, data) == "updated":
                        raise _Changed
            except _Changed:
                raise RowProblems([("id_number", bilingual(_("Resident: already in the archive with other values; import with the strategy update or create and update to change them.")))]) from None
            outcome = "unchanged"
        else:
            outcome = _update_resident(ctx, person, data)
    if source_id:
        link, made = SourceLink.objects.get_or_create(kind=Kind.RESIDENTS, source_id=source_id,
                                                      defaults={"object_id": person.pk, "org_path": person.org_path})
        if not made and link.object_id != person.pk:
            raise ValidationError({"source_id": [bilingual(_("Source id: already used by another record; each row needs its own source id."))]})
    return outcome


def _same_as_archive(ctx: Context, parsed: dict, sources: dict, bidx: dict, found: dict, out: dict) -> None:
    """Rows whose person (``found``: the batch's ID numbers already in the archive; in the importer's area, linked to
    the row's source id if it has one) already holds exactly the row's values, tags and consents: "unchanged", with
    three queries for the batch."""
    # Found by the unique index alone, the area checked here: with the scope in the query, PostgreSQL's plan
    # depended on table statistics that lag behind a bulk import (a scan of the whole area per batch).
    persons = {b: p for b, p in found.items() if path_in_scope(ctx.actor, ARCHIVES_EDIT, p.org_path)}
    if not persons:
        return
    pks = [p.pk for p in persons.values()]
    tags, consents = {}, {}
    for person_id, tag in PopulationTag.objects.filter(person_id__in=pks, until__isnull=True).values_list("person_id", "tag"):
        tags.setdefault(person_id, set()).add(tag)
    for person_id, purpose in Consent.objects.filter(person_id__in=pks, withdrawn_at__isnull=True).values_list("person_id", "purpose"):
        consents.setdefault(person_id, set()).add(purpose)
    links = dict(SourceLink.objects.filter(kind=Kind.RESIDENTS, source_id__any_of=[v for v in sources.values() if v])
                 .values_list("source_id", "object_id"))
    for gi, data in parsed.items():
        person = persons.get(bidx[gi])
        if person is None or (sources[gi] and links.get(sources[gi]) != person.pk):
            continue
        if data["tags"] and set(data["tags"]) != tags.get(person.pk, set()):
            continue
        if not set(data["consents"]) <= consents.get(person.pk, set()):
            continue
        if archives.is_unchanged(person, data):
            out[gi] = "unchanged"


def bulk_residents(ctx: Context, groups) -> dict:
    """The new residents of a batch in one go (``archives.services.register_people``): rows whose source id and ID
    number are unknown anywhere. Every other row (known person, no ID number, repeated in the file) is left to
    :func:`handle_resident`."""
    out, parsed, ahead = {}, {}, {}
    for gi, group in enumerate(groups):
        (line, row), = group
        ahead[gi] = ctx.prepared.get(line) or (None, None, None)
        try:
            parsed[gi] = _resident_data(ctx, row, ahead[gi][0])
        except RowProblems as exc:
            out[gi] = exc
    sources = {gi: text(groups[gi][0][1].get("source_id"))[:64] for gi in parsed}
    linked = set(SourceLink.objects.filter(kind=Kind.RESIDENTS, source_id__any_of=[v for v in sources.values() if v])
                 .values_list("source_id", flat=True))
    bidx = {gi: ahead[gi][1] if ahead[gi][0] else _id_bidx(d) for gi, d in parsed.items()}
    found = {p.id_number_bidx: p for p in Person.objects.filter(id_number_bidx__any_of=[b for b in bidx.values() if b])}
    known = set(found)
    _same_as_archive(ctx, parsed, sources, bidx, found, out)
    if ctx.job.strategy == Strategy.UPDATE:
        return out
    take, seen = [], set()
    for gi in parsed:
        if gi in out or not bidx[gi] or bidx[gi] in known or bidx[gi] in seen or sources[gi] in linked or (sources[gi] and sources[gi] in seen):
            continue
        seen |= {bidx[gi], sources[gi]} - {""}
        take.append(gi)
    if not take:
        return out
    guardian = {gi: text(groups[gi][0][1].get("guardian_name")) for gi in take}
    items = [(_registration(parsed[gi]), parsed[gi]["tags"], [_consent(p, guardian[gi]) for p in parsed[gi]["consents"]])
             for gi in take]
    results = archives.register_people(ctx.actor, items, prepared=[ahead[gi][2] for gi in take])
    links = []
    for gi, result in zip(take, results, strict=True):
        if isinstance(result, Exception):
            out[gi] = result
            continue
        out[gi] = "created"
        ctx.created_ids.append(result.person.pk)
        if sources[gi]:
            links.append(SourceLink(kind=Kind.RESIDENTS, source_id=sources[gi], object_id=result.person.pk,
                                    org_path=result.person.org_path))
    insert_new(SourceLink, links)
    return out


KINDS: dict[str, ImportKind] = {
    Kind.RESIDENTS: ImportKind(RESIDENT_COLUMNS, handle_resident, RESIDENT_FIELDS, bulk=bulk_residents,
                               prepare=prepare_residents),
}


# ---------------------------------------------------------------- SMD patients with their follow-up history

SMD_COLUMNS = [
    Column("id_number", "身份证号", "37020219800501123X", required=True),
    Column("name", "姓名", "张三"),
    Column("org_unit_code", "居住地区划代码", "370202001001"),
    Column("diagnosis", "诊断", "精神分裂症"),
    Column("diagnosed_by", "确诊医院", "市精神卫生中心"),
    Column("diagnosed_on", "确诊日期", "2020-03-01"),
    Column("source", "登记来源", "医院报告"),
    Column("residence", "居住形式", "居家"),
    Column("guardian_name", "监护人", "张父"),
    Column("guardian_phone", "监护人电话", "13800000001"),
    Column("consent", "同意社区管理", "是"),
    Column("follow_up_date", "随访日期", "2024-01-10", required=True),
    Column("mode", "随访方式", "门诊"),
    Column("risk", "危险性等级", "0"),
    Column("insight", "自知力", "完全"),
    Column("adherence", "服药依从性", "规律"),
]
SMD_FIELDS = {"date": "follow_up_date", "org_unit": "org_unit_code", "person": "id_number"}


def smd_group(row: dict) -> str:
    return normalize_id_number(text(row.get("id_number")))


def handle_smd_patient(ctx: Context, group) -> str:
    """One patient with every follow-up row of theirs (consecutive rows with the same ID number), in one savepoint:
    a bad follow-up refuses the whole patient (never half a patient). Follow-ups already recorded on the same date
    are skipped (idempotent)."""
    from xinli.smd import services as smd
    from xinli.smd.models import FollowUp, Patient

    first = group[0][1]
    idn = smd_group(first)
    person = _find_person(ctx, Kind.SMD_PATIENTS, "", idn)
    if person is None:
        if ctx.job.strategy == Strategy.UPDATE:
            raise RowProblems([("id_number", bilingual(_("Resident: not in the archive of your area; check the ID number, or import with the strategy create or create and update.")))])
        unit = ctx.unit(text(first.get("org_unit_code")))
        person = archives.register_person(ctx.actor, {"name": text(first.get("name")), "id_number": idn, "org_unit": unit},
                                          consents=[{"purpose": "archive", "legal_basis": "statutory"}]).person
        ctx.created_ids.append(person.pk)
    patient = Patient.objects.filter(person=person).first()
    outcome = "unchanged"
    if patient is None:
        if ctx.job.strategy == Strategy.UPDATE:
            raise RowProblems([("id_number", bilingual(_("Patient: not on the register; import with the strategy create or create and update.")))])
        patient = smd.register_patient(ctx.actor, person, _smd_registration(first))
        outcome = "created"
    done = set(FollowUp.objects.filter(patient=patient).values_list("date", flat=True))
    history, lines = _smd_visits(group, done)
    # The whole history in one go: the same checks, classification and task chain as one record_follow_up each.
    try:
        smd.record_history(ctx.actor, patient, history)
    except ValidationError as exc:
        exc.line = lines[exc.index]
        raise
    if history and outcome == "unchanged":
        outcome = "updated"
    return outcome


def _smd_registration(first: dict) -> dict:
    """A new patient's registration from the first row of their group (a diagnosis outside the six: RowProblems)."""
    from xinli.smd import importer as smd_importer
    from xinli.smd.models import Diagnosis

    diagnosis = text(first.get("diagnosis"))
    diagnosis = smd_importer.DIAGNOSIS_NAMES.get(diagnosis, diagnosis)
    if diagnosis not in Diagnosis.values:
        raise RowProblems([("diagnosis", bilingual(_("Diagnosis: '{value}' is not one of the six severe mental disorders; write e.g. 精神分裂症 or F20."), value=diagnosis[:20]))])
    source = text(first.get("source"))
    residence = text(first.get("residence"))
    return {
        "diagnosis": diagnosis, "diagnosed_by": text(first.get("diagnosed_by")),
        "diagnosed_on": parse_date(first.get("diagnosed_on"), "diagnosed_on"),
        "source": smd_importer.SOURCES.get(source, source),
        "residence": smd_importer.RESIDENCES.get(residence, residence or "home"),
        "guardian_name": text(first.get("guardian_name")), "guardian_phone": text(first.get("guardian_phone")),
        "consent_community": text(first.get("consent")) in ("是", "yes", "1", "true", "True")}


def _smd_visits(group, done: set) -> tuple[list[dict], list[int]]:
    """The group's follow-ups in date order, without those on a date in ``done`` (already recorded: idempotent), and
    the line of each; a bad date raises RowProblems with its line."""
    from xinli.smd import importer as smd_importer

    first = group[0][1]
    visits = []
    for line, row in group:
        try:
            visits.append((parse_date(row.get("follow_up_date"), "follow_up_date"), line, row))
        except RowProblems as exc:
            exc.line = line
            raise
    history, lines = [], []
    for date, line, row in sorted(visits, key=lambda v: (v[0] is None, v[0] or 0, v[1])):
        if date is None or date in done:
            continue
        risk = text(row.get("risk"))
        mode = text(row.get("mode"))
        history.append({
            "date": date, "mode": smd_importer.MODES.get(mode, mode or "clinic"),
            "risk": int(risk) if risk.isdigit() else None, "insight": _label_code(row.get("insight"), INSIGHTS),
            "adherence": _label_code(row.get("adherence"), _labels(Adherence)), "referral_institution": text(first.get("diagnosed_by"))})
        lines.append(line)
        done.add(date)
    return history, lines


class _Redo(Exception):
    pass


def bulk_smd_patients(ctx: Context, groups) -> dict:
    """The patients of a batch who are new to the archive (ID number unknown anywhere, once in the batch), in one go:
    their archive records (``archives.services.register_people``), then their registrations with their whole
    histories (``smd.services.register_patients``) — the same checks and results as :func:`handle_smd_patient`, with
    one INSERT per table for the batch. Every other group (a person already in the archive, an ID number repeated in
    the batch) is left to :func:`handle_smd_patient`. When a registration is refused after its person was written,
    the bulk is rolled back and redone without that patient (never half a patient)."""
    from xinli.smd import services as smd

    if ctx.job.strategy == Strategy.UPDATE:
        return {}
    numbers = {gi: smd_group(group[0][1]) for gi, group in enumerate(groups)}
    bidx = {gi: blind_index("id_number", n, normalize_id_number) for gi, n in numbers.items()}
    known = set(Person.objects.filter(id_number_bidx__any_of=[b for b in bidx.values() if b]).values_list("id_number_bidx", flat=True))
    counts = collections.Counter(bidx.values())
    out: dict = {}
    parsed = {}
    for gi, group in enumerate(groups):
        if not bidx[gi] or bidx[gi] in known or counts[bidx[gi]] > 1:
            continue
        first = group[0][1]
        try:
            unit = ctx.unit(text(first.get("org_unit_code")))
            registration = _smd_registration(first)
            visits, lines = _smd_visits(group, set())
        except RowProblems as exc:
            out[gi] = exc
            continue
        person = {"name": text(first.get("name")), "id_number": numbers[gi], "org_unit": unit}
        parsed[gi] = (person, registration, visits, lines)
    take = list(parsed)
    while take:
        try:
            with transaction.atomic():
                created = _smd_bulk_write(ctx, smd, take, parsed, out)
        except _Redo:
            take = [gi for gi in take if gi not in out]
            continue
        for gi, patient in created:
            out[gi] = "created"
            ctx.created_ids.append(patient.person_id)
        break
    return out


def _smd_bulk_write(ctx: Context, smd, take: list[int], parsed: dict, out: dict) -> list:
    statutory = [{"purpose": "archive", "legal_basis": "statutory"}]
    people = archives.register_people(ctx.actor, [(dict(parsed[gi][0]), [], statutory) for gi in take])
    items, ids = [], []
    for gi, result in zip(take, people, strict=True):
        if isinstance(result, Exception):
            out[gi] = result
        else:
            items.append((result.person, dict(parsed[gi][1]), parsed[gi][2]))
            ids.append(gi)
    patients = smd.register_patients(ctx.actor, items)
    refused = False
    for gi, result in zip(ids, patients, strict=True):
        if isinstance(result, Exception):
            if getattr(result, "index", None) is not None:
                result.line = parsed[gi][3][result.index]
            out[gi] = result
            refused = True
    if refused:
        raise _Redo  # the refused patients' persons were written: roll the bulk back, redo it without them
    return list(zip(ids, patients, strict=True))


KINDS[Kind.SMD_PATIENTS] = ImportKind(SMD_COLUMNS, handle_smd_patient, SMD_FIELDS, group=smd_group, bulk=bulk_smd_patients)


# ---------------------------------------------------------------- helpers of the history kinds (plans, emergencies, cases)

def _rule_problems(data: dict, problems: list) -> list:
    """A resident row with parse problems: the archive's own rules (``archives.services._clean``, the validation of
    ``register_person``) on the columns that did parse, so one dry run reports both kinds of problem of a row. Columns
    already reported are not reported twice."""
    reported = {column for column, _message in problems}
    partial = {k: v for k, v in data.items() if k in ("name", "id_number", "sex", "birth_date", "phone", "address")}
    try:
        archives._clean(partial, existing=None)
    except ValidationError as exc:
        return [(RESIDENT_FIELDS.get(k, k), " ".join(v)) for k, v in exc.message_dict.items()
                if RESIDENT_FIELDS.get(k, k) not in reported]
    return []


class _Problems:
    """Collects the problems of a row's columns, so every column is checked in one pass."""

    def __init__(self):
        self.problems: list = []

    def take(self, fn):
        try:
            return fn()
        except RowProblems as exc:
            self.problems += exc.problems
            return None

    def add(self, column: str, message, **params) -> None:
        self.problems.append((column, bilingual(message, **params)))

    def raise_any(self) -> None:
        if self.problems:
            raise RowProblems(self.problems)


YES = ("是", "有", "yes", "y", "1", "true", "True", "Yes", "Y")
NO = ("", "否", "无", "no", "n", "0", "false", "False", "No", "N")


def _yes_no(value, column: str) -> bool:
    value = text(value)
    if value in YES:
        return True
    if value in NO:
        return False
    raise RowProblems([(column, bilingual(_("Yes or no: '{value}' is not understood; write 是 or 否."), value=value[:10]))])


def _choice(value, mapping: dict, column: str, message) -> str:
    value = text(value)
    code = mapping.get(value) or mapping.get(value.lower())
    if not code:
        raise RowProblems([(column, bilingual(message, value=value[:30]))])
    return code


def parse_datetime(value, column: str):
    """A date and time (``2024-03-01 14:30``; a date alone is midnight), in the platform's time zone."""
    import datetime
    import re

    from django.utils import timezone

    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, datetime.date):
        return timezone.make_aware(datetime.datetime.combine(value, datetime.time()))
    s = text(value).replace("/", "-").replace("T", " ")
    m = re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", s)
    try:
        if not m:
            raise ValueError
        day = datetime.date(*map(int, m.group(1).split("-")))
        clock = datetime.time(int(m.group(2) or 0), int(m.group(3) or 0), int(m.group(4) or 0))
        return timezone.make_aware(datetime.datetime.combine(day, clock))
    except ValueError:
        raise RowProblems([(column, bilingual(_("Date and time: '{value}' is not understood; write it as YYYY-MM-DD HH:MM, e.g. 2024-03-01 14:30."),
                                              value=s[:20]))]) from None


def _user(value, column: str):
    """An active platform user by user name."""
    from xinli.accounts.models import User

    name = text(value)
    if not name:
        raise RowProblems([(column, bilingual(_("User name: required; write the platform user name (login) of the person responsible.")))])
    user = User.objects.filter(username=name, is_active=True).first()
    if user is None:
        raise RowProblems([(column, bilingual(_("User name: '{value}' is not an active platform user; write the login name, e.g. counsellor."), value=name[:30]))])
    return user


def _row_person(ctx: Context, row: dict) -> Person:
    """The resident a history row is about: by the residents import's source id (``resident_source_id``) or by the ID
    number, in the importer's area. Anyone else is "not found" (the same text whether or not they exist elsewhere)."""
    source_id = text(row.get("resident_source_id"))[:64]
    idn = normalize_id_number(text(row.get("id_number")))
    if not source_id and not idn:
        raise RowProblems([("id_number", bilingual(_("Resident: give the ID number or the resident's source id of the residents import.")))])
    person = _find_person(ctx, Kind.RESIDENTS, source_id, idn)
    if person is None and source_id and idn:
        person = _find_person(ctx, Kind.RESIDENTS, "", idn)
    if person is not None and not person.org_path.startswith(ctx.job.org_path):
        person = None  # in the importer's scope but not under the unit this import is for
    if person is None:
        raise RowProblems([("id_number" if idn else "resident_source_id",
                            bilingual(_("Resident: not found in the archive of your area; import the resident first (kind residents), or check the ID number.")))])
    return person


def _linked(kind: str, source_id: str, model, **filters):
    """The record a source id was imported as (None when the source id is new)."""
    if not source_id:
        return None
    link = SourceLink.objects.filter(kind=kind, source_id=source_id).first()
    if link is None:
        return None
    obj = model.objects.filter(pk=link.object_id, **filters).first()
    if obj is None:
        raise RowProblems([("source_id", bilingual(_("Source id: already used by another record; each row needs its own source id.")))])
    return obj


def _link(kind: str, source_id: str, obj) -> None:
    if not source_id:
        return
    link, made = SourceLink.objects.get_or_create(kind=kind, source_id=source_id, defaults={"object_id": obj.pk, "org_path": obj.org_path})
    if not made and link.object_id != obj.pk:
        raise ValidationError({"source_id": [bilingual(_("Source id: already used by another record; each row needs its own source id."))]})


def _refuse_unknown(ctx: Context, what) -> None:
    if ctx.job.strategy == Strategy.UPDATE:
        raise RowProblems([("source_id", bilingual(what))])


def _refuse_changed(ctx: Context, column: str) -> None:
    if ctx.job.strategy == Strategy.CREATE:
        raise RowProblems([(column, bilingual(_("Record: already imported with other values; import with the strategy update or create and update to change them.")))])


# ---------------------------------------------------------------- personalised plans (个性化心理疏导方案)

PLAN_COLUMNS = [
    Column("source_id", "来源编号", "PLAN-000123"),
    Column("resident_source_id", "居民来源编号", "HIS-000123"),
    Column("id_number", "身份证号", "37020219800501123X"),
    Column("name", "姓名", "张三"),
    Column("tag", "服务人群", "空巢老人"),
    Column("goals", "疏导目标", "缓解孤独感，每周至少参加一次社区活动", required=True),
    Column("interventions", "干预措施", "每两周入户探访一次；组织邻里互助小组"),
    Column("partners", "协作方", "家庭、社会"),
    Column("started_on", "开始日期", "2024-01-15", required=True),
    Column("review_on", "复评日期", "2025-01-15", required=True),
    Column("state", "状态", "有效"),
    Column("worker", "责任人账号", "counsellor", required=True),
]
PLAN_FIELDS = {"person": "id_number", "goals": "goals", "interventions": "interventions", "review_on": "review_on",
               "started_on": "started_on", "partners": "partners", "state": "state", "worker": "worker"}
PARTNERS = {"government": "government", "social": "social", "family": "family", "政府": "government", "社会": "social",
            "家庭": "family"}


def _plan_states() -> dict:
    from xinli.counselling.models import Plan

    return {**_labels(Plan.State), "进行中": "active", "执行中": "active", "已关闭": "closed", "关闭": "closed", "结束": "closed"}


def handle_plan(ctx: Context, group) -> str:
    """One plan (counselling.services.create_plan with ``imported=True``; closed through ``review_plan``). Matched by its
    source id, else by the person and the start date."""
    from xinli.core.policy import COUNSELLING_WORK
    from xinli.core.scoping import path_in_scope
    from xinli.counselling import services as counselling
    from xinli.counselling.models import Plan

    (_line, row), = group
    p = _Problems()
    person = p.take(lambda: _row_person(ctx, row))
    started = p.take(lambda: parse_date(row.get("started_on"), "started_on"))
    review = p.take(lambda: parse_date(row.get("review_on"), "review_on"))
    state = p.take(lambda: _choice(row.get("state") or "active", _plan_states(), "state",
                                   _("State: '{value}' is not known; write 有效 (active) or 已结束 (closed).")))
    partners = p.take(lambda: _codes(row.get("partners"), PARTNERS, "partners",
                                     _("Partners: '{value}' is not known; write 政府, 社会 and/or 家庭, separated by 、.")))
    worker = p.take(lambda: _user(row.get("worker"), "worker"))
    tag = text(row.get("tag"))
    tag_code = p.take(lambda: _choice(tag, _labels(Tag), "tag", _("Population served: '{value}' is not a population tag; use a tag of the residents template's list."))) if tag else ""
    goals, interventions = text(row.get("goals")), text(row.get("interventions"))
    if not goals:
        p.add("goals", _("Goals: required; say what the plan is to achieve."))
    if not interventions:
        p.add("interventions", _("Interventions: required; say what is done and how often."))
    if started is None and not any(c == "started_on" for c, _m in p.problems):
        p.add("started_on", _("Start date: required; the day the plan started."))
    if person is not None:
        if tag_code and not person.tags.filter(until__isnull=True, tag=tag_code).exists():
            p.add("tag", _("Population served: the person does not hold this tag in the archive; add the tag first (residents import) or correct the column."))
        if worker is not None and not (path_in_scope(worker, COUNSELLING_WORK, person.org_path) or path_in_scope(worker, ARCHIVES_EDIT, person.org_path)):
            p.add("worker", _("Responsible worker: the user does not work in the person's area; give a worker of that area."))
    p.raise_any()
    source_id = text(row.get("source_id"))[:64]
    plan = _linked(Kind.PLANS, source_id, Plan, person=person)
    if plan is None:
        plan = Plan.objects.filter(person=person, created_at__date=started).first()
    if plan is None:
        _refuse_unknown(ctx, _("Plan: not imported before; import with the strategy create or create and update."))
        plan = counselling.create_plan(ctx.actor, person, goals=goals, interventions=interventions, review_on=review,
                                       partners=partners, worker=worker, imported=True, started_on=started)
        if state == Plan.State.CLOSED:
            counselling.review_plan(ctx.actor, plan, close=True, note="imported")
        _link(Kind.PLANS, source_id, plan)
        return "created"
    _link(Kind.PLANS, source_id, plan)
    fixed = [c for c, same in (("goals", plan.goals == goals), ("interventions", plan.interventions == interventions),
                               ("partners", sorted(plan.partners) == sorted(partners)), ("worker", plan.worker_id == worker.pk)) if not same]
    if fixed:
        _refuse_changed(ctx, fixed[0])
        raise RowProblems([(c, bilingual(_("Plan: this column differs from the imported plan and is not changed by an import; change it on the plan's page."))) for c in fixed])
    if plan.state == state and plan.review_on == review:
        return "unchanged"
    _refuse_changed(ctx, "state" if plan.state != state else "review_on")
    if plan.state == Plan.State.CLOSED:
        raise RowProblems([("state", bilingual(_("Plan: closed in the archive; a closed plan is not reopened by an import.")))])
    try:
        if plan.review_on != review:
            counselling.review_plan(ctx.actor, plan, next_review=review, note="imported")
    except ValidationError:
        if state != Plan.State.CLOSED:
            raise
    if state == Plan.State.CLOSED:
        counselling.review_plan(ctx.actor, plan, close=True, note="imported")
    return "updated"


KINDS[Kind.PLANS] = ImportKind(PLAN_COLUMNS, handle_plan, PLAN_FIELDS)


# ---------------------------------------------------------------- SMD emergencies with the case-team members (应急处置)

EMERGENCY_COLUMNS = [
    Column("source_id", "来源编号", "EM-000123"),
    Column("id_number", "身份证号", "37020219800501123X", required=True),
    Column("name", "姓名", "张三"),
    Column("occurred_at", "处置时间", "2024-03-01 14:30", required=True),
    Column("trigger", "处置原因", "有自伤自杀危险", required=True),
    Column("actions", "处置措施", "劝说安抚，陪同送医", required=True),
    Column("police", "公安参与", "否"),
    Column("ambulance", "120参与", "是"),
    Column("outcome", "处置结果", "住院治疗", required=True),
    Column("completed_on", "记录完成时间", "2024-03-01 18:00"),
    Column("team", "参与处置人员", "李四（民警）、王五（村（居）委会成员）"),
]
EMERGENCY_FIELDS = {"trigger": "trigger", "occurred_at": "occurred_at", "outcome": "outcome", "actions": "actions",
                    "completed_at": "completed_on", "role": "team", "name": "team", "person": "id_number"}


def _team_roles() -> dict:
    from xinli.smd.models import TeamRole

    return {**_labels(TeamRole), "村委会委员": TeamRole.VILLAGE, "居委会委员": TeamRole.VILLAGE, "村委会成员": TeamRole.VILLAGE,
            "居委会成员": TeamRole.VILLAGE, "精防人员": TeamRole.DOCTOR, "医生": TeamRole.DOCTOR, "公安": TeamRole.POLICE,
            "社区民警": TeamRole.POLICE, "民政": TeamRole.CIVIL, "残联": TeamRole.DISABILITY}


def _team(value) -> list[tuple[str, str]]:
    """``李四（民警）、王五（村（居）委会成员）``: (role, name) of each member (the role by its Chinese label or code)."""
    import re

    roles, out, bad = _team_roles(), [], []
    for part in split_list(value):
        m = re.fullmatch(r"(.+?)\s*[（(:：]\s*(.+?)\s*[）)]?", part)
        if m and m.group(1).strip() and text(m.group(2)).rstrip("）)") in roles:
            out.append((roles[text(m.group(2)).rstrip("）)")], m.group(1).strip()))
        elif m and m.group(1).strip() and text(m.group(2)) in roles:
            out.append((roles[text(m.group(2))], m.group(1).strip()))
        else:
            bad.append(part)
    if bad:
        raise RowProblems([("team", bilingual(_("Team members: '{value}' is not understood; write each member as name（role）, e.g. 李四（民警）, separated by 、; roles: 村（居）委会成员, 网格员, 精防医生, 民警, 民政干事, 残联专干, 志愿者."),
                                              value="、".join(bad)[:60]))])
    return out


def handle_emergency(ctx: Context, group) -> str:
    """One emergency of a registered patient (smd.services.record_emergency with ``imported=True``: no alert) and the
    team members it lists (smd.services.add_team_member: no one is paged). Matched by its source id, else by the patient,
    the time and the trigger."""
    from xinli.smd import services as smd
    from xinli.smd.models import Emergency, Patient, Trigger

    (_line, row), = group
    p = _Problems()
    idn = normalize_id_number(text(row.get("id_number")))
    person = p.take(lambda: _row_person(ctx, {"id_number": idn}))
    occurred = p.take(lambda: parse_datetime(row.get("occurred_at"), "occurred_at"))
    completed = p.take(lambda: parse_datetime(row.get("completed_on"), "completed_on"))
    trigger = p.take(lambda: _choice(row.get("trigger"), _labels(Trigger), "trigger",
                                     _("Reason for the emergency: '{value}' is not known; write one of 有自伤自杀危险, 危害他人或公共安全, 病情复发或明显加重, 急性药物不良反应.")))
    police = p.take(lambda: _yes_no(row.get("police"), "police"))
    ambulance = p.take(lambda: _yes_no(row.get("ambulance"), "ambulance"))
    team = p.take(lambda: _team(row.get("team"))) or []
    actions, outcome = text(row.get("actions")), text(row.get("outcome"))
    if not actions:
        p.add("actions", _("Actions taken: required; describe what was done."))
    if not outcome:
        p.add("outcome", _("Outcome: required; describe how the emergency ended."))
    if occurred is None and not any(c == "occurred_at" for c, _m in p.problems):
        p.add("occurred_at", _("Date and time: required; write it as YYYY-MM-DD HH:MM, e.g. 2024-03-01 14:30."))
    patient = Patient.objects.filter(person=person).first() if person is not None else None
    if person is not None and patient is None:
        p.add("id_number", _("Patient: not on the SMD register; import the patient first (kind SMD patients)."))
    p.raise_any()
    source_id = text(row.get("source_id"))[:64]
    em = _linked(Kind.EMERGENCIES, source_id, Emergency, patient=patient)
    if em is None:
        em = Emergency.objects.filter(patient=patient, occurred_at=occurred, trigger=trigger).first()
    outcome_of_row = "unchanged"
    if em is None:
        _refuse_unknown(ctx, _("Emergency: not imported before; import with the strategy create or create and update."))
        em = smd.record_emergency(ctx.actor, patient, trigger=trigger, occurred_at=occurred, actions=actions, police=police,
                                  ambulance=ambulance, outcome=outcome, imported=True, completed_at=completed or occurred)
        outcome_of_row = "created"
    else:
        if em.trigger != trigger or em.occurred_at != occurred:
            raise RowProblems([("trigger" if em.trigger != trigger else "occurred_at",
                                bilingual(_("Emergency: the time and reason of an imported emergency are not changed by an import; give the row its own source id if it is another emergency.")))])
        if (em.actions, em.outcome, em.police, em.ambulance) != (actions, outcome, police, ambulance):
            _refuse_changed(ctx, "actions")
            smd.complete_emergency(ctx.actor, em, actions=actions, outcome=outcome, police=police, ambulance=ambulance)
            outcome_of_row = "updated"
    _link(Kind.EMERGENCIES, source_id, em)
    have = {(m.role, m.name) for m in patient.team.all()}
    for role, name in team:
        if (role, name) not in have:
            if outcome_of_row == "unchanged":
                _refuse_changed(ctx, "team")
                outcome_of_row = "updated"
            smd.add_team_member(ctx.actor, patient, role=role, name=name)
            have.add((role, name))
    return outcome_of_row


KINDS[Kind.EMERGENCIES] = ImportKind(EMERGENCY_COLUMNS, handle_emergency, EMERGENCY_FIELDS)


# ---------------------------------------------------------------- closed counselling cases (history; no notes)

NOTES_REFUSED = _("Column '{column}': session notes are confidential and are not imported; delete the column and import the closed cases without notes.")
CASE_COLUMNS = [
    Column("source_id", "来源编号", "CASE-000123"),
    Column("resident_source_id", "居民来源编号", "HIS-000123"),
    Column("id_number", "身份证号", "37020219800501123X"),
    Column("name", "姓名", "张三"),
    Column("counsellor", "咨询师账号", "counsellor", required=True),
    Column("opened_on", "开案日期", "2023-09-01", required=True),
    Column("closed_on", "结案日期", "2023-12-20", required=True),
    Column("state", "状态", "已结案", required=True),
    Column("reason", "咨询原因", "睡眠差、情绪低落", required=True),
    Column("closing_summary", "结案小结", "情绪好转，按计划结案", required=True),
    Column("notes", "会谈记录", "", forbidden=NOTES_REFUSED),
    Column("session_notes", "咨询记录", "", forbidden=NOTES_REFUSED),
]
CASE_FIELDS = {"person": "id_number", "counsellor": "counsellor", "reason": "reason", "summary": "closing_summary",
               "opened_on": "opened_on", "closed_on": "closed_on"}
CLOSED = ("closed", "已结案", "结案", "已结束", "已关闭", "关闭")


def handle_case(ctx: Context, group) -> str:
    """One closed case (counselling.services.record_closed_case). Matched by its source id, else by the person, the
    counsellor and the opening date. A closed case is history: an import never changes it."""
    from xinli.counselling import services as counselling
    from xinli.counselling.models import Case

    (_line, row), = group
    p = _Problems()
    state = text(row.get("state"))
    if state not in CLOSED:
        p.add("state", _("State: only closed cases are imported (write 已结案); an open case is opened on the counselling page."))
    person = p.take(lambda: _row_person(ctx, row))
    counsellor = p.take(lambda: _user(row.get("counsellor"), "counsellor"))
    opened = p.take(lambda: parse_date(row.get("opened_on"), "opened_on"))
    closed = p.take(lambda: parse_date(row.get("closed_on"), "closed_on"))
    reason, summary = text(row.get("reason")), text(row.get("closing_summary"))
    p.raise_any()
    source_id = text(row.get("source_id"))[:64]
    case = _linked(Kind.CASES, source_id, Case, person=person)
    if case is None and opened is not None:
        case = Case.objects.filter(person=person, counsellor=counsellor, opened_at__date=opened).first()
    if case is None:
        _refuse_unknown(ctx, _("Case: not imported before; import with the strategy create or create and update."))
        case = counselling.record_closed_case(ctx.actor, person, counsellor=counsellor, reason=reason, opened_on=opened,
                                              closed_on=closed, summary=summary)
        _link(Kind.CASES, source_id, case)
        return "created"
    _link(Kind.CASES, source_id, case)
    from django.utils import timezone

    differ = [c for c, same in (("counsellor", case.counsellor_id == counsellor.pk), ("reason", case.reason == reason),
                                ("closing_summary", case.closing_summary == summary),
                                ("closed_on", case.closed_at is not None and timezone.localtime(case.closed_at).date() == closed)) if not same]
    if differ:
        raise RowProblems([(c, bilingual(_("Case: differs from the case already in the archive; a closed case is history and is not changed by an import."))) for c in differ])
    return "unchanged"


KINDS[Kind.CASES] = ImportKind(CASE_COLUMNS, handle_case, CASE_FIELDS)


# ---------------------------------------------------------------- 12345 citizen-hotline work orders (工单)

ORDER_COLUMNS = [
    Column("source_id", "工单编号", "12345-2026-000123", required=True),
    Column("kind", "工单类型", "困难救助", required=True),
    Column("title", "事由", "独居老人生活困难，申请临时救助", required=True),
    Column("description", "详情", "来电人反映邻居独居老人生活困难，近期医药费支出大。"),
    Column("org_unit_code", "所在村（社区）代码", "370202001001", required=True),
    Column("department", "承办部门", ""),
]
ORDER_FIELDS = {"kind": "kind", "title": "title", "description": "description", "office": "department"}


def handle_work_order(ctx: Context, group) -> str:
    """One order of a 12345 citizen-hotline (or other platform's) export, sent through governance.services.dispatch in
    the importer's name (``orders.create`` over the unit) from the village or community it concerns to the nearest
    office of the kind's department — or of the department named. Idempotent by the order number (the order's
    ``external_id`` is ``import:<number>``): an order already imported is never changed by an import. No person is
    linked (the details hold what the caller said, encrypted)."""
    from xinli.governance import services as orders
    from xinli.governance.models import OrderKind, WorkOrder
    from xinli.governance.selectors import covering_offices
    from xinli.regions.models import Department

    (_line, row), = group
    p = _Problems()
    number = text(row.get("source_id"))[:64]
    if not number:
        p.add("source_id", _("Order number: required; the number the hotline gave the order (it makes a re-import change nothing)."))
    value = text(row.get("kind"))
    kind = next((k for k in OrderKind.objects.filter(active=True).select_related("department")
                 if value in (k.code, k.name, k.name_en)), None) if value else None
    if kind is None:
        p.add("kind", _("Kind: '{value}' is not a work-order kind; write one of the kinds' names, e.g. 困难救助 or 12345 热线工单."),
              value=value[:30])
    unit = p.take(lambda: ctx.unit(text(row.get("org_unit_code"))))
    office = None
    dept_value = text(row.get("department"))
    if dept_value:
        department = next((d for d in Department.objects.filter(active=True) if dept_value in (d.code, d.name, d.name_en)), None)
        if department is None:
            p.add("department", _("Department: '{value}' is not known; write a department's name (e.g. 民政) or leave it empty for the kind's department."),
                  value=dept_value[:30])
        elif unit is not None:
            office = next(iter(covering_offices(unit, department)), None)
            if office is None:
                p.add("department", _("Department: no office of {department} covers {unit}; leave it empty or ask the administrator to register the office."),
                      department=department.label, unit=unit.name)
    p.raise_any()
    external_id = f"import:{number}"
    if WorkOrder.objects.filter(external_id=external_id).exists():
        return "unchanged"
    _refuse_unknown(ctx, _("Work order: not imported before; import with the strategy create or create and update."))
    orders.dispatch(ctx.actor, kind=kind, title=text(row.get("title")), description=text(row.get("description")),
                    from_unit=unit, office=office, external_id=external_id)
    return "created"


KINDS[Kind.WORK_ORDERS] = ImportKind(ORDER_COLUMNS, handle_work_order, ORDER_FIELDS)
