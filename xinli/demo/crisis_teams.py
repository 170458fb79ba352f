"""Demo hotlines and registered crisis teams (indicator T08): a line for each county — open 24 hours every day, but
for the demo county's, which serves 18 hours a day so that a line short of the 24-hour standard shows on the pages —
and a registered crisis team for the city and for each county: the crisis-team demo users where they work (at or below
the team's unit) and outside professionals, one leader, and a rota of 24-hour shifts (08:00 to 08:00) covering the
last 60 and the next 30 days. Everything goes through the services (audited). Its own random generator: the main one,
and with it the rest of the demo, draws the same numbers as before."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from xinli.accounts.models import User
from xinli.alerts import teams
from xinli.hotline import services as hotline
from xinli.regions.models import OrgUnit

from .network import _name

ROTA_BACK, ROTA_AHEAD = 60, 30
SHORT_LINE_HOURS = 18
EXTERNAL_PROFESSIONS = ("psychiatrist", "psychotherapist", "social_worker", "nurse", "police")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def seed_crisis_teams(today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    rng = random.Random("crisis-teams")
    officer = User.objects.get(username="city_officer")
    supervisor = User.objects.get(username="hotline_supervisor")
    users = {name: User.objects.get(username=name) for name in ("crisis_city", "crisis_county", "crisis_township")}
    city = OrgUnit.objects.get(level="city", valid_to__isnull=True)
    demo_county = users["crisis_county"].active_assignments()[0].org_unit
    counties = list(OrgUnit.objects.filter(level="county", valid_to__isnull=True).order_by("path"))
    lines = 0
    for county in counties:
        hours = SHORT_LINE_HOURS if county.pk == demo_county.pk else 24
        hotline.create_line(supervisor, org_unit=county, name=f"{county.name}心理援助热线", number="12356", hours_per_day=hours,
                            days_per_week=7, seats=2)
        lines += 1

    since = today - datetime.timedelta(days=ROTA_BACK + 30)
    plan = [(city, f"{city.name}心理危机干预队", [("crisis_city", "psychiatrist"), ("crisis_county", "counsellor")])]
    for county in counties:
        platform = [("crisis_county", "psychiatrist"), ("crisis_township", "social_worker")] if county.pk == demo_county.pk else []
        plan.append((county, f"{county.name}心理危机干预队", platform))
    members = shifts = 0
    for unit, name, platform in plan:
        team = teams.create_team(officer, org_unit=unit, name=name)
        rows = [teams.add_member(officer, team, user=users[username], profession=profession, leader=i == 0, since=since)
                for i, (username, profession) in enumerate(platform)]
        while len(rows) < 3 or len(rows) < len(platform) + 1:  # at least one outside professional, three in all
            rows.append(teams.add_member(officer, team, name=_name(rng), phone=_phone(rng), profession=rng.choice(EXTERNAL_PROFESSIONS),
                                         leader=not rows, since=since))
        members += len(rows)
        for back in range(ROTA_BACK, -ROTA_AHEAD, -1):
            day = today - datetime.timedelta(days=back)
            start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
            teams.add_shift(officer, team, member=rows[back % len(rows)], start=start, end=start + datetime.timedelta(days=1))
            shifts += 1
    return {"county_lines": lines, "crisis_teams": len(plan), "crisis_team_members": members, "on_call_shifts": shifts}
