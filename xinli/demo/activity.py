"""Demo activity on top of the seeded city: the city's 12356 hotline (open 24 hours every day) with a month of call
history (call-detail records and counsellors' call records with triage, closed alerts and done follow-ups for the
older high-risk callers), a few open alerts for the crisis teams, one crisis case and one group crisis, the counties'
lines and the registered crisis teams with their rota (``crisis_teams``). Everything goes through
the services, so audit entries, alerts and notifications are exactly what real use would produce."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from xinli.accounts.models import User
from xinli.alerts import crisis
from xinli.alerts import services as alert_services
from xinli.archives.models import Person
from xinli.hotline import services as hotline_services
from xinli.hotline.models import Call, CallDetailRecord, Line, Seat
from xinli.screening.services import administer

CALLS_PER_DAY = {"tiny": 6, "small": 45, "city": 45}
DAYS = {"tiny": 7, "small": 30, "city": 30}


def _triage(rng: random.Random) -> dict:
    """Triage answers at plausible hotline rates: most calls low risk, about 1 in 10 medium, 1 in 25 high or worse."""
    r = rng.random()
    if r < 0.04:
        return {"ideation": rng.randint(7, 10), "hopelessness": rng.randint(5, 10), "has_plan": rng.random() < 0.6,
                "has_means": rng.random() < 0.3, "prior_attempt": rng.random() < 0.3}
    if r < 0.14:
        return {"ideation": rng.randint(3, 6), "hopelessness": rng.randint(2, 6)}
    return {"ideation": rng.randint(0, 2), "hopelessness": rng.randint(0, 5)}


def seed_activity(rng: random.Random, size_name: str, city) -> dict:
    operator = User.objects.get(username="hotline_operator")
    team_city = User.objects.get(username="crisis_city")
    line = Line.objects.create(name="青岛市心理援助热线", number="12356", org_unit=city, hours_per_day=24, days_per_week=7)
    seats = [Seat.objects.create(line=line, label=f"{i:02d}") for i in range(1, 5)]
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    now = timezone.now()
    calls = cdrs = 0
    cdr_rows = []
    for back in range(DAYS[size_name], 0, -1):
        day = today - datetime.timedelta(days=back)
        for n in range(CALLS_PER_DAY[size_name] + rng.randint(-3, 3)):
            offered = datetime.datetime.combine(day, datetime.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)), tz)
            ext = f"{day:%Y%m%d}-{n:04d}"
            if rng.random() < 0.12:  # abandoned while waiting
                cdr_rows.append(CallDetailRecord(line=line, external_id=ext, offered_at=offered, answered_at=None,
                                                 ended_at=offered + datetime.timedelta(seconds=rng.randint(5, 90)), org_path=line.org_path))
                continue
            answered = offered + datetime.timedelta(seconds=rng.randint(3, 75))
            ended = answered + datetime.timedelta(minutes=rng.randint(4, 45))
            cdr_rows.append(CallDetailRecord(line=line, external_id=ext, offered_at=offered, answered_at=answered,
                                             ended_at=ended, org_path=line.org_path))
            phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            call = hotline_services.record_call(operator, line, {
                "seat": rng.choice(seats), "started_at": offered, "answered_at": answered, "ended_at": ended,
                "caller_phone": phone, "recording_notice": True,
                "category": rng.choice(["general", "general", "general", "information"]),
                "problem_types": rng.sample(["emotion", "relationship", "family", "study_work", "health"], k=rng.randint(1, 2)),
                **_triage(rng)})
            calls += 1
            if call.high_risk and back > 1:  # older high-risk callers were followed up and their alerts closed
                hotline_services.complete_follow_up(operator, call, "回访：情绪较前平稳")
                if call.alert_id:
                    alert_services.acknowledge(team_city, call.alert_id)
                    alert_services.close(team_city, call.alert_id, outcome="contacted_safe", note="热线回访确认安全")
            elif call.alert_id and back > 1:
                alert_services.acknowledge(team_city, call.alert_id)
                alert_services.close(team_city, call.alert_id, outcome="counselling", note="已转介社区心理服务")
    CallDetailRecord.objects.bulk_create(cdr_rows, batch_size=2000)
    cdrs = len(cdr_rows)

    # Open alerts for the crisis teams: PHQ-9 item 9 in the counsellor's township, a worker's emergency report.
    counsellor = User.objects.get(username="counsellor")
    township = counsellor.assignments.get().org_unit
    residents = list(Person.objects.filter(org_path__startswith=township.path).order_by("id")[:6])
    for person, answers in zip(residents[:3], ([1, 2, 1, 2, 1, 1, 0, 1, 1], [2, 3, 2, 2, 2, 3, 2, 1, 2], [1, 1, 1, 1, 0, 0, 0, 0, 2]), strict=False):
        administer(counsellor, scale="phq9", answers=answers, person=person)
    worker = User.objects.get(username="village_worker")
    village = worker.assignments.get().org_unit
    neighbour = Person.objects.filter(org_path__startswith=village.path).order_by("id").first()
    if neighbour is not None:
        alert_services.report(worker, level="red", summary="邻居反映其近日多次流露轻生念头", person=neighbour, emergency=True)
    # One crisis case in progress and one group crisis in recovery.
    team_township = User.objects.get(username="crisis_township")
    if len(residents) > 3:
        case = crisis.open_case(team_township, residents[3], assessment="近期失业、失眠，有消极言语，无具体计划",
                                safety_plan="预警信号：连续失眠、拒绝进食；联系人：配偶；热线 12356；家中药品由配偶保管")
        crisis.add_action(team_township, case, kind="visit", note="入户走访，家属在场")
    team_county = User.objects.get(username="crisis_county")
    county = team_county.assignments.get().org_unit
    event = crisis.create_event(team_county, name="海边民宿火灾", kind="accident", org_unit=county,
                                occurred_at=now - datetime.timedelta(days=5), description="一处民宿夜间火灾，3 名住客受伤")
    for label, risk in (("伤者家属甲", "high"), ("目击住客乙", "medium"), ("民宿员工丙", "low")):
        crisis.add_affected(team_county, event, label=label, risk=risk)
    crisis.set_event_state(team_county, event, "recovery")
    duplicate_requests = _seed_duplicate_request(worker)
    from .crisis_teams import seed_crisis_teams
    from .network import seed_network
    from .outreach import seed_outreach
    from .smd import seed_smd

    smd = seed_smd(rng)
    network = seed_network(rng)
    extra = seed_outreach(rng)
    crisis_teams = seed_crisis_teams()  # its own generator: the main one draws as before
    possible_duplicates = _seed_possible_duplicate(worker)
    from .governance import seed_governance

    governance = seed_governance(city)
    return {**smd, **network, **extra, **crisis_teams, **governance, "hotline_calls": calls, "call_detail_records": cdrs,
            "duplicate_requests": duplicate_requests, "possible_duplicates": possible_duplicates,
            "open_alerts": sum(1 for c in Call.objects.filter(alert__isnull=False, alert__state="new"))}


def _seed_possible_duplicate(worker) -> int:
    """One pair on the possible-duplicates list (issue 17 part 3): the village worker registers a resident a second
    time without the ID number (as a clinic that had no card would), with the same name and birth date; the scan the
    bulk import runs lists the pair for the officers, who compare and merge them."""
    from xinli.archives.duplicates import flag_possible_duplicates
    from xinli.archives.services import register_person
    from xinli.smd.models import Patient

    village = worker.assignments.get().org_unit
    held = (Person.objects.filter(org_path__startswith=village.path, birth_date__isnull=False)
            .exclude(pk__in=Patient.objects.values("person_id")).order_by("-id").first())
    if held is None:
        return 0
    again = register_person(worker, {"name": held.name, "birth_date": held.birth_date, "sex": held.sex,
                                     "org_unit": village}).person
    return flag_possible_duplicates([again.pk])


def _seed_duplicate_request(worker) -> int:
    """One open duplicate ID-number request for the county's officers (issue 15): the village worker tries to register
    a resident of the other street's village (``village_worker2``'s) under that resident's ID number, through the
    archive's own service, and is refused with the neutral text."""
    from django.core.exceptions import ValidationError

    from xinli.archives.models import DuplicateRequest
    from xinli.archives.services import register_person

    village = worker.assignments.get().org_unit
    other_village = User.objects.get(username="village_worker2").assignments.get().org_unit
    held = Person.objects.filter(org_path__startswith=other_village.path).order_by("id").first()
    if held is None:
        return 0
    try:
        register_person(worker, {"name": held.name, "id_number": held.id_number, "org_unit": village})
    except ValidationError:
        pass  # the neutral refusal; the request is recorded
    return DuplicateRequest.objects.filter(status=DuplicateRequest.Status.OPEN).count()
