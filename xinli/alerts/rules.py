"""Declarative alert rules: which results raise which alerts (DOMAIN.md §7). Each rule is data — a source, a
condition on the event and a level — and ``signals_for_assessment`` applies them. New sources (SMD risk level,
hotline triage) add rules here rather than code paths elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Level, Source


@dataclass(frozen=True)
class AssessmentRule:
    source: str
    level: str | None  # None: the level declared by the critical item in the instrument definition
    min_severity: int = 0  # band severity (0 minimal .. 3 severe) at or above which the rule fires
    critical: bool = False  # fires per triggered critical item
    modes: tuple[str, ...] = ("self", "staff", "campaign")


ASSESSMENT_RULES = (
    # A critical item (e.g. PHQ-9 item 9, EPDS item 10) at the level the instrument declares for it.
    AssessmentRule(source=Source.CRITICAL_ITEM, level=None, critical=True),
    # A severe band: orange.
    AssessmentRule(source=Source.SEVERE_BAND, level=Level.ORANGE, min_severity=3),
    # A positive (moderate or worse) screen in a campaign: yellow, for the campaign's follow-up.
    AssessmentRule(source=Source.CAMPAIGN_POSITIVE, level=Level.YELLOW, min_severity=2, modes=("campaign",)),
)

# SMD follow-up risk levels 0–5 (Severe Mental Disorder management norms): 4–5 red, 3 orange.
SMD_RISK_LEVELS = {5: Level.RED, 4: Level.RED, 3: Level.ORANGE}


def signals_for_assessment(assessment) -> list[tuple[str, str, str, tuple[str, dict]]]:
    """(source, level, cause, (summary code, parameters)) for every rule the assessment meets. The summary
    (``xinli.alerts.summaries``) names the instrument, band and item numbers — never the answers' wording or the
    person."""
    out = []
    for rule in ASSESSMENT_RULES:
        if assessment.mode not in rule.modes:
            continue
        if rule.critical:
            for c in assessment.critical:
                out.append((rule.source, c["level"], f"{assessment.scale}:item{c['item']}",
                            ("critical_item", {"scale": assessment.scale, "item": c["item"], "value": c.get("value")})))
        elif assessment.severity >= rule.min_severity:
            out.append((rule.source, rule.level, f"{assessment.scale}:{rule.source}",
                        ("band", {"scale": assessment.scale, "band": assessment.band, "total": _number(assessment.total)})))
    # A severe band also meets the campaign-positive rule; the more urgent signal alone is enough.
    if any(s[0] == Source.SEVERE_BAND for s in out):
        out = [s for s in out if s[0] != Source.CAMPAIGN_POSITIVE]
    return out


def _number(value) -> str:
    """A total as people write it: 17, not 17.00; 52.5 stays 52.5."""
    text = f"{value:f}" if hasattr(value, "normalize") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


# Hotline suicide-risk triage (DOMAIN.md §6–7): the call's risk level decides the alert.
HOTLINE_RISK_LEVELS = {"imminent": Level.RED, "high": Level.RED, "medium": Level.ORANGE}
