"""The per-indicator table of docs/indicators.md, generated from the registry (``manage.py indicator_table``) so the
documentation cannot drift from the code: code, names, numerator, denominator, unit, source and default target."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import translation

from .registry import REGISTRY

START, END = "<!-- indicator-table:start -->", "<!-- indicator-table:end -->"
UNIT_NAMES = {"percent": "%", "per_mille": "‰", "per_10000": "per 10,000 residents", "count": "count", "yes_no": "yes/no"}


def _target(ind) -> str:
    if ind.target_rule == "decrease":
        return "fewer than last year"
    if ind.target is None:
        return "— (monitored)"
    sign = "≥" if ind.higher_is_better else "≤"
    if ind.kind == "rate":
        return f"{sign} {(ind.target * 100).normalize():f} %"
    if ind.kind == "flag":
        return "yes"
    suffix = {"permille": " ‰", "per10k": " per 10,000"}.get(ind.kind, "")
    return f"{sign} {ind.target.normalize():f}{suffix}"


def table() -> str:
    """The Markdown table (English; the Chinese name is the official one)."""
    lines = ["| code | indicator | numerator | denominator | unit | source | default target |", "|---|---|---|---|---|---|---|"]
    with translation.override("en"):
        for code, ind in REGISTRY.items():
            source = "platform (not in the pilot plan)" if ind.platform else ind.source
            lines.append(f"| {code} | {ind.zh} ({ind.en}) | {ind.numerator} | {ind.denominator or '—'} | {UNIT_NAMES[ind.unit]} | "
                         f"{source} | {_target(ind)} |")
    return "\n".join(lines)


def docs_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "indicators.md"


def render(text: str) -> str:
    """``text`` (the Markdown file) with the table between the markers replaced by the current one."""
    head, sep, rest = text.partition(START)
    if not sep or END not in rest:
        raise ValueError(f"docs/indicators.md: the markers {START} … {END} are missing")
    return f"{head}{START}\n{table()}\n{END}{rest.partition(END)[2]}"
