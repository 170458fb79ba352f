"""Screening campaigns (心理普查): set-up, one-time participant codes, guardian consent, submissions, dashboards."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.fields import blind_index
from xinli.core.i18n import field_error
from xinli.core.policy import SCREENING_CAMPAIGN
from xinli.core.scoping import path_in_scope, scope_q
from xinli.scales import ScoringError, definitions, score

from .models import Assessment, Campaign, CampaignGroup, Mode, Participant

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by children


def _code_index(code: str) -> str:
    return blind_index("campaign_code", code.strip().upper().replace(" ", "").replace("-", ""))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def create_campaign(actor, *, name: str, kind: str, institution: str, org_unit, scales: list[str], opens_at, closes_at,
                    groups: list[dict], responsible=()) -> Campaign:
    """Create a campaign with its groups and participants. ``groups``: [{"name", "grade", "participants":
    [{"label", "minor_under_14"}] or "count": n}]. Who may call: ``screening.campaign`` over ``org_unit``."""
    if not path_in_scope(actor, SCREENING_CAMPAIGN, org_unit.path):
        raise field_error("org_unit", _("Org unit: not found in your area; pick a unit you are responsible for."))
    unknown = [s for s in scales if s not in definitions.registry()]
    if not scales or unknown:
        raise field_error("scales", _("Instruments: pick at least one known instrument."))
    if closes_at <= opens_at:
        raise field_error("closes_at", _("Closes at: must be after the opening time."))
    if not groups:
        raise field_error("groups", _("Groups: add at least one class or department."))
    with transaction.atomic():
        campaign = Campaign(
            name=name, kind=kind, institution=institution, org_unit=org_unit, scales=scales, opens_at=opens_at,
            closes_at=closes_at, created_by=actor).place_under(org_unit)
        campaign.save()
        campaign.responsible.add(actor, *responsible)
        total = 0
        for g in groups:
            group = CampaignGroup.objects.create(campaign=campaign, name=g["name"], grade=g.get("grade", ""))
            people = g.get("participants") or [{"label": f"{g['name']}-{i + 1:03d}"} for i in range(int(g.get("count", 0)))]
            rows = []
            for p in people:
                code = new_code()
                rows.append(Participant(campaign=campaign, group=group, label=p["label"], code=code, code_bidx=_code_index(code),
                                        minor_under_14=bool(p.get("minor_under_14", campaign.kind == Campaign.Kind.SCHOOL))).place_under(campaign))
            Participant.objects.bulk_create(rows, batch_size=1000)
            total += len(rows)
        audit.record(actor, audit.Action.CREATE, obj=campaign, org_path=campaign.org_path,
                     detail={"participants": total, "scales": scales})
    return campaign


def visible_campaigns(user):
    """Campaigns in the user's area (``screening.campaign``)."""
    return Campaign.objects.filter(scope_q(user, SCREENING_CAMPAIGN))


def responsible_for(user, campaign: Campaign) -> bool:
    return campaign.responsible.filter(pk=user.pk).exists() and path_in_scope(user, SCREENING_CAMPAIGN, campaign.org_path)


def record_guardian_consent(actor, participant: Participant, guardian_name: str) -> None:
    """Staff record the guardian's consent for a participant under 14 (PIPL art. 31)."""
    if not responsible_for(actor, participant.campaign):
        raise PermissionDenied
    if not guardian_name.strip():
        raise field_error("guardian_name", _("Guardian name: required when a guardian gives consent."))
    with transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(guardian_consent_at=timezone.now())
        participant.guardian_name = guardian_name.strip()
        participant.save(update_fields=["guardian_name"])
        audit.record(actor, audit.Action.UPDATE, obj=participant, org_path=participant.org_path, detail={"guardian_consent": True})


def participant_for_code(code: str) -> Participant:
    """The participant a code belongs to, checking that the code can be used now. Raises a bilingual
    ValidationError on an unknown, used or expired code, or a closed campaign."""
    p = Participant.objects.select_related("campaign").filter(code_bidx=_code_index(code or "")).first()
    if p is None:
        raise field_error("code", _("Participant code: not recognised; check the code on your slip."))
    if p.completed_at is not None:
        raise field_error("code", _("Participant code: already used; each code can be used once. Ask your teacher or organiser."))
    now = timezone.now()
    if p.campaign.status != Campaign.Status.OPEN or now > p.campaign.closes_at:
        raise field_error("code", _("Participant code: this screening is closed."))
    if now < p.campaign.opens_at:
        raise field_error("code", _("Participant code: this screening has not opened yet."))
    if p.minor_under_14 and p.guardian_consent_at is None:
        raise field_error("code", _("Participant code: a guardian's consent is needed first (under 14); ask your teacher."))
    return p


def replayed_submission(code: str, idempotency_key: str | None, responses: dict | None = None) -> list[Assessment] | None:
    """The assessments of an earlier submission of ``code`` made with ``idempotency_key`` (a client retrying after
    a lost response), or None. A key already used with another code, or with other answers, is refused."""
    from .services import same_answers

    if not idempotency_key:
        return None
    first = Assessment.objects.filter(idempotency_key=idempotency_key).select_related("participant").first()
    if first is None:
        return None
    used = field_error("idempotency_key", _("Idempotency key: already used by another submission; send a new key."))
    if first.mode != Mode.CAMPAIGN or first.participant is None or first.participant.code_bidx != _code_index(code or ""):
        raise used
    stored = list(Assessment.objects.filter(participant=first.participant, mode=Mode.CAMPAIGN).order_by("pk"))
    if not all(same_answers(a, a.scale, (responses or {}).get(a.scale)) for a in stored):
        raise used
    return stored


