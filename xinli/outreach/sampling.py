"""The probability sample of the awareness survey (知晓率抽样调查): draw residents at random per urban/rural stratum of
a unit from the archive, invite each with a one-time code, and follow the response rate.

Who draws: a holder of both ``archives.view`` and ``indicators.manage`` over the unit — the health commission officer
(docs/security.md, "Awareness samples"). The frame comes from the archive's selector (ids only); the sample stores
person references, never a copy of a personal field.

The draw is reproducible: the seed is recorded, and per stratum the frame's size and the SHA-256 of its person ids (in
id order); ``choose`` with the same frame and seed draws the same persons.
"""

from __future__ import annotations

import hashlib
import random
import secrets

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.core import audit
from xinli.core.i18n import field_error
from xinli.core.ids import parse_int
from xinli.core.policy import ARCHIVES_VIEW, INDICATORS_MANAGE
from xinli.core.scoping import path_in_scope, scope_q

from .models import AwarenessSample, Invitation, SampleStratum, new_invitation_code

# The frame: residents aged 15–69 in the year of the draw (by birth year), as the national resident health-literacy
# monitoring (全国居民健康素养监测) samples; recorded on each sample.
MIN_AGE, MAX_AGE = 15, 69
MAX_PER_STRATUM = 2000
AREAS = ((False, "urban"), (True, "rural"))


def may_draw(user, unit) -> bool:
    """Reads the archive and manages indicators over the unit: the health commission officer."""
    return path_in_scope(user, ARCHIVES_VIEW, unit.path) and path_in_scope(user, INDICATORS_MANAGE, unit.path)


def visible_samples(user):
    """The samples of units where ``user`` may draw (their invitations name residents)."""
    return AwarenessSample.objects.filter(scope_q(user, ARCHIVES_VIEW)).filter(scope_q(user, INDICATORS_MANAGE))


def choose(frame_ids: list[int], n: int, seed: str, rural: bool) -> list[int]:
    """The persons drawn from one stratum: simple random sampling without replacement of ``n`` of the frame's ids
    (all of them when the frame is smaller), with Python's Mersenne Twister seeded by the recorded seed and the
    stratum. Pure: the same frame (in id order) and seed give the same persons."""
    rng = random.Random(f"{seed}:{'rural' if rural else 'urban'}")
    return sorted(rng.sample(sorted(frame_ids), min(n, len(frame_ids))))


def frame_digest(frame_ids: list[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(frame_ids)).encode()).hexdigest()


def draw_sample(actor, unit, *, per_stratum, seed: str | None = None, survey=None) -> AwarenessSample:
    """Draw ``per_stratum`` residents at random in each of the unit's urban and rural strata (every eligible resident
    of a smaller stratum) and give each a one-time invitation code. One sample per area and year: a unit that already
    has one this year, or lies above or below one that has, is refused (a resident must not count in two designs)."""
    from xinli.archives.selectors import sampling_frame
    from xinli.regions.models import OrgUnit

    from .questionnaire import current_survey

    if unit is None or not may_draw(actor, unit):
        raise PermissionDenied
    n = parse_int(str(per_stratum)) if not isinstance(per_stratum, int) else per_stratum
    if n is None or not 1 <= n <= MAX_PER_STRATUM:
        raise field_error("per_stratum", _("Residents per stratum: a whole number from 1 to {max}."), max=MAX_PER_STRATUM)
    year = timezone.localdate().year
    clash = (AwarenessSample.objects.filter(year=year).filter(Q(org_path__startswith=unit.path) | Q(org_path__in=_prefixes(unit.path)))
             .select_related("org_unit").first())
    if clash is not None:
        raise field_error("org_unit", _("Org unit: {unit} already has a sample for {year}; one sample per area and year, so that "
                                        "no resident counts twice."), unit=clash.org_unit.name, year=year)
    seed = seed or secrets.token_hex(16)
    frame = sampling_frame(actor, unit, born_from=year - MAX_AGE, born_to=year - MIN_AGE)
    if not frame:
        raise field_error("org_unit", _("Org unit: no residents aged {low}–{high} in the archive of its villages and communities; "
                                        "register residents first."), low=MIN_AGE, high=MAX_AGE)
    villages = {u.pk: u for u in OrgUnit.objects.filter(pk__in={u for _p, u in frame})}
    survey = survey or current_survey()
    with transaction.atomic():
        sample = AwarenessSample.objects.create(survey=survey, org_unit=unit, org_path=unit.path, year=year, per_stratum=n,
                                                min_age=MIN_AGE, max_age=MAX_AGE, seed=seed, drawn_by=actor)
        invited = 0
        unit_of = dict(frame)
        for rural, _name in AREAS:
            ids = [p for p, u in frame if villages[u].is_rural == rural]
            if not ids:
                continue
            chosen = choose(ids, n, seed, rural)
            SampleStratum.objects.create(sample=sample, rural=rural, population=len(ids), frame_digest=frame_digest(ids),
                                         invited=len(chosen))
            _invite(sample, rural, [(p, villages[unit_of[p]]) for p in chosen])
            invited += len(chosen)
        audit.record(actor, audit.Action.CREATE, obj=sample, org_path=unit.path,
                     detail={"awareness_sample": unit.code, "year": year, "invited": invited})
    return sample


def _prefixes(path: str) -> list[str]:
    from xinli.regions.models import path_prefixes

    return path_prefixes(path)


def _invite(sample, rural: bool, people) -> None:
    rows = [Invitation(sample=sample, rural=rural, person_id=pk, org_unit=village).place_under(village) for pk, village in people]
    for row in rows:
        row.code = new_invitation_code()
    for _attempt in range(5):  # 50-bit codes: a collision is rare; draw the batch's codes again if one happens
        try:
            with transaction.atomic():
                Invitation.objects.bulk_create(rows, batch_size=1000)
            return
        except IntegrityError:
            for row in rows:
                row.code = new_invitation_code()
    raise RuntimeError("could not make unique invitation codes")


def invitation_for_code(code: str) -> Invitation:
    """The invitation of ``code`` if it can still answer, else a ``ValidationError`` saying why (unknown, used, or the
    sample's year is over)."""
    code = (code or "").strip().upper()
    invitation = Invitation.objects.filter(code=code).select_related("sample__survey", "org_unit").first() if code else None
    if invitation is None:
        raise field_error("code", _("Invitation code: not recognised; type the 10 characters printed on your invitation."))
    if invitation.used:
        raise field_error("code", _("Invitation code: already used; each code answers the survey once."))
    if invitation.sample.year != timezone.localdate().year:
        raise field_error("code", _("Invitation code: this survey round has ended."))
    return invitation


def response_rates(sample) -> list[dict]:
    """Per stratum: the frame's population, invited, responded (codes used) and the response rate responded ÷ invited."""
    used = dict(Invitation.objects.filter(sample=sample, used=True).values_list("rural").annotate(n=Count("id")).order_by())
    out = []
    for stratum in sample.strata.order_by("rural"):
        responded = used.get(stratum.rural, 0)
        out.append({"rural": stratum.rural, "population": stratum.population, "invited": stratum.invited, "responded": responded,
                    "rate": responded / stratum.invited if stratum.invited else None})
    return out
