"""The security administrator's page of a user's field devices (under /accounts/security/): the list and revoking
one. No person data here."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xinli.accounts.selectors import managed_user
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.policy import SECURITY_MANAGE
from xinli.core.scoping import has_capability

from . import selectors, services


@login_required
def devices_view(request):
    """``?user=<username>``: that user's field devices; POST ``device`` revokes one (its next call is told to wipe)."""
    actor = request.user
    if not has_capability(actor, SECURITY_MANAGE):
        raise Http404
    target = managed_user(actor, request.GET.get("user", ""))
    if target is None:
        raise Http404
    if request.method == "POST":
        device = selectors.devices_of(target).filter(pk=form_pk(request.POST.get("device"))).first()
        if device is None:
            raise Http404
        try:
            services.revoke_device(actor, device)
            messages.success(request, bilingual(_("Device revoked: its data are erased at its next connection.")))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied:
            raise Http404 from None
        return redirect(reverse("field_devices") + "?user=" + target.username)
    return render(request, "field/devices.html", {"target": target, "devices": selectors.devices_of(target)[:200]})


# --- the field app (/field/): an installable web app that works offline ----------------------------------------------
# The shell holds no person data (tasks and persons come from the pack API into the encrypted device store), so the
# service worker may cache it; every person read happens through the pack and sync APIs, audited there.

FIELD_SHELL = ("js/field/app.js", "js/field/score.js", "js/field/store.js", "vendor/sm-crypto/sm3.js",
               "vendor/sm-crypto/sm4.js", "css/field.css", "img/field-icon.svg")


def _labels() -> dict:
    """Chinese (or the reader's language) labels of every code the app shows, from the models' own choices."""
    from xinli.alerts.models import Level
    from xinli.smd.models import LEVEL3, LOST_REASONS, SOCIAL, SYMPTOMS, Adherence, Classification, Mode

    def choices(cls):
        return {value: str(label) for value, label in cls.choices}

    return {
        "kind": {"smd_follow_up": str(_("SMD follow-up")), "smd_emergency": str(_("emergency record to complete")),
                 "crisis_follow_up": str(_("follow-up after a crisis")), "transfer": str(_("resident moving in: to accept")),
                 "plan_review": str(_("plan review")), "home_visit": str(_("scheduled home visit")), "other": str(_("other task"))},
        "mode": choices(Mode), "adherence": choices(Adherence), "classification": choices(Classification),
        "level3": {k: str(v) for k, v in LEVEL3.items()}, "lost": {k: str(v) for k, v in LOST_REASONS.items()},
        "insight": {"complete": str(_("complete insight")), "partial": str(_("partial insight")), "absent": str(_("no insight"))},
        "level": choices(Level),
        "symptoms": {k: str(v) for k, v in SYMPTOMS.items()}, "social": {k: str(v) for k, v in SOCIAL.items()},
        "hospitalised": {"none": str(_("none")), "past": str(_("since the last visit")), "current": str(_("in hospital now"))},
        # The rest of the national follow-up record (随访服务记录表), in its wording.
        "incidents": {"minor_trouble": str(_("minor trouble-making")), "trouble": str(_("trouble-making")),
                      "disaster": str(_("causing a disaster")), "other_harm": str(_("other harmful behaviour")),
                      "self_harm": str(_("self-harm")), "suicide_attempt": str(_("attempted suicide"))},
        "locked": {"none": str(_("never locked up")), "locked": str(_("locked up now")), "released": str(_("lock-up ended"))},
        "effect": {"cured": str(_("cured")), "improved": str(_("improved")), "unchanged": str(_("no change (treatment effect)")), "worse": str(_("worse"))},
        "rehab": {"living": str(_("daily living and work skills")), "vocational": str(_("vocational training")),
                  "learning": str(_("learning ability")), "social": str(_("social contact (rehabilitation)")), "other": str(_("other"))},
        "fields": {"date": str(_("date")), "mode": str(_("mode")), "risk": str(_("risk level")), "insight": str(_("insight")),
                   "adherence": str(_("medication adherence")), "sleep": str(_("sleep")), "diet": str(_("diet")),
                   "lost_reason": str(_("lost to follow-up")), "text": str(_("note")), "person": str(_("resident")),
                   "patient": str(_("patient")), "task": str(_("task")), "level": str(_("alert level")), "summary": str(_("summary")),
                   "answers": str(_("answers")), "scale": str(_("instrument")), "follow_up": str(_("follow-up record")),
                   "device": str(_("device")), "review_on": str(_("Next review")), "reason": str(_("reason")),
                   "decision": str(_("Decision")), "transfer": str(_("transfer")), "plan": str(_("plan")), "note": str(_("note")),
                   "actions": str(_("Measures taken")), "outcome": str(_("Outcome")), "emergency": str(_("emergency"))},
    }


