"""Small-cell suppression for aggregates shown to readers without person rights (docs/indicators.md, "Small cells").

Rule: a count n with 1 <= n < threshold is not shown (None in the API, "<threshold" on pages, empty in Excel) and the
result carries ``suppressed`` naming those cells. 0 and counts >= threshold are shown (a cell of exactly the threshold
is shown). A rate is shown only when its numerator and its denominator are both shown. The threshold is the setting
``XINLI_SMALL_CELL`` (default 5)."""

from __future__ import annotations

from django.conf import settings


def threshold() -> int:
    return int(getattr(settings, "XINLI_SMALL_CELL", 5))


def is_small(n, limit: int | None = None) -> bool:
    limit = threshold() if limit is None else limit
    return isinstance(n, int) and 0 < n < limit


def suppress(counts: dict, rates: dict, rate_parts: dict, *, keep=()) -> tuple[dict, dict, list[str]]:
    """``rate_parts``: rate name → (numerator field, denominator field). ``keep``: counts never suppressed (e.g. the
    population, which is not a count of persons with a condition). Returns (counts, rates, suppressed names)."""
    limit = threshold()
    hidden = sorted(k for k, v in counts.items() if k not in keep and is_small(v, limit))
    out_counts = {k: (None if k in hidden else v) for k, v in counts.items()}
    out_rates = {k: (None if any(p in hidden for p in rate_parts.get(k, ())) else v) for k, v in rates.items()}
    return out_counts, out_rates, hidden
