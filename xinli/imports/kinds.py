"""The kinds of import: their columns (with the template's example row) and how a row (or a group of rows) is
written through the domain services. A handler returns "created", "updated" or "unchanged", or raises
``RowProblems`` / ``ValidationError`` / ``PermissionDenied`` (the row is refused and reported)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from xinli.archives import services as archives
from xinli.archives.models import ConsentPurpose, Person, Tag
from xinli.archives.normalize import normalize_id_number
from xinli.core.fields import blind_index
from xinli.core.i18n import bilingual
from xinli.core.policy import ARCHIVES_EDIT
from xinli.core.scoping import scope_q

from .models import Kind, SourceLink, Strategy
from .services import Column, Context, RowProblems, parse_date, split_list, text


@dataclass
class ImportKind:
    columns: list[Column]
    handle: Callable
    field_columns: dict  # service error field -> column key
    group: Callable | None = None


def _labels(choices) -> dict[str, str]:
    """Code and Chinese label (and English label) -> code."""
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


KINDS: dict[str, ImportKind] = {
    Kind.RESIDENTS: ImportKind(RESIDENT_COLUMNS, handle_resident, RESIDENT_FIELDS),
}
