"""The one scoring engine: a pure function of a definition and the answers.

``score("phq9", {"1": 0, ...})`` → ``Result``. Answers are the option values as printed on the form (before any
reverse scoring, which the engine applies). Invalid input raises ``ScoringError`` naming the item and the fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from xinli.core.i18n import pair
from xinli.core.ids import parse_int

from .definitions import Band, Definition, DefinitionError, get

MISSING = object()
YES_WORDS = {"yes": "yes", "y": "yes", "是": "yes", "true": "yes", "no": "no", "n": "no", "否": "no", "false": "no"}
SEX_WORDS = {"male": "male", "m": "male", "男": "male", "female": "female", "f": "female", "女": "female"}


def _missing_error(d, missing: list[str], allowed: int) -> ScoringError:
    """Unanswered questions, named in plain words: the first one's number and text, then the numbers of the others
    (pages link the message to that question)."""
    first = d.item_map[missing[0]]
    others = missing[1:11]
    zh = f"第 {first.id} 题未作答：“{first.text.get('zh-hans') or first.text.get('en')}”"
    en = f"Question {first.id} is not answered: “{first.text.get('en') or first.text.get('zh-hans')}”"
    if others:
        zh += f"；第 {'、'.join(others)} 题也未作答"
        en += f"; questions {', '.join(others)} are not answered either"
    if allowed:
        zh += f"（{d.raw.get('short_name', d.code)} 最多可缺 {allowed} 题）"
        en += f" ({d.raw.get('short_name', d.code)} allows {allowed} unanswered)"
    return ScoringError(first.id, zh + "。请作答后再提交。", en + ". Answer it, then submit again.")


class ScoringError(ValueError):
    """Input that cannot be scored. ``field`` is the item id (or "scale", "sex", "answers")."""

    def __init__(self, field: str, zh: str, en: str):
        self.field, self.zh, self.en = field, zh, en
        super().__init__(pair(zh, en))  # on a page, the reader's language only


@dataclass
class Result:
    scale: str
    version: str
    total: Decimal
    raw_total: Decimal
    band: str
    band_label: dict
    advice: dict
    severity: int
    subscales: dict[str, Decimal] = field(default_factory=dict)
    critical: list[dict] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)
    answers: dict[str, int | None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    prorated: bool = False
    valid: bool = True

    @property
    def critical_items(self) -> list[str]:
        return [c["item"] for c in self.critical]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["total"] = number(self.total)
        data["raw_total"] = number(self.raw_total)
        data["subscales"] = {k: number(v) for k, v in self.subscales.items()}
        return data


def number(value):
    """A Decimal as a JSON number: int when whole, else float with at most 2 decimals."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _round(d: Definition, value: Decimal) -> Decimal:
    mode = d.rounding
    if mode is None:
        return value.normalize() if value != value.to_integral_value() else value.to_integral_value()
    return value.quantize(Decimal("1"), rounding=mode)


def report_value(d: Definition, raw: Decimal) -> Decimal:
    """The reported score for a raw (possibly prorated) sum: × multiplier, rounded as the definition declares."""
    return _round(d, raw * d.multiplier)


def _normalise(d: Definition, answers) -> dict[str, object]:
    items = d.items
    if isinstance(answers, list | tuple):
        if len(answers) > len(items):
            raise ScoringError("answers", f"答案数量过多：{d.raw.get('short_name', d.code)} 共 {len(items)} 题，收到 {len(answers)} 个",
                               f"too many answers: {d.code} has {len(items)} items, got {len(answers)}")
        answers = {item.id: a for item, a in zip(items, answers, strict=False)}
    if not isinstance(answers, dict):
        raise ScoringError("answers", "答案格式错误：应为 题号→选项值 的对象", "answers must be an object of item id → option value")
    known = d.item_map
    unknown = sorted(str(k) for k in answers if str(k) not in known)
    if unknown:
        raise ScoringError(unknown[0], f"第 {unknown[0]} 题不存在：{d.code} 的题号为 1–{len(items)}",
                           f"item {unknown[0]} does not exist: {d.code} items are 1–{len(items)}")
    out: dict[str, object] = {}
    for item in items:
        value = answers.get(item.id, answers.get(int(item.id)) if item.id.isdigit() else None)
        out[item.id] = _value(item, value)
    return out