def _texts() -> dict:
    """The app's own sentences, in the reader's language (the page is Chinese by default)."""
    return {k: str(v) for k, v in {
        "locked": _("Locked: enter your password to open the tasks on this phone."),
        "waiting": _("%(n)s form(s) waiting to sync"), "last_sync": _("last synced %(time)s"),
        "never_synced": _("not synced yet"), "offline": _("offline"),
        "needs_connection": _("this needs a connection; your forms stay on the phone until then"),
        "downloading": _("downloading tasks…"), "downloaded": _("tasks downloaded"),
        "download_failed": _("download failed: %(reason)s"), "sync_failed": _("sync failed: %(reason)s"),
        "device_revoked": _("This phone was revoked or your account disabled: its data have been erased."),
        "no_tasks": _("No tasks in the downloaded pack."), "no_pack": _("No tasks downloaded yet: tap “Download tasks”."),
        "queue_empty": _("Nothing waiting."), "overdue": _("overdue (field task)"), "filled": _("filled in, waiting to sync"), "due_on": _("due %(date)s"), "address": _("Address: "),
        "last_visit": _("Last follow-up %(date)s (%(mode)s): %(classification)s, medication %(adherence)s"),
        "record_follow_up": _("Record follow-up"), "assessment": _("Assessment"), "home_visit_note": _("Home-visit note"),
        "concern": _("Report a concern"), "choose": _("— choose —"), "save_to_queue": _("Save on the phone"),
        "back": _("Back"), "date": _("Date"), "mode": _("Mode"), "risk": _("Risk level"), "risk_level": _("level %(n)s"),
        "insight": _("Insight"), "adherence": _("Medication adherence"), "sleep": _("Sleep"), "diet": _("Diet"),
        "lost_reason": _("Lost to follow-up (only if the patient was not reached)"),
        "computed_at_sync": _("Classification and next follow-up date are decided by the server's rules at sync."),
        "required": _("%(field)s: required."), "whole_number": _("%(field)s: a whole number from 0 to 999."), "not_future": _("%(field)s: not in the future."),
        "instrument": _("Instrument"), "score": _("Score %(total)s: %(band)s"),
        "no_instruments": _("No instruments on this phone: download tasks once with a connection."),
        "note_text": _("What was seen and done"), "next_visit": _("Next home visit (optional)"), "level": _("Level"),
        "summary": _("What is the concern"), "saved_at": _("saved %(time)s"), "discard": _("Discard this form"),
        "kept_as_note": _("Not applied; your entry is kept as a note on the record."),
        "stored": _("Stored."), "stored_follow_up": _("Stored: %(classification)s, next follow-up %(next_due)s."),
        "stored_assessment": _("Stored: score %(total)s, %(band)s."), "stored_concern": _("Stored: an alert was raised."),
        "symptoms": _("Symptoms"), "obvious": _("Obvious psychotic symptoms"), "social": _("Social function"),
        "hospitalised": _("Hospitalisation"), "acute_reaction": _("Acute adverse drug reaction"), "reactions_illness": _("Drug reactions and physical illness"),
        "physical_illness": _("Serious physical illness"), "medications": _("Medications (one per line: name, dose, usage)"),
        "referral_institution": _("Referred to (required for an unstable patient)"), "referral_reason": _("Referral reason"),
        "death_date": _("Date of death (only if the patient died)"), "death_cause": _("Cause of death"),
        "more": _("More of the national record"),
        "incidents": _("Incidents since the last follow-up (times)"), "locked_up": _("Locked up"), "labs": _("Laboratory tests"),
        "effect": _("Treatment effect"), "rehab": _("Rehabilitation measures"),
        "photo": _("Photo of a signed form"), "photo_file": _("Photo"), "photo_text": _("What the form is (optional)"),
        "photo_unreadable": _("This file is not a photo the phone can read; take the picture again."),
        "stored_note": _("Stored as a note on the record."),
        "area_concern": _("Report a concern in my area"), "area": _("Area"),
        "complete_emergency": _("Complete the emergency record"), "complete_by": _("to complete by %(time)s"),
        "actions": _("Measures taken"), "outcome": _("Outcome"), "who_helped": _("Who took part"), "police": _("police"),
        "ambulance": _("ambulance (120)"), "crisis_follow_up": _("Record the follow-up contact"),
        "crisis_note": _("How the person is and what was done"),
        "decide_transfer": _("Accept or return"), "transfer_from_to": _("from %(from)s to %(to)s"), "decision": _("Decision"),
        "accept": _("accept: the records become ours"), "return": _("return to the sending unit"),
        "return_reason": _("Reason for returning (e.g. not found at the address)"),
        "review_plan": _("Review the plan"), "next_review": _("Next review"), "close_plan": _("Close the plan"),
        "close_plan_box": _("the goals are met: close the plan"), "review_note": _("What the review found"),
        "after_today": _("%(field)s: a day after today."),
        "stored_accepted": _("Stored: accepted; the records are now your unit's."), "stored_returned": _("Stored: returned to the sending unit."),
        "stored_plan": _("Stored: next review %(date)s."), "stored_plan_closed": _("Stored: the plan is closed."),
        "unknown_code": _("(unknown)"), "this_phone": _("this phone"),
        "no_field_role": _("Your role does not include field work: tasks cannot be downloaded with this account."),
    }.items()}


