"""An alert's summary, rendered in the reader's language when it is read.

A rule stores what happened as a message code and its parameters (``summary_code``, ``summary_params``: instrument
and band codes, item numbers, a call's id and risk level — never a person's data); pages, the API and notifications
render it through gettext with :func:`render`, so a Chinese reader reads Chinese whatever the language of the
request that raised the alert. A worker's own report (``report``) has no code: their words are shown as written.

Parameters that are choices are stored as codes and shown by their label; the choices class is named by its dotted
path (resolved at render time) so that this module does not import the apps that raise alerts."""

from __future__ import annotations

from django.utils.module_loading import import_string
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from xinli.scales import definitions

# code → (message, {parameter: dotted path of its choices})
SUMMARIES = {
    "critical_item": (_("{scale} item {item} = {value}"), {}),
    "band": (_("{scale} {band} (total score {total})"), {}),
    "hotline": (_("12356 call #{call}: {risk} suicide risk"), {"risk": "xinli.hotline.models.Risk"}),
    "hotline_transfer": (_("12356 call #{call}: {risk} suicide risk, transferred to {transfer_to}"),
                         {"risk": "xinli.hotline.models.Risk", "transfer_to": "xinli.hotline.models.Transfer"}),
    "smd_follow_up": (_("SMD follow-up: risk level {risk}"), {}),
    "smd_risk": (_("SMD risk level {risk}"), {}),
    "smd_emergency": (_("SMD emergency: {trigger}"), {"trigger": "xinli.smd.models.Trigger"}),
}


def render(code: str, params: dict, fallback: str = "", lang: str | None = None) -> str:
    """The summary ``code`` with ``params`` in ``lang`` (default: the active language); ``fallback`` (the stored text)
    for an alert without a code or with a code this version does not know."""
    if code not in SUMMARIES:
        return fallback
    if lang is not None:
        with override(lang):
            return render(code, params, fallback)
    message, choices = SUMMARIES[code]
    values = dict(params)
    for name, path in choices.items():
        if name in values:
            values[name] = dict(import_string(path).choices).get(values[name], values[name])
    if "scale" in values:
        scale = values["scale"]
        values["scale"] = definitions.short_name(scale)
        if "band" in values:
            lang_code = "en" if (get_language() or "").startswith("en") else "zh-hans"
            values["band"] = definitions.band_name(scale, values["band"], lang_code)
    try:
        return str(message).format(**values)
    except (KeyError, IndexError):  # parameters of another version: the stored text still says it
        return fallback


