"""The rules a region sets as data (issue 16): on the targets page the officer sets each indicator-rule parameter
(T12 rule, T09 tags, T05 size cut, T08 team minimum, small-cell threshold) with its source; bad input names the field
and writes nothing; the indicator page says which rule produced the figure, and T08 what it was decided on."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from xinli.alerts import teams
from xinli.core.policy import Role
from xinli.hotline.models import Line
from xinli.indicators import services
from xinli.regions import parameters
from xinli.regions.models import RegionParameter
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture
def officer(tree):
    return make_user("city_officer", [(tree.city, Role.HEALTH_OFFICER)])


@pytest.fixture
def client_of(officer):
    c = Client()
    login_verified(c, officer)
    return c


def targets(tree, unit=None):
    return f"/indicators/targets/?org={(unit or tree.county_a).code}&year={YEAR}"


def test_the_officer_sets_each_rule_with_its_source(tree, client_of):
    page = client_of.get(targets(tree)).content.decode()
    for key in ("t12_rule", "t09_tags", "t05_min_employees", "crisis_team_min_members", "small_cell_threshold"):
        assert f'id="{key}"' in page and f'name="do" value="{key}"' in page, key
    assert "国家基本公共卫生服务规范" in page and "不设规模门槛" in page and "平台默认" in page

    client_of.post(targets(tree), {"do": "t12_rule", "value": "gap92", "source": "市南区精防工作方案（2026）"})
    client_of.post(targets(tree), {"do": "t09_tags", "value": ["prisoner", "vagrant"], "source": "区综治办通知"})
    client_of.post(targets(tree), {"do": "t05_min_employees", "value": "50", "source": "区卫健局规定"})
    client_of.post(targets(tree), {"do": "crisis_team_min_members", "value": "5", "source": "市危机干预工作规范"})
    assert parameters.parameter(tree.a1, "t12_rule") == "gap92"  # the units below follow
    assert parameters.parameter(tree.a1, "t09_tags") == ["prisoner", "vagrant"]
    assert parameters.parameter(tree.county_a, "t05_min_employees") == 50
    assert parameters.parameter(tree.county_a, "crisis_team_min_members") == 5
    assert parameters.parameter(tree.county_b, "t12_rule") == "national"  # not the other county
    page = client_of.get(targets(tree, tree.a1)).content.decode()
    assert "本地口径：相邻两次随访间隔不超过 3 个月" in page and "由市南区设定" in page and "市南区精防工作方案（2026）" in page
    assert "服刑人员" in page  # the tag set shown by its labels, not its codes
    assert "prisoner" not in page.split('id="t09_tags"')[1].split("<form")[0]


def test_bad_rule_values_name_the_field_and_write_nothing(tree, client_of, personas):
    n = RegionParameter.objects.count()
    for data, message in (({"do": "t12_rule", "value": "weekly", "source": "x"}, "T12 口径"),
                          ({"do": "t09_tags", "source": "x"}, "T09 特殊人群"),
                          ({"do": "t09_tags", "value": ["nobody"], "source": "x"}, "T09 特殊人群"),
                          ({"do": "t05_min_employees", "value": "0", "source": "x"}, "1 至 1000000"),
                          ({"do": "crisis_team_min_members", "value": "三", "source": "x"}, "1 至 100"),
                          ({"do": "crisis_team_min_members", "value": "4", "source": " "}, "规则来源")):
        page = client_of.post(targets(tree), data, follow=True).content.decode()
        assert message in page, data
        assert RegionParameter.objects.count() == n, data
    worker = Client()
    login_verified(worker, personas.village_worker_1)
    assert worker.post(targets(tree), {"do": "t12_rule", "value": "gap92", "source": "x"}).status_code == 404
    assert RegionParameter.objects.count() == n


def test_the_indicator_page_says_which_rule_produced_the_figure(tree, officer, client_of):
    services.rebuild(YEAR, codes={"T12", "T08", "T05", "T09"})
    page = client_of.get("/indicators/T12/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "现行口径：T12 口径" in page and "国家基本公共卫生服务规范" in page and "平台默认" in page
    parameters_set = {"t12_rule": "gap92"}
    from xinli.regions.services import set_parameter

    for key, value in parameters_set.items():
        set_parameter(officer, unit=tree.city, key=key, value=value, source="青岛市精防工作方案")
    page = client_of.get("/indicators/T12/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "本地口径" in page and "由青岛市设定" in page and "规则来源：青岛市精防工作方案" in page
    assert "将在下次重算时生效" in page  # the figure shown was computed before the rule changed
    services.rebuild(YEAR, codes={"T12"})
    assert "将在下次重算时生效" not in client_of.get("/indicators/T12/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    t05 = client_of.get("/indicators/T05/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "T05 最少职工人数" in t05 and "不设规模门槛" in t05
    t09 = client_of.get("/indicators/T09/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "流浪乞讨人员" in t09 and "空巢老人" not in t09  # the plan's groups by default, never the care groups


def test_t08_page_says_what_the_figure_was_decided_on(tree, officer, client_of):
    today = timezone.localdate()
    page = client_of.get("/indicators/T08/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "判定依据" in page and "市南区及上级未登记心理援助热线。" in page
    Line.objects.create(name="青岛市心理援助热线", number="12356", org_unit=tree.city, hours_per_day=18, days_per_week=7)
    page = client_of.get("/indicators/T08/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "每日服务 18 小时（需 24 小时）" in page
    Line.objects.update(hours_per_day=24)
    team = teams.create_team(officer, org_unit=tree.county_a, name="市南区危机干预队")
    rows = [teams.add_member(officer, team, name=f"队员{i}", phone=f"1390000000{i}", profession="psychiatrist", leader=i == 0,
                             since=today - datetime.timedelta(days=30)) for i in range(3)]
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    teams.add_shift(officer, team, member=rows[-1], start=start, end=start + datetime.timedelta(days=1))
    page = client_of.get("/indicators/T08/", {"org": tree.county_a.code, "year": YEAR}).content.decode()
    assert "每天 24 小时开通" in page and "市南区危机干预队（市南区）：成员 3 人（至少 3 人）" in page
    assert "现行口径：T08 危机干预队伍最少人数" in page
