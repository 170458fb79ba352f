"""The kinds of import: their columns (with the template's example row) and how a row (or a group of rows) is
written through the domain services. A handler returns "created", "updated" or "unchanged", or raises
``RowProblems`` / ``ValidationError`` / ``PermissionDenied`` (the row is refused and reported)."""

from __future__ import annotations

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
from xinli.core.fields import blind_index
from xinli.core.i18n import bilingual
from xinli.core.policy import ARCHIVES_EDIT
from xinli.core.scoping import scope_q
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


def _resident_data(ctx: Context, row: dict):
    problems = []
    data = {"name": text(row.get("name"))}
    for key in ("id_number", "phone", "address"):
        if text(row.get(key)):
            data[key] = text(row.get(key))
    sex = text(row.get("sex"))
    if sex:
        if sex not in SEXES:
            problems.append(("sex", bilingual(_("Sex: '{value}' is not known; write 男 or 女 (or leave it empty to take it from the ID number)."), value=sex[:10])))
        else:
            data["sex"] = SEXES[sex]
    for step in (
        lambda: data.__setitem__("birth_date", parse_date(row.get("birth_date"), "birth_date")),
        lambda: data.__setitem__("org_unit", ctx.unit(text(row.get("org_unit_code")))),
        lambda: data.__setitem__("tags", _codes(row.get("tags"), _labels(Tag), "tags",
                                                _("Population tag: '{value}' is not known; use the tags of the template's list, separated by 、."))),
        lambda: data.__setitem__("consents", _codes(row.get("consents"), _labels(ConsentPurpose), "consents",
                                                    _("Consent purpose: '{value}' is not known; use the purposes of the template's list, separated by 、."))),
    ):
        try:
            step()
        except RowProblems as exc:
            problems += exc.problems
    if problems:
        raise RowProblems(problems)
    if data.get("birth_date") is None:
        data.pop("birth_date", None)
    return data


def _consent(purpose: str, guardian: str) -> dict:
    if guardian:
        return {"purpose": purpose, "legal_basis": "consent", "given_by": "guardian", "guardian_name": guardian}
    return {"purpose": purpose, "legal_basis": "consent", "given_by": "self"}


def _find_person(ctx: Context, kind: str, source_id: str, id_number: str) -> Person | None:
    persons = Person.objects.filter(scope_q(ctx.actor, ARCHIVES_EDIT))
    if source_id:
        link = SourceLink.objects.filter(kind=kind, source_id=source_id).first()
        if link is not None:
            return persons.filter(pk=link.object_id).first()
    if id_number:
        bidx = blind_index("id_number", id_number, normalize_id_number)
        if bidx:
            return persons.filter(id_number_bidx=bidx).first()
    return None


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