@login_required
def field_app(request):
    """The field app's shell. Who may sync is decided by the API (``field.sync``); others see why."""
    from xinli.core.policy import FIELD_SYNC, SCREENING_ADMINISTER, role_grants

    units = sorted({(a.org_unit.path, a.org_unit.pk, a.org_unit.name) for a in request.user.active_assignments()
                    if role_grants(a.role, FIELD_SYNC)})
    config = {"user": request.user.username, "may_sync": has_capability(request.user, FIELD_SYNC),
              "units": [{"id": pk, "name": name} for _path, pk, name in units],
              "may_assess": has_capability(request.user, SCREENING_ADMINISTER),
              "labels": _labels(), "text": _texts(), "ttl_hours": settings.XINLI_FIELD_STORE_HOURS, "logout": reverse("accounts:logout")}
    return render(request, "field/app.html", {"config": config})


def field_manifest(request):
    from django.http import JsonResponse
    from django.templatetags.static import static

    return JsonResponse({"name": str(_("Xinli field app")), "short_name": str(_("Field app")), "start_url": "/field/",
                         "scope": "/field/", "display": "standalone", "background_color": "#ffffff", "theme_color": "#0b3d6e",
                         "lang": "zh-Hans", "icons": [{"src": static("img/field-icon.svg"), "sizes": "any", "type": "image/svg+xml"}]},
                        content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def field_service_worker(request):
    import json

    from django.templatetags.static import static

    shell = ["/field/", "/field/manifest.webmanifest", *[static(p) for p in FIELD_SHELL]]
    response = render(request, "field/sw.js", {"shell": json.dumps(shell)}, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/field/"
    response["Cache-Control"] = "no-cache"
    return response