def _value(item, value):
    if value is None or value == "" or value == "-":
        return MISSING
    allowed = item.values
    if item.is_yes_no:
        word = YES_WORDS.get(str(value).strip().lower()) if not isinstance(value, int) or isinstance(value, bool) else None
        if isinstance(value, bool):
            word = "yes" if value else "no"
        if word:
            return next(o.value for o in item.options if o.answer == word)
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and parse_int(value) is not None:
        value = parse_int(value)  # ASCII digits only: "²" or "٣" is not an answer
    if not isinstance(value, int) or value not in allowed:
        listing = "、".join(str(v) for v in allowed)
        extra = "，或 yes/no" if item.is_yes_no else ""
        raise ScoringError(item.id, f"第 {item.id} 题的答案 {value!r} 无效：可选值为 {listing}{extra}",
                           f"item {item.id}: answer {value!r} is not allowed; use one of {', '.join(str(v) for v in allowed)}"
                           + (" or yes/no" if item.is_yes_no else ""))
    return value


def _points(d: Definition, item, value) -> int:
    if str(item.id) in {str(r) for r in d.scoring.get("reverse", [])}:
        return item.min + item.max - value
    return value


def _match(rule: dict, given: dict[str, object], d: Definition) -> bool:
    if rule.get("always"):
        return True
    for iid in rule.get("any_yes", []):
        item = d.item_map[str(iid)]
        yes = next((o.value for o in item.options if o.answer == "yes"), item.max)
        if given.get(str(iid)) == yes:
            return True
    return False


def _bands_for(d: Definition, sex: str | None, cutoff) -> tuple[Band, ...]:
    if d.bands_by_sex:
        key = SEX_WORDS.get(str(sex or "").strip().lower())
        if key is None:
            raise ScoringError("sex", f"{d.code} 的判定界值因性别而异：请提供性别（male 或 female）",
                               f"{d.code} cut-offs depend on sex: give sex (male or female)")
        return d.bands_by_sex[key]
    bands = d.bands
    if cutoff is not None and d.scoring.get("cutoff_setting") and len(bands) >= 2:
        cut = Decimal(str(cutoff))
        ordered = sorted(bands, key=lambda b: b.min)
        low, high = ordered[-2], ordered[-1]
        if not (low.min < cut <= high.max):
            raise ScoringError("cutoff", f"界值 {cutoff} 超出范围", f"cut-off {cutoff} is out of range")
        from dataclasses import replace

        bands = (*ordered[:-2], replace(low, max=cut - 1), replace(high, min=cut))
    return bands


