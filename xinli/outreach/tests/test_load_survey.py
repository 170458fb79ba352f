"""Issue 16, T10: the awareness survey's official questionnaire is loaded as data (``manage.py load_survey FILE``),
versioned — a version that has answers is never edited — with its pass mark and source; the built-in sample stays and is
marked 示例 wherever it is shown; every problem of a file names its field and the fix, and nothing is written."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from xinli.core.policy import Role
from xinli.outreach import services
from xinli.outreach.models import AwarenessSurvey
from xinli.outreach.questionnaire import current_survey
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

OFFICIAL = {
    "name": "心理健康核心知识知晓率调查问卷",
    "source": "某省卫生健康委《社会心理服务体系建设试点评估方案》附件 3（2019 年版）",
    "pass_mark": 2,
    "questions": [
        {"id": "1", "text": "心理健康是健康的重要组成部分。", "options": ["对", "错"], "answer": "对"},
        {"id": "2", "text": "抑郁症是可以治疗的。", "options": ["对", "错"], "answer": "对"},
        {"id": "3", "text": "全国心理援助热线是：", "options": ["12356", "12345"], "answer": "12356"},
    ],
}


def _load(tmp_path, data, name="survey.json"):
    f = tmp_path / name
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    call_command("load_survey", str(f))


def test_load_creates_a_version_with_its_pass_mark_and_source_and_it_is_used(tmp_path, tree):
    _load(tmp_path, OFFICIAL)
    survey = AwarenessSurvey.objects.get(sample=False)
    assert (survey.name, survey.version, survey.pass_mark, survey.source) == (OFFICIAL["name"], 1, 2, OFFICIAL["source"])
    assert [q["id"] for q in survey.questions] == ["1", "2", "3"]
    assert current_survey() == survey
    link = services.awareness_link(make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)]), tree.a1v1)
    assert link.survey == survey
    # Passing is judged by the loaded pass mark: 2 of 3 right passes.
    answers = {"1": "对", "2": "对", "3": "12345"}
    assert services.record_awareness(survey, org_unit=tree.a1v1, answers=answers).passed


def test_loading_the_same_file_again_changes_nothing(tmp_path):
    _load(tmp_path, OFFICIAL)
    _load(tmp_path, OFFICIAL)
    assert AwarenessSurvey.objects.filter(sample=False).count() == 1


def test_a_version_without_answers_is_updated_one_with_answers_gets_a_new_version(tmp_path, tree):
    _load(tmp_path, OFFICIAL)
    _load(tmp_path, OFFICIAL | {"pass_mark": 3})  # nobody answered version 1 yet: corrected in place
    v1 = AwarenessSurvey.objects.get(sample=False)
    assert (v1.version, v1.pass_mark) == (1, 3)
    services.record_awareness(v1, org_unit=tree.a1v1, answers={"1": "对", "2": "对", "3": "12356"})
    changed = OFFICIAL | {"questions": [*OFFICIAL["questions"], {"id": "4", "text": "失眠应及时就诊。", "options": ["对", "错"], "answer": "对"}]}
    _load(tmp_path, changed)
    v1.refresh_from_db()
    assert (v1.version, v1.pass_mark, len(v1.questions)) == (1, 3, 3)  # the answered version is untouched
    v2 = AwarenessSurvey.objects.get(sample=False, version=2)
    assert (v2.name, len(v2.questions), v2.pass_mark) == (OFFICIAL["name"], 4, 2)
    assert current_survey() == v2


def test_every_problem_names_its_field_and_the_fix_and_nothing_is_written(tmp_path, capsys):
    bad = {
        "name": "",
        "pass_mark": 5,
        "questoins": [],
        "questions": [
            {"id": "1", "text": "甲", "options": ["对", "错"], "answer": "是"},
            {"id": "1", "text": "", "options": ["对"], "answer": "对"},
            {"id": "3", "text": "丙", "options": ["对", "错"], "answer": "对", "score": 2},
        ],
    }
    with pytest.raises(CommandError, match="nothing was written"):
        _load(tmp_path, bad)
    err = capsys.readouterr().err
    for expected in ("questoins：未知字段", "name：必填", "source：必填", "questions[1].answer：须为选项之一（对、错）",
                     "questions[2].id：“1”已是第 1 题的编号", "questions[2].text：必填", "questions[2].options：2 至 10 个",
                     "questions[3].score", "pass_mark：及格所需答对题数，1 至 3", "pass_mark: the number of correct answers"):
        assert expected in err, expected
    assert not AwarenessSurvey.objects.exists()


def test_a_file_that_is_not_json_says_where(tmp_path):
    f = tmp_path / "survey.json"
    f.write_text('{"name": "问卷",\n "source": "x" "pass_mark": 1}', encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 行"):
        call_command("load_survey", str(f))
    with pytest.raises(CommandError, match="file not found"):
        call_command("load_survey", str(tmp_path / "missing.json"))


def test_the_sample_keeps_its_name_and_is_marked_on_every_page_that_shows_it(tmp_path, tree, client):
    sample = services.sample_survey()
    assert sample.sample and sample.source
    with pytest.raises(CommandError):
        _load(tmp_path, OFFICIAL | {"name": sample.name})  # the official questionnaire cannot take the sample's name
    pub = make_user("pub", [(tree.city, Role.PUBLICITY_OFFICER)])
    link = services.awareness_link(pub, tree.a1v1)
    assert link.survey == sample
    portal = client.get(f"/p/awareness/{link.token}/").content.decode()
    assert '<span class="tag">示例</span>' in portal
    staff = Client()
    login_verified(staff, pub)
    desk = staff.get("/outreach/").content.decode()
    assert desk.count('<span class="tag">示例</span>') >= 2  # the questionnaire in use and the link made with it
    officer = make_user("officer", [(tree.city, Role.HEALTH_OFFICER)])
    staff = Client()
    login_verified(staff, officer)
    assert '<span class="tag">示例</span>' in staff.get("/outreach/samples/").content.decode()
    # Once the official questionnaire is loaded, the desk shows it with its source, without the mark.
    _load(tmp_path, OFFICIAL)
    staff = Client()
    login_verified(staff, pub)
    desk = staff.get("/outreach/").content.decode()
    assert OFFICIAL["source"] in desk and desk.split('id="awareness"')[1].split("</p>")[0].count("示例") == 0


def test_the_migration_marks_the_sample_already_in_the_database():
    import importlib

    from django.apps import apps

    from xinli.outreach.questionnaire import sample_name

    old = AwarenessSurvey.objects.create(name=sample_name(), questions=[], pass_mark=1)  # as the sample was stored before
    other = AwarenessSurvey.objects.create(name="某地问卷", questions=[], pass_mark=1)
    importlib.import_module("xinli.outreach.migrations.0003_awareness_versions_and_samples").mark_the_sample(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.sample and "示例" in old.source and not other.sample
    assert services.sample_survey() == old  # the same row stays the sample