def _same_as_archive(ctx: Context, parsed: dict, sources: dict, bidx: dict, groups, out: dict) -> None:
    """Rows whose person (found by ID number in the importer's area, linked to the row's source id if it has one)
    already holds exactly the row's values, tags and consents: "unchanged", with three queries for the batch."""
    persons = {p.id_number_bidx: p for p in Person.objects.filter(scope_q(ctx.actor, ARCHIVES_EDIT),
                                                                   id_number_bidx__in=[b for b in bidx.values() if b])}
    if not persons:
        return
    pks = [p.pk for p in persons.values()]
    tags, consents = {}, {}
    for person_id, tag in PopulationTag.objects.filter(person_id__in=pks, until__isnull=True).values_list("person_id", "tag"):
        tags.setdefault(person_id, set()).add(tag)
    for person_id, purpose in Consent.objects.filter(person_id__in=pks, withdrawn_at__isnull=True).values_list("person_id", "purpose"):
        consents.setdefault(person_id, set()).add(purpose)
    links = dict(SourceLink.objects.filter(kind=Kind.RESIDENTS, source_id__in=[v for v in sources.values() if v])
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
    out, parsed = {}, {}
    for gi, group in enumerate(groups):
        (_line, row), = group
        try:
            parsed[gi] = _resident_data(ctx, row)
        except RowProblems as exc:
            out[gi] = exc
    sources = {gi: text(groups[gi][0][1].get("source_id"))[:64] for gi in parsed}
    linked = set(SourceLink.objects.filter(kind=Kind.RESIDENTS, source_id__in=[v for v in sources.values() if v])
                 .values_list("source_id", flat=True))
    bidx = {gi: blind_index("id_number", normalize_id_number(d.get("id_number", "")), normalize_id_number) for gi, d in parsed.items()}
    known = set(Person.objects.filter(id_number_bidx__in=[b for b in bidx.values() if b]).values_list("id_number_bidx", flat=True))
    _same_as_archive(ctx, parsed, sources, bidx, groups, out)
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
    items = []
    for gi in take:
        data = dict(parsed[gi])
        tags, consents = data.pop("tags"), data.pop("consents")
        items.append((data, tags, [_consent(p, guardian[gi]) for p in consents]))
    results = archives.register_people(ctx.actor, items)
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
    SourceLink.objects.bulk_create(links)
    return out


KINDS: dict[str, ImportKind] = {
    Kind.RESIDENTS: ImportKind(RESIDENT_COLUMNS, handle_resident, RESIDENT_FIELDS, bulk=bulk_residents),
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
    from xinli.smd import importer as smd_importer
    from xinli.smd import services as smd
    from xinli.smd.models import Diagnosis, FollowUp, Patient

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
        diagnosis = text(first.get("diagnosis"))
        diagnosis = smd_importer.DIAGNOSIS_NAMES.get(diagnosis, diagnosis)
        if diagnosis not in Diagnosis.values:
            raise RowProblems([("diagnosis", bilingual(_("Diagnosis: '{value}' is not one of the six severe mental disorders; write e.g. 精神分裂症 or F20."), value=diagnosis[:20]))])
        source = text(first.get("source"))
        residence = text(first.get("residence"))
        patient = smd.register_patient(ctx.actor, person, {
            "diagnosis": diagnosis, "diagnosed_by": text(first.get("diagnosed_by")),
            "diagnosed_on": parse_date(first.get("diagnosed_on"), "diagnosed_on"),
            "source": smd_importer.SOURCES.get(source, source),
            "residence": smd_importer.RESIDENCES.get(residence, residence or "home"),
            "guardian_name": text(first.get("guardian_name")), "guardian_phone": text(first.get("guardian_phone")),
            "consent_community": text(first.get("consent")) in ("是", "yes", "1", "true", "True")})
        outcome = "created"
    done = set(FollowUp.objects.filter(patient=patient).values_list("date", flat=True))
    visits = []
    for line, row in group:
        try:
            visits.append((parse_date(row.get("follow_up_date"), "follow_up_date"), line, row))
        except RowProblems as exc:
            exc.line = line
            raise
    for date, line, row in sorted(visits, key=lambda v: (v[0] is None, v[0] or 0, v[1])):
        if date is None or date in done:
            continue
        risk = text(row.get("risk"))
        mode = text(row.get("mode"))
        try:
            smd.record_follow_up(ctx.actor, patient, {
                "date": date, "mode": smd_importer.MODES.get(mode, mode or "clinic"),
                "risk": int(risk) if risk.isdigit() else None, "insight": _label_code(row.get("insight"), INSIGHTS),
                "adherence": _label_code(row.get("adherence"), _labels(Adherence)), "referral_institution": text(first.get("diagnosed_by"))}, imported=True)
        except ValidationError as exc:
            exc.line = line
            raise
        done.add(date)
        if outcome == "unchanged":
            outcome = "updated"
    return outcome


KINDS[Kind.SMD_PATIENTS] = ImportKind(SMD_COLUMNS, handle_smd_patient, SMD_FIELDS, group=smd_group)
