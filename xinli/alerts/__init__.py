"""Risk alerts: declarative rules turn results into alerts with a level, an owner team and deadlines; a sweeper
escalates unacknowledged alerts up the org tree; notifications reach the team in the platform, by e-mail and SMS.

``raise_for_assessment`` is the hook the screening service calls in its own transaction (assessment and alert
commit together or not at all)."""


def raise_for_assessment(assessment, *, actor=None):
    """Apply the assessment rules; returns the alert raised (or merged into), or None. One result raises one alert:
    when several rules fire (PHQ-9 item 9 in a severe result), the most urgent one raises it and the others are
    recorded on it (``services.raise_one``).

    An anonymous self-test (no person, no campaign) raises nothing: there is nobody to follow up, and the resident
    sees the crisis screen with the hotline instead."""
    from .rules import signals_for_assessment
    from .services import Signal, raise_one

    if assessment.person is None and assessment.campaign is None:
        return None
    unit = assessment.person.org_unit if assessment.person is not None else assessment.campaign.org_unit
    extra = list(assessment.campaign.responsible.all()) if assessment.campaign is not None else []
    return raise_one([Signal(
        level=level, source=source, cause=cause, summary="", summary_code=code, summary_params=params, org_unit=unit,
        person=assessment.person, assessment=assessment, campaign=assessment.campaign, participant=assessment.participant,
        reported_by=actor, extra_recipients=extra)
        for source, level, cause, (code, params) in signals_for_assessment(assessment)], actor=actor)


def raise_for_smd_risk(person, risk_level: int, *, actor=None, summary_code: str = "smd_risk"):
    """The hook for severe-mental-disorder follow-ups: a risk assessment of level 3 raises an orange alert, 4–5 a
    red one (``rules.SMD_RISK_LEVELS``); lower levels raise nothing. Returns the alert or None."""
    from .models import Source
    from .rules import SMD_RISK_LEVELS
    from .services import Signal, raise_alert

    if not isinstance(risk_level, int) or not 0 <= risk_level <= 5:
        from django.utils.translation import gettext_lazy as _

        from xinli.core.i18n import field_error

        raise field_error("risk_level", _("Risk level: a whole number from 0 to 5."))
    level = SMD_RISK_LEVELS.get(risk_level)
    if level is None:
        return None
    return raise_alert(Signal(level=level, source=Source.SMD_RISK, cause="smd:risk", org_unit=person.org_unit,
                              person=person, reported_by=actor, summary="", summary_code=summary_code,
                              summary_params={"risk": risk_level}), actor=actor)
