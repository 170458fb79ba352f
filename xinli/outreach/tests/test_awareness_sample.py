"""Issue 16, T10: a proper sample — random residents drawn per urban/rural stratum of a unit from the archive (person
references only, reproducible with the recorded seed, audited, only by who reads the archive and manages indicators
over the unit), one-time invitation codes (unguessable, single use) answered on the portal, and the response rate
(responded ÷ invited per stratum)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from xinli.archives.services import register_person
from xinli.core import ratelimit
from xinli.core.models import AuditEntry
from xinli.core.policy import Role
from xinli.outreach import sampling, services
from xinli.outreach.models import AwarenessResponse, AwarenessSample, Invitation
from xinli.regions.models import OrgUnit
from xinli.testing.fixtures import id_number, login_verified, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(tree):
    """County A: 6 urban residents (A1v1 111: 4, A1v2 112: 2) and 3 rural (A2v1 coded 220); county B: 2 rural."""
    for unit, code in ((tree.a1v1, "111"), (tree.a1v2, "112"), (tree.a2v1, "220"), (tree.b1v1, "220")):
        OrgUnit.objects.filter(pk=unit.pk).update(urban_rural_code=code)
        unit.refresh_from_db()
    registrar = make_user("registrar", [(tree.city, Role.HEALTH_OFFICER)])
    seq = iter(range(300, 400))
    out = []
    for unit, count, county in ((tree.a1v1, 4, "370202"), (tree.a1v2, 2, "370202"), (tree.a2v1, 3, "370202"), (tree.b1v1, 2, "370203")):
        for i in range(count):
            out.append(register_person(registrar, {"name": f"{unit.name[:3]}{i}号", "id_number": id_number("19850505", next(seq), county),
                                                   "phone": "13900000000", "address": "某路", "org_unit": unit},
                                       consents=[{"purpose": "archive"}]).person)
    return out


@pytest.fixture
def officer(tree):
    return make_user("county_officer", [(tree.county_a, Role.HEALTH_OFFICER)])


def _answers(sample, right=True):
    return {q["id"]: q["answer"] if right else next(o for o in q["options"] if o != q["answer"]) for q in sample.survey.questions}


def test_the_draw_takes_n_per_stratum_stores_references_and_is_audited(tree, residents, officer):
    sample = sampling.draw_sample(officer, tree.county_a, per_stratum=2, seed="s1")
    strata = {s.rural: (s.population, s.invited) for s in sample.strata.all()}
    assert strata == {False: (6, 2), True: (3, 2)}
    invitations = list(sample.invitations.select_related("org_unit"))
    assert len(invitations) == 4 and len({i.code for i in invitations}) == 4
    assert all(i.org_unit.is_rural == i.rural and i.org_path == i.org_unit.path and i.county_code == "370202" for i in invitations)
    assert {f.name for f in Invitation._meta.concrete_fields} >= {"person"}  # a reference, no copied personal field
    assert not {"name", "phone", "id_number", "address"} & {f.name for f in Invitation._meta.concrete_fields}
    entry = AuditEntry.objects.get(object_type="outreach.awarenesssample")
    assert entry.actor_id == officer.pk and entry.detail["invited"] == 4


def test_the_draw_is_reproducible_with_the_recorded_seed(tree, residents, officer):
    sample = sampling.draw_sample(officer, tree.county_a, per_stratum=3, seed="repeat-me")
    drawn = {r: sorted(sample.invitations.filter(rural=r).values_list("person_id", flat=True)) for r in (False, True)}
    from xinli.archives.selectors import sampling_frame

    frame = sampling_frame(officer, tree.county_a, born_from=sample.year - sample.max_age, born_to=sample.year - sample.min_age)
    rural_of = {u.pk: u.is_rural for u in OrgUnit.objects.filter(level="village")}
    for stratum in sample.strata.all():
        ids = [p for p, u in frame if rural_of[u] == stratum.rural]
        assert sampling.frame_digest(ids) == stratum.frame_digest  # the same frame as at the draw
        assert sampling.choose(ids, sample.per_stratum, sample.seed, stratum.rural) == drawn[stratum.rural]
    # Another seed draws other residents (6 choose 3 urban: the two seeds differ here).
    ids = [p for p, u in frame if not rural_of[u]]
    assert sampling.choose(ids, 3, "another", False) != drawn[False]


def test_only_who_reads_the_archive_and_manages_indicators_over_the_unit_may_draw(tree, residents, officer):
    for user in (make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)]), make_user("worker", [(tree.county_a, Role.COMMUNITY_WORKER)]),
                 make_user("sysadmin", [(tree.city, Role.SYSTEM_ADMIN)])):
        with pytest.raises(PermissionDenied):
            sampling.draw_sample(user, tree.county_a, per_stratum=2)
    with pytest.raises(PermissionDenied):
        sampling.draw_sample(officer, tree.county_b, per_stratum=2)  # another county
    assert not AwarenessSample.objects.exists()


def test_one_sample_per_area_and_year(tree, residents, officer):
    city_officer = make_user("city_officer", [(tree.city, Role.HEALTH_OFFICER)])
    sampling.draw_sample(officer, tree.a1, per_stratum=2)
    for unit in (tree.a1, tree.county_a, tree.city):  # the same unit, or one above it
        with pytest.raises(ValidationError, match="一次"):
            sampling.draw_sample(city_officer, unit, per_stratum=2)
    sampling.draw_sample(city_officer, tree.county_b, per_stratum=2)  # elsewhere: fine
    with pytest.raises(ValidationError, match="1 至 2000"):
        sampling.draw_sample(officer, tree.a2, per_stratum=0)
    assert AwarenessSample.objects.count() == 2


def test_an_invitation_code_answers_once(tree, residents, officer, client):
    sample = sampling.draw_sample(officer, tree.county_a, per_stratum=2, seed="s")
    invitation = sample.invitations.filter(rural=False).first()
    assert len(invitation.code) == 10 and invitation.code.isalnum() and invitation.code.isupper()
    page = client.get(f"/p/awareness/{invitation.code}/")
    assert page.status_code == 200 and invitation.org_unit.name in page.content.decode()
    assert invitation.person.name not in page.content.decode()  # whoever holds the slip never sees the name
    assert client.post(f"/p/awareness/{invitation.code}/", {f"q_{k}": v for k, v in _answers(sample).items()}).status_code == 200
    again = client.post(f"/p/awareness/{invitation.code}/", {f"q_{k}": v for k, v in _answers(sample, False).items()})
    assert again.status_code == 410 and "已使用" in again.content.decode()
    assert client.get(f"/p/awareness/{invitation.code}/").status_code == 410
    response = AwarenessResponse.objects.get()
    assert (response.sample, response.rural, response.org_unit, response.passed) == (sample, False, invitation.org_unit, True)
    with pytest.raises(ValidationError, match="已使用"):
        services.answer_invitation(invitation.code, _answers(sample))
    assert AwarenessResponse.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.used


def test_the_start_page_takes_the_code_and_wrong_codes_count_against_the_address(tree, residents, officer, client, settings,
                                                                                   monkeypatch):
    sample = sampling.draw_sample(officer, tree.county_a, per_stratum=1, seed="s")
    code = sample.invitations.first().code
    assert "邀请码" in client.get("/p/awareness/").content.decode()
    r = client.post("/p/awareness/", {"code": code.lower()})
    assert r.status_code == 302 and r["Location"] == f"/p/awareness/{code}/"
    settings.XINLI_RATE_LIMITS = {**settings.XINLI_RATE_LIMITS, "code": (2, 300)}
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_000_000.0)
    wrong = "ABCDEFGH23" if code != "ABCDEFGH23" else "ABCDEFGH34"
    r = client.post("/p/awareness/", {"code": wrong})
    assert r.status_code == 400 and "无法识别" in r.content.decode()
    assert client.get(f"/p/awareness/{wrong}/").status_code == 404
    assert client.post("/p/awareness/", {"code": code}).status_code == 429  # the address has used up its wrong codes


def test_the_response_rate_is_answered_over_invited_per_stratum(tree, residents, officer):
    sample = sampling.draw_sample(officer, tree.county_a, per_stratum=3, seed="s")
    urban = list(sample.invitations.filter(rural=False).order_by("pk"))
    rural = list(sample.invitations.filter(rural=True).order_by("pk"))
    for invitation in urban[:2] + rural[:1]:
        services.answer_invitation(invitation.code, _answers(sample))
    rates = {r["rural"]: (r["population"], r["invited"], r["responded"], r["rate"]) for r in sampling.response_rates(sample)}
    assert rates == {False: (6, 3, 2, pytest.approx(2 / 3)), True: (3, 3, 1, pytest.approx(1 / 3))}
    client = Client()
    login_verified(client, officer)
    page = client.get(f"/outreach/samples/{sample.pk}/").content.decode()
    assert "66.7%" in page and "33.3%" in page and "应答率" in page
    pub = make_user("pub", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    client = Client()
    login_verified(client, pub)
    desk = client.get("/outreach/").content.decode()
    assert "66.7%" in desk and "33.3%" in desk  # the publicity desk sees the rates, no names
    assert not any(p.name in desk for p in residents)
    assert client.get(f"/outreach/samples/{sample.pk}/").status_code == 404


def test_the_sample_pages_draw_and_list_the_invitations_audited(tree, residents, officer):
    client = Client()
    login_verified(client, officer)
    assert "抽取样本" in client.get("/outreach/samples/").content.decode()
    r = client.post("/outreach/samples/", {"code": tree.county_a.code, "per_stratum": "2"})
    sample = AwarenessSample.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/outreach/samples/{sample.pk}/"
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    page = client.get(r["Location"]).content.decode()
    listed = {i.person_id for i in sample.invitations.select_related("person")}
    assert all(i.code in page and i.person.name in page for i in sample.invitations.select_related("person"))
    audited = set(AuditEntry.objects.filter(id__gt=before, actor_id=officer.pk, purpose="awareness sample").values_list("person_id", flat=True))
    assert audited == listed
    # Another county's unit code is refused like an unknown one; nothing is drawn.
    r = client.post("/outreach/samples/", {"code": tree.county_b.code, "per_stratum": "2"}, follow=True)
    assert "区划代码" in r.content.decode() and AwarenessSample.objects.count() == 1