def submit(code: str, responses: dict[str, dict], idempotency_key: str | None = None) -> tuple[list[Assessment], bool]:
    """A participant submits every instrument of the campaign at once: ``{"phq9": {"1": 0, ...}, ...}``.
    All or nothing: any invalid answer rejects the whole submission, and the code is used only on success.

    Returns (assessments, created). With ``idempotency_key`` (stored on the first assessment), a retry of a
    submission whose response was lost returns the stored assessments with created False instead of "code already
    used"; a concurrent duplicate waits for the first on the participant row and then gets the same answer."""

    from .services import scoring_error

    replay = replayed_submission(code, idempotency_key, responses)
    if replay is not None:
        return replay, False
    with transaction.atomic():
        try:
            p = participant_for_code(code)
        except ValidationError:
            if (replay := replayed_submission(code, idempotency_key, responses)) is not None:
                return replay, False
            raise
        # Claim the code first: a concurrent second use finds it completed and fails.
        if Participant.objects.filter(pk=p.pk, completed_at__isnull=True).update(completed_at=timezone.now()) != 1:
            if (replay := replayed_submission(code, idempotency_key, responses)) is not None:
                return replay, False  # the concurrent first submission with this key committed meanwhile
            raise field_error("code", _("Participant code: already used; each code can be used once. Ask your teacher or organiser."))
        missing = [s for s in p.campaign.scales if s not in (responses or {})]
        if missing:
            raise field_error("answers", _("Answers: instrument {scales} not answered; answer every instrument."), scales=", ".join(missing))
        created = []
        from . import services

        for i, scale in enumerate(p.campaign.scales):
            try:
                result = score(scale, responses[scale])
            except ScoringError as exc:
                raise scoring_error(exc) from None
            try:
                created.append(services.store_result(None, result, person=p.person, mode=Mode.CAMPAIGN,
                                                     campaign=p.campaign, participant=p,
                                                     idempotency_key=idempotency_key if i == 0 else None))
            except IntegrityError:
                if not idempotency_key:
                    raise
                # The same key sent at the same moment with another code: that one won; this one writes nothing.
                raise field_error("idempotency_key", _("Idempotency key: already used by another submission; send a new key.")) from None
    return created, True


@dataclass
class GroupProgress:
    group: CampaignGroup
    participants: int
    completed: int

    @property
    def percent(self) -> float:
        return round(100 * self.completed / self.participants, 1) if self.participants else 0.0


def progress(campaign: Campaign) -> list[GroupProgress]:
    rows = campaign.groups.annotate(n=Count("participants"), done=Count("participants", filter=Q(participants__completed_at__isnull=False)))
    return [GroupProgress(g, g.n, g.done) for g in rows]


def band_distribution(campaign: Campaign) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for scale, band in Assessment.objects.filter(campaign=campaign).values_list("scale", "band"):
        out.setdefault(scale, Counter())[band] += 1
    return out


def positive_list(actor, campaign: Campaign) -> list[Assessment]:
    """Participants who screened positive (moderate band or worse) or marked a critical item. Only the campaign's
    responsible staff may see it; every participant shown is audited."""
    if not responsible_for(actor, campaign):
        raise PermissionDenied
    rows = list(Assessment.objects.filter(campaign=campaign).filter(Q(severity__gte=2) | ~Q(critical=[]))
                .select_related("participant", "participant__group").order_by("-severity", "participant__group__name"))
    for a in rows:
        audit.record(actor, audit.Action.READ, obj=a.participant, org_path=campaign.org_path,
                     detail={"campaign": campaign.pk, "positive_list": True})
    return rows


def export_positive_xlsx(actor, campaign: Campaign, *, identified: bool = False, purpose: str = "") -> bytes:
    """The positive list as an Excel file (XlsxWriter), audited as an export with its row count. De-identified by
    default: each participant appears as ``P`` + a stable number instead of the name or number entered at set-up;
    ``identified=True`` (with a stated ``purpose``, recorded in the audit entry) writes the labels."""
    if identified and not purpose.strip():
        raise field_error("purpose", _("Purpose: an export with names needs the purpose of the export."))
    import io

    from xinli.core import xlsx

    rows = positive_list(actor, campaign)
    buf = io.BytesIO()
    wb = xlsx.new_workbook(buf)
    ws = xlsx.add_worksheet(wb, "阳性名单")
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F3"})
    red = wb.add_format({"font_color": "#B00020"})
    headers = ["年级 Grade", "班级/部门 Group", "姓名/编号 Name or number", "量表 Instrument", "得分 Score", "分级 Band", "危急条目 Critical items", "时间 Time"]
    xlsx.write_row(ws, 0, headers, head)
    for r, a in enumerate(rows, start=1):
        who = a.participant.label if identified else f"P{a.participant.pk:06d}"
        values = [a.participant.group.grade, a.participant.group.name, who, a.scale, float(a.total), a.band,
                  ", ".join(a.critical_items), timezone.localtime(a.taken_at).strftime("%Y-%m-%d %H:%M")]
        xlsx.write_row(ws, r, values, red if a.critical else None)
    ws.set_column(0, 7, 16)
    wb.close()
    audit.record(actor, audit.Action.EXPORT, obj=campaign, org_path=campaign.org_path, purpose=purpose.strip()[:60],
                 detail={"rows": len(rows), "format": "xlsx", "identified": identified})
    return buf.getvalue()


def close_campaign(actor, campaign: Campaign) -> None:
    if not responsible_for(actor, campaign):
        raise PermissionDenied
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    audit.record(actor, audit.Action.UPDATE, obj=campaign, org_path=campaign.org_path, detail={"closed": True})



