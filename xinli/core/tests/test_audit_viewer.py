"""The audit viewer in plain language (actions, outcomes, objects, pages and details translated, not codes), and a
person's entries found by name or ID number through the blind index — the search maps to person ids for filtering
only, is confined to the audit administrator's area, shows no personal data, and is itself audited."""

import re

import pytest
from django.test import Client

from xinli.core import audit
from xinli.core.models import AuditEntry
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(personas):
    client = Client()
    login_verified(client, personas.audit_admin)
    return client


def _visible_text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>")[0]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)  # attributes (title="…" with the raw code) are not visible text


def test_actions_outcomes_objects_and_details_read_as_chinese(auditor, personas, people):
    person = people.in_a1v1
    audit.record(personas.crisis_team, audit.Action.CREATE, object_type="alerts.alert", object_id="7", person=person,
                 detail={"level": "orange", "source": "critical_item", "cause": "phq9:item9", "upgraded": True},
                 view="alerts:case_open")
    audit.record(personas.crisis_team, audit.Action.UPDATE, object_type="alerts.alert", object_id="7", person=person,
                 detail={"merged": "severe_band", "level": "orange"})
    audit.record(personas.counsellor, audit.Action.CREATE, object_type="screening.assessment", object_id="3", person=person,
                 detail={"scale": "phq9", "band": "moderately_severe"})
    audit.record(personas.county_officer, audit.Action.EXPORT, object_type="archives.person", object_id="", person=person,
                 detail={"identified": False, "format": "xlsx"}, view="person-list", purpose="search")
    audit.record(None, audit.Action.LOGIN_FAILED, object_type="accounts.user", object_id="mallory", outcome="bad_otp")
    audit.record(personas.hotline_operator, audit.Action.UPDATE, object_type="hotline.call", object_id="9",
                 detail={"follow_up": "done"})
    text = _visible_text(auditor.get("/audit/").content.decode())
    for code in ("alerts:case_open", "alerts.alert", "critical_item", "identified", "False", "success", "bad_otp",
                 "person-list", "upgraded", "health_officer", "phq9", "moderately_severe", "severe_band", "合并的信号数",
                 "done"):
        assert code not in text, code
    for words in ("预警", "橙色", "筛查中的危急条目", "否", "成功", "一次性验证码错误", "预警 · 页面", "接口", "检索",
                  "PHQ-9 第9题", "中重度抑郁症状", "合并信号：筛查结果为重度"):
        assert words in text, words


def test_find_a_persons_entries_by_name_or_id_number(auditor, personas, people):
    mine, other = people.in_a1v1, people.in_a1v2
    audit.record_person_reads(personas.township_worker, [mine, other], purpose="search")
    for query in (mine.name, mine.id_number, mine.id_number.lower()):
        html = auditor.get("/audit/", {"who": query}).content.decode()
        rows = html.split("<tbody>")[1].split("</tbody>")[0]
        assert f'data-person="{mine.pk}"' in rows and f'data-person="{other.pk}"' not in rows, query
    # The search itself is audited — without the name or number searched for.
    searches = AuditEntry.objects.filter(actor_id=personas.audit_admin.pk, action="search", object_type="core.auditentry")
    assert searches.count() == 3
    assert all(mine.name not in str(e.detail) and mine.id_number not in str(e.detail) for e in searches)
    assert {e.detail["by"] for e in searches} == {"name", "id_number"}


def test_the_search_shows_no_personal_data_and_stays_in_the_auditors_area(personas, people, tree):
    from xinli.core.policy import Role
    from xinli.testing.fixtures import make_user

    mine = people.in_a1v1
    audit.record_person_reads(personas.township_worker, [mine], purpose="search")
    county_b_auditor = make_user("auditor_b", [(tree.county_b, Role.AUDIT_ADMIN)])
    client = Client()
    login_verified(client, county_b_auditor)
    html = client.get("/audit/", {"who": mine.id_number}).content.decode()
    assert f'data-person="{mine.pk}"' not in html and "没有找到" in html  # outside the area: as if unknown
    assert mine.address not in html and mine.phone not in html


def test_a_surname_alone_is_refused_with_the_rule(auditor, people):
    html = auditor.get("/audit/", {"who": "张"}).content.decode()
    assert "请输入完整姓名" in html


def test_a_detail_key_named_like_a_reverse_relation_reads_as_text(auditor, personas, people):
    """A detail key that is also the name of a reverse relation of the object's model (a patient's ``follow_ups``
    counted in an export entry) is shown like any other key, not a 500."""
    audit.record(personas.smd_doctor, audit.Action.READ, object_type="smd.patient", object_id="1",
                 person=people.in_a1v1, detail={"follow_ups": 3})
    response = auditor.get("/audit/")
    assert response.status_code == 200
    assert "3" in _visible_text(response.content.decode())
