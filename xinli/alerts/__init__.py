"""Risk alerts. The alert rules, escalation and notifications arrive with the alerts issue; until then
``raise_for_assessment`` records that an assessment would raise an alert, so nothing is lost."""


def raise_for_assessment(assessment, *, actor=None) -> str | None:
    """Called by the screening service in the same transaction when a result has a critical item or a severe
    band. Returns the alert level it would raise (red/orange/yellow) and records the event in the audit log."""
    from xinli.core import audit

    levels = [c["level"] for c in assessment.critical]
    if assessment.severity >= 3:
        levels.append("orange")
    elif assessment.severity == 2 and assessment.mode == "campaign":
        levels.append("yellow")
    if not levels:
        return None
    level = min(levels, key=["red", "orange", "yellow"].index)
    audit.record(actor, audit.Action.SYSTEM, obj=assessment, person=assessment.person,
                 org_path=assessment.org_path, detail={"alert_candidate": level, "scale": assessment.scale,
                                                       "band": assessment.band, "critical": assessment.critical_items})
    return level