def score(code: str, answers, *, sex: str | None = None, cutoff=None) -> Result:
    """Score ``answers`` (dict item id → option value, or a list in item order) for instrument ``code``.

    ``sex`` is needed where cut-offs depend on it (AUDIT-C); ``cutoff`` moves a declared adjustable cut-off (PCL-5).
    Pure: no database, no settings. Raises ScoringError on unknown scale or invalid answers."""
    try:
        d = get(code)
    except KeyError:
        raise ScoringError("scale", f"未知量表：{code}", f"unknown scale: {code}") from None
    except DefinitionError as exc:  # pragma: no cover - shipped definitions are validated by tests
        raise ScoringError("scale", f"量表定义无效：{exc}", f"invalid definition: {exc}") from None
    given = _normalise(d, answers)

    skipped: set[str] = set()
    for rule in d.skip:
        if given.get(str(rule["if_item"])) == rule["equals"]:
            skipped |= {str(s) for s in rule["skip"]}
    scored = d.scored_items
    missing = [i.id for i in scored if given[i.id] is MISSING and i.id not in skipped]

    points: dict[str, int | None] = {}
    for item in scored:
        if item.id in skipped:
            points[item.id] = 0
        elif given[item.id] is MISSING:
            points[item.id] = None
        else:
            points[item.id] = _points(d, item, given[item.id])

    subscales: dict[str, Decimal] = {}
    prorated = False
    for sub in d.subscales:
        ids = [str(i) for i in sub["items"]]
        answered = [points[i] for i in ids if points[i] is not None]
        minimum = sub.get("prorate_min_answered", len(ids))
        if len(answered) < minimum:
            if d.scoring.get("total") == "subscales" and sub["code"] in d.scoring.get("total_subscales", []):
                raise ScoringError(ids[0], f"“{sub['label']['zh-hans']}”分量表作答不足：至少需要 {minimum} 题",
                                   f"subscale '{sub['label']['en']}' has too few answers: at least {minimum} needed")
            continue
        total = Decimal(sum(answered))
        if sub.get("method", "sum") == "mean":
            subscales[sub["code"]] = (total / len(answered)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif len(answered) < len(ids):
            subscales[sub["code"]] = _round(d, total * len(ids) / len(answered))
            prorated = True
        else:
            subscales[sub["code"]] = total

    if d.scoring.get("total") == "subscales":
        raw = sum((subscales[c] for c in d.scoring["total_subscales"]), Decimal(0))
    else:
        allowed = d.scoring.get("missing", {}).get("max", 0)
        if len(missing) > allowed:
            raise _missing_error(d, missing, allowed)
        answered_points = [p for p in points.values() if p is not None]
        raw = Decimal(sum(answered_points))
        if missing:
            raw = raw * len(points) / len(answered_points)
            prorated = True
    total = report_value(d, raw)

    if d.band_rules:
        band = next(b for b in d.band_rules if _match(b.when, given, d))
    else:
        band = next((b for b in _bands_for(d, sex, cutoff) if b.contains(total)), None)
        if band is None:  # pragma: no cover - coverage is validated when the definition loads
            raise ScoringError("answers", f"总分 {total} 不在任何分级内", f"total {total} falls in no band")

    # Critical items compare the item's scored points (after reverse scoring) with the threshold, so that a
    # reverse-printed item such as EPDS 10 triggers on its worst answer.
    critical = []
    for c in d.critical:
        pts = points.get(str(c["item"]))
        if pts is not None and str(c["item"]) not in skipped and pts >= c["min"]:
            critical.append({"item": str(c["item"]), "level": c["level"], "value": given[str(c["item"])], "label": c.get("label", {})})

    flags = {f["code"]: _flag(f, d, given, points, subscales, total) for f in d.flags}
    return Result(
        scale=d.code, version=d.version, total=total, raw_total=raw, band=band.code, band_label=band.label,
        advice=band.advice, severity=band.severity, subscales=subscales, critical=critical, flags=flags,
        answers={k: (None if v is MISSING else v) for k, v in given.items()}, skipped=sorted(skipped, key=_key),
        missing=missing, prorated=prorated,
    )


def _key(item_id: str):
    return (0, int(item_id)) if item_id.isdigit() else (1, item_id)


def _flag(rule: dict, d: Definition, given, points, subscales, total) -> bool:
    kind = rule["type"]
    if kind == "cluster_counts":
        threshold = rule["threshold"]
        subs = {s["code"]: s for s in d.subscales}
        for code, needed in rule["require"].items():
            count = sum(1 for i in subs[code]["items"] if isinstance(given.get(str(i)), int) and given[str(i)] >= threshold)
            if count < needed:
                return False
        return True
    if kind == "any_of":
        for cond in rule["conditions"]:
            if "total_gt" in cond and total > cond["total_gt"]:
                return True
            if "items_gte" in cond:
                count = sum(1 for v in given.values() if isinstance(v, int) and v >= cond["items_gte"])
                if count > cond["count_gt"]:
                    return True
            if "any_subscale_gte" in cond and any(v >= cond["any_subscale_gte"] for v in subscales.values()):
                return True
        return False
    raise DefinitionError(f"{d.code}: unknown flag type {kind}")
