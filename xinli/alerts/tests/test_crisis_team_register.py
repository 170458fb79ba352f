"""The crisis team register: health officers (``network.manage``) over a unit register its team, members (a platform
user, or an outside person with an encrypted name and phone), one leader and an on-call rota; every change is audited;
bad input names its field and writes nothing; members read their own team; everyone else gets 404."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from xinli.alerts import teams
from xinli.alerts.models import CrisisTeam, CrisisTeamMember, OnCallShift
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def at(day, hour=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def state():
    """Everything the register holds, to see that a refused change wrote nothing."""
    return (list(CrisisTeam.objects.values_list("pk", "name", "active")),
            list(CrisisTeamMember.objects.values_list("pk", "leader", "until")),
            list(OnCallShift.objects.values_list("pk", "start", "end")))


def field_of(exc) -> str:
    (name,) = exc.value.message_dict
    return name


@pytest.fixture
def officer(personas):
    return personas.county_officer  # health officer of county A (市南区)


@pytest.fixture
def team(tree, officer):
    return teams.create_team(officer, org_unit=tree.county_a, name="市南区心理危机干预队")


@pytest.fixture
def member(team, officer):
    return teams.add_member(officer, team, name="周医生", phone="139-0000-1111", profession="psychiatrist", leader=True,
                            since=TODAY - datetime.timedelta(days=10))


# --- services: validation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, field", [
    ({"name": "  "}, "name"), ({"name": "队" * 101}, "name"), ({"name": "村队", "unit": "a1v1"}, "org_unit"),
])
def test_a_team_needs_a_name_and_a_unit_above_the_villages(tree, officer, kwargs, field):
    unit = getattr(tree, kwargs.get("unit", "county_a"))
    with pytest.raises(ValidationError) as exc:
        teams.create_team(officer, org_unit=unit, name=kwargs["name"])
    assert field_of(exc) == field and " / " in exc.value.message_dict[field][0]
    assert not CrisisTeam.objects.exists()


def test_a_unit_has_one_team_of_a_name(tree, officer, team):
    with pytest.raises(ValidationError) as exc:
        teams.create_team(officer, org_unit=tree.county_a, name="市南区心理危机干预队")
    assert field_of(exc) == "name" and CrisisTeam.objects.count() == 1
    other = teams.create_team(officer, org_unit=tree.county_a, name="市南区第二队")
    with pytest.raises(ValidationError):
        teams.update_team(officer, other, name="市南区心理危机干预队")
    assert CrisisTeam.objects.get(pk=other.pk).name == "市南区第二队"


@pytest.mark.parametrize("kwargs, field", [
    ({"name": "", "phone": "13900001111", "profession": "nurse"}, "name"),
    ({"name": "王", "phone": "", "profession": "nurse"}, "phone"),
    ({"name": "王", "phone": "12345", "profession": "nurse"}, "phone"),
    ({"name": "王", "phone": "13900001111", "profession": "astrologer"}, "profession"),
    ({"name": "王", "phone": "13900001111", "profession": "nurse", "since": "2026-02-30"}, "since"),
])
def test_an_outside_member_needs_a_name_a_phone_and_a_profession(team, officer, kwargs, field):
    before = state()
    with pytest.raises(ValidationError) as exc:
        teams.add_member(officer, team, **kwargs)
    assert field_of(exc) == field
    assert state() == before


def test_a_platform_member_has_a_role_at_or_below_the_team_unit_and_joins_once(tree, team, officer, personas):
    teams.add_member(officer, team, user=personas.crisis_team, profession="counsellor")  # crisis team of county A
    teams.add_member(officer, team, user=personas.counsellor, profession="counsellor")  # township A1: below
    before = state()
    for user, field in ((personas.crisis_team, "user"), (make_user("b_team", [(tree.county_b, Role.CRISIS_TEAM)]), "user"),
                        (make_user("city_team", [(tree.city, Role.CRISIS_TEAM)]), "user"), (personas.audit_admin, "user")):
        with pytest.raises(ValidationError) as exc:
            teams.add_member(officer, team, user=user, profession="counsellor")
        assert field_of(exc) == field
    assert state() == before
    with pytest.raises(ValidationError) as exc:
        teams.add_member(officer, team, user=personas.crisis_team, profession="counsellor")
    assert "already a member" in str(exc.value)


def test_one_leader_a_new_leader_takes_over(team, officer, member):
    second = teams.add_member(officer, team, name="吴社工", phone="13900002222", profession="social_worker", leader=True)
    member.refresh_from_db()
    assert second.leader and not member.leader
    teams.set_leader(officer, team, member.pk)
    second.refresh_from_db()
    assert list(team.members.filter(leader=True)) == [member] and not second.leader
    with pytest.raises(ValidationError) as exc:
        teams.set_leader(officer, team, 99999)
    assert field_of(exc) == "member"


@pytest.mark.parametrize("start, end, field", [
    (at(TODAY, 20), at(TODAY, 8), "end"),  # end before the start
    (at(TODAY, 8), at(TODAY, 8), "end"),  # no length
    (at(TODAY, 8), at(TODAY + datetime.timedelta(days=7), 9), "end"),  # longer than 7 days
    (at(TODAY, 12), at(TODAY + datetime.timedelta(days=1), 12), "start"),  # overlaps the existing shift
    (None, at(TODAY, 8), "start"),
    (at(TODAY, 8), datetime.datetime(2026, 1, 1, 8), "end"),  # no time zone
])
def test_a_shift_ends_after_it_starts_lasts_at_most_7_days_and_never_overlaps_the_member(team, officer, member, start, end, field):
    teams.add_shift(officer, team, member=member, start=at(TODAY, 8), end=at(TODAY, 20))
    before = state()
    with pytest.raises(ValidationError) as exc:
        teams.add_shift(officer, team, member=member.pk, start=start, end=end)
    assert field_of(exc) == field
    assert state() == before


def test_shifts_of_7_days_back_to_back_and_of_different_members_at_once_are_fine(team, officer, member):
    other = teams.add_member(officer, team, name="郑护士", phone="13900003333", profession="nurse")
    teams.add_shift(officer, team, member=member, start=at(TODAY, 8), end=at(TODAY + datetime.timedelta(days=7), 8))
    teams.add_shift(officer, team, member=member, start=at(TODAY + datetime.timedelta(days=7), 8),
                    end=at(TODAY + datetime.timedelta(days=8), 8))
    teams.add_shift(officer, team, member=other, start=at(TODAY, 8), end=at(TODAY, 20))
    assert OnCallShift.objects.count() == 3
    with pytest.raises(ValidationError) as exc:
        teams.add_shift(officer, team, member=other, start=at(TODAY - datetime.timedelta(days=3), 8),
                        end=at(TODAY - datetime.timedelta(days=1), 8))
    assert field_of(exc) == "end"  # the member joined today: a shift must not end before that day


def test_removing_a_member_keeps_the_history_and_drops_their_future_shifts(team, officer, member):
    past = teams.add_shift(officer, team, member=member, start=at(TODAY - datetime.timedelta(days=2), 8),
                           end=at(TODAY - datetime.timedelta(days=1), 8))
    teams.add_shift(officer, team, member=member, start=at(TODAY + datetime.timedelta(days=2), 8),
                    end=at(TODAY + datetime.timedelta(days=3), 8))
    teams.remove_member(officer, team, member.pk)
    member.refresh_from_db()
    assert (member.until, member.leader) == (TODAY, False)
    assert list(OnCallShift.objects.all()) == [past]
    with pytest.raises(ValidationError) as exc:
        teams.remove_member(officer, team, member.pk)  # no longer a current member
    assert field_of(exc) == "member"
    # Someone added today and removed the same day never served: no row is kept.
    fresh = teams.add_member(officer, team, name="临时", phone="13900004444", profession="other")
    teams.remove_member(officer, team, fresh.pk)
    assert not CrisisTeamMember.objects.filter(pk=fresh.pk).exists()


def test_removing_a_shift_and_a_shift_of_another_team(tree, team, officer, member):
    shift = teams.add_shift(officer, team, member=member, start=at(TODAY, 8), end=at(TODAY, 20))
    other = teams.create_team(officer, org_unit=tree.a1, name="八大关街道队")
    with pytest.raises(ValidationError) as exc:
        teams.remove_shift(officer, other, shift.pk)
    assert field_of(exc) == "shift" and OnCallShift.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        teams.add_shift(officer, other, member=member.pk, start=at(TODAY, 8), end=at(TODAY, 9))
    assert field_of(exc) == "member"
    teams.remove_shift(officer, team, shift.pk)
    assert not OnCallShift.objects.exists()


def test_every_change_is_audited(team, officer, member):
    shift = teams.add_shift(officer, team, member=member, start=at(TODAY, 8), end=at(TODAY, 20))
    teams.remove_shift(officer, team, shift)
    teams.update_team(officer, team, active=False)
    teams.remove_member(officer, team, member)
    entries = AuditEntry.objects.filter(object_type="alerts.crisisteam", object_id=str(team.pk), actor_id=officer.pk)
    details = [e.detail for e in entries.order_by("id")]
    assert entries.filter(action="create").count() == 1
    assert [next(k for k in ("member_added", "shift_added", "shift_removed", "active", "member_removed") if k in d)
            for d in details[1:]] == ["member_added", "shift_added", "shift_removed", "active", "member_removed"]
    assert all(e.org_path == team.org_path for e in entries)


def test_an_outside_member_name_and_phone_are_stored_encrypted(team, member):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone FROM alerts_crisisteammember WHERE id = %s", [member.pk])
        name, phone = cursor.fetchone()
    assert "周医生" not in name and "13900001111" not in phone
    member.refresh_from_db()
    assert (member.name, member.phone) == ("周医生", "13900001111")  # normalised: dashes dropped


# --- who manages, who reads --------------------------------------------------------------------------------------

def test_only_health_officers_over_the_unit_change_a_team(tree, team, personas):
    city_officer = make_user("city_officer", [(tree.city, Role.HEALTH_OFFICER)])
    teams.update_team(city_officer, team, name="市南区危机干预队")  # the city's officers too
    county_b_officer = make_user("b_officer", [(tree.county_b, Role.HEALTH_OFFICER)])
    before = state()
    for user in (county_b_officer, personas.crisis_team, personas.township_worker, personas.nobody):
        with pytest.raises(PermissionDenied):
            teams.add_member(user, team, name="某", phone="13900005555", profession="other")
        with pytest.raises(PermissionDenied):
            teams.create_team(user, org_unit=tree.county_a, name="越权队")
    assert state() == before
    with pytest.raises(PermissionDenied):  # a county officer cannot register the city's team
        teams.create_team(personas.county_officer, org_unit=tree.city, name="青岛市队")


@pytest.fixture
def county_b_team(tree):
    officer = make_user("b_officer", [(tree.county_b, Role.HEALTH_OFFICER)])
    t = teams.create_team(officer, org_unit=tree.county_b, name="市北区心理危机干预队")
    teams.add_member(officer, t, name="外区队员", phone="13900006666", profession="nurse")
    return t


def test_pages_outside_the_area_and_without_the_role_answer_404(tree, client, personas, team, county_b_team):
    login_verified(client, personas.county_officer)
    assert client.get(f"/crisis/teams/{county_b_team.pk}/").status_code == 404
    before = state()
    r = client.post(f"/crisis/teams/{county_b_team.pk}/", {"do": "member_external", "name": "越权", "phone": "13900007777",
                                                          "profession": "nurse"})
    assert r.status_code == 404 and state() == before
    listing = client.get("/crisis/teams/").content.decode()
    assert "市南区心理危机干预队" in listing and "市北区心理危机干预队" not in listing
    for user in (personas.village_worker_1, personas.hotline_operator, personas.nobody):
        other = type(client)()
        login_verified(other, user)
        assert other.get("/crisis/teams/").status_code == 404
        assert other.get(f"/crisis/teams/{team.pk}/").status_code == 404


def test_a_member_reads_their_own_team_without_forms_and_cannot_change_it(client, personas, team, officer):
    teams.add_member(officer, team, user=personas.crisis_team, profession="counsellor")
    login_verified(client, personas.crisis_team)
    page = client.get(f"/crisis/teams/{team.pk}/").content.decode()
    assert "市南区心理危机干预队" in page and 'name="do"' not in page
    before = state()
    assert client.post(f"/crisis/teams/{team.pk}/", {"do": "team", "name": "改名", "active": ""}).status_code == 404
    assert state() == before
    assert AuditEntry.objects.filter(actor_id=personas.crisis_team.pk, object_type="alerts.crisisteam", action="read",
                                     purpose="crisis team").exists()
    # After leaving the team, the page is gone for them.
    teams.remove_member(officer, team, team.members.get(user=personas.crisis_team))
    assert client.get(f"/crisis/teams/{team.pk}/").status_code == 404


def test_the_officer_registers_a_team_adds_members_and_a_shift_from_the_pages(tree, client, officer, personas):
    login_verified(client, officer)
    r = client.post("/crisis/teams/", {"org_unit": tree.county_a.pk, "name": "市南区心理危机干预队"})
    team = CrisisTeam.objects.get()
    assert r["Location"] == f"/crisis/teams/{team.pk}/"
    url = r["Location"]
    client.post(url, {"do": "member_user", "user": personas.crisis_team.pk, "profession": "counsellor", "leader": "on",
                      "since": TODAY.isoformat()})
    client.post(url, {"do": "member_external", "name": "周医生", "phone": "13900001111", "profession": "psychiatrist",
                      "since": TODAY.isoformat()})
    r = client.post(url, {"do": "member_external", "name": "吴社工", "phone": "123", "profession": "social_worker"}, follow=True)
    assert "联系电话：号码无效" in r.content.decode() and team.members.count() == 2  # the field named, nothing written
    client.post(url, {"do": "member_external", "name": "吴社工", "phone": "13900002222", "profession": "social_worker"})
    leader = team.members.get(leader=True)
    assert leader.user == personas.crisis_team
    r = client.post(url, {"do": "shift", "member": leader.pk, "start": f"{TODAY}T08:00", "end": f"{TODAY}T07:00"}, follow=True)
    assert "结束时间：必须晚于开始时间" in r.content.decode() and not OnCallShift.objects.exists()
    client.post(url, {"do": "shift", "member": leader.pk, "start": f"{TODAY}T00:00", "end": f"{TODAY + datetime.timedelta(days=1)}T00:00"})
    assert OnCallShift.objects.count() == 1
    page = client.get(url).content.decode()
    assert "周医生" in page and "13900001111" in page and "3 / 3" in page
    listing = client.get("/crisis/teams/").content.decode()
    assert "市南区心理危机干预队" in listing and "3 / 3" in listing
    # Not ready yet: no 24-hour line at the county or above — the T08 section says so with the reason.
    assert "市南区及上级未登记心理援助热线" in listing


def test_the_api_registers_reads_and_refuses(tree, personas, officer):
    r = api(officer).post("/api/v1/crisis-teams/", {"org_unit": tree.county_a.pk, "name": "市南区心理危机干预队"}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["readiness"]["ready"] is False and r.json()["readiness"]["minimum"] == 3
    assert "至少 3 人" in " ".join(r.json()["readiness"]["reasons_i18n"]["zh-hans"])
    r = api(officer).post(f"/api/v1/crisis-teams/{pk}/members/", {"name": "周医生", "phone": "13900001111",
                                                                  "profession": "psychiatrist", "leader": True}, format="json")
    assert r.status_code == 201 and r.json()["leader"] is True and r.json()["display_name"] == "周医生"
    member_id = r.json()["id"]
    r = api(officer).post(f"/api/v1/crisis-teams/{pk}/members/", {"name": "吴", "profession": "nurse"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["phone"] and " / " in r.json()["phone"][0]
    r = api(officer).post(f"/api/v1/crisis-teams/{pk}/members/", {"user": personas.crisis_team.pk, "profession": "counsellor"},
                          format="json")
    assert r.status_code == 201 and r.json()["user"] == personas.crisis_team.pk
    r = api(officer).post(f"/api/v1/crisis-teams/{pk}/shifts/", {"member": member_id, "start": f"{TODAY}T08:00:00+08:00",
                                                                 "end": f"{TODAY}T07:00:00+08:00"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["end"]
    r = api(officer).post(f"/api/v1/crisis-teams/{pk}/shifts/", {"member": member_id, "start": f"{TODAY}T00:00:00+08:00",
                                                                 "end": f"{TODAY}T23:00:00+08:00"}, format="json")
    assert r.status_code == 201, r.content
    detail = api(officer).get(f"/api/v1/crisis-teams/{pk}/").json()
    assert len(detail["members"]) == 2 and len(detail["shifts"]) == 1 and detail["readiness"]["on_call"] == [r.json()["id"]]
    r = api(officer).get(f"/api/v1/crisis-teams/{pk}/readiness/", {"date": "2026-02-30"})
    assert r.status_code == 400 and "date" in r.json()
    assert api(officer).patch(f"/api/v1/crisis-teams/{pk}/", {"active": False}, format="json").json()["active"] is False
    # A member reads the team (403 on changes); outsiders get 404 everywhere.
    member = personas.crisis_team
    assert api(member).get(f"/api/v1/crisis-teams/{pk}/").status_code == 200
    assert api(member).post(f"/api/v1/crisis-teams/{pk}/remove-member/", {"member": member_id}, format="json").status_code == 403
    outsider = make_user("b_officer", [(tree.county_b, Role.HEALTH_OFFICER)])
    for method, url, body in (("get", f"/api/v1/crisis-teams/{pk}/", None), ("post", f"/api/v1/crisis-teams/{pk}/leader/", {"member": member_id}),
                              ("patch", f"/api/v1/crisis-teams/{pk}/", {"name": "越权"})):
        assert getattr(api(outsider), method)(url, body, format="json").status_code == 404
    assert api(outsider).get("/api/v1/crisis-teams/").json()["results"] == []
    r = api(outsider).post("/api/v1/crisis-teams/", {"org_unit": tree.county_a.pk, "name": "越权队"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["org_unit"] and CrisisTeam.objects.count() == 1
