"""Articles (sanitised, reviewed by someone else), events, and the awareness rate by hand-count."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from xinli.core.policy import Role
from xinli.outreach import services
from xinli.outreach.models import Article, Registration
from xinli.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def publishers(tree):
    return make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)]), make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)])


def test_article_is_sanitised_reviewed_and_published(publishers, tree):
    writer, editor = publishers
    a = services.write_article(writer, org_unit=tree.county_a, title="如何识别抑郁", category="knowledge",
                               body='<p onclick="steal()">情绪低落超过两周<script>alert(1)</script><a href="javascript:x()">链接</a>'
                                    '<a href="https://www.nhc.gov.cn">国家卫健委</a></p><style>p{}</style>')
    assert "script" not in a.body and "onclick" not in a.body and "javascript" not in a.body and "style" not in a.body
    assert 'href="https://www.nhc.gov.cn"' in a.body and "情绪低落超过两周" in a.body
    services.submit(writer, a)
    with pytest.raises(ValidationError, match="reviewer"):
        services.review(writer, a, approve=True)  # nobody reviews their own article
    a.refresh_from_db()
    assert a.state == "in_review"
    with pytest.raises(ValidationError, match="note"):
        services.review(editor, a, approve=False)
    services.review(editor, a, approve=False, note="请补充求助渠道")
    a.refresh_from_db()
    assert (a.state, a.review_note) == ("rejected", "请补充求助渠道")
    services.write_article(writer, org_unit=tree.county_a, title="如何识别抑郁", category="knowledge", body="<p>补充：拨打 12356</p>", article=a)
    services.submit(writer, a)
    services.review(editor, a, approve=True)
    a.refresh_from_db()
    assert a.state == "published" and a.published_at is not None and a.reviewer == editor


@pytest.mark.parametrize("changes, field", [
    ({"body": "<script>alert(1)</script>"}, "body"),
    ({"body": "x" * 100_001}, "body"),
    ({"title": " "}, "title"),
    ({"category": "gossip"}, "category"),
])
def test_bad_articles_are_refused(publishers, tree, changes, field):
    args = {"org_unit": tree.county_a, "title": "t", "category": "knowledge", "body": "<p>ok</p>"} | changes
    with pytest.raises(ValidationError) as exc:
        services.write_article(publishers[0], **args)
    assert field in exc.value.message_dict and not Article.objects.exists()


def test_only_publishers_of_the_area_write(tree, personas, publishers):
    for user in (personas.village_worker_1,):
        with pytest.raises(PermissionDenied):
            services.write_article(user, org_unit=tree.county_a, title="t", category="knowledge", body="<p>x</p>")
    with pytest.raises(PermissionDenied):
        services.write_article(publishers[0], org_unit=tree.county_b, title="t", category="knowledge", body="<p>x</p>")


def test_event_registration_respects_capacity_and_time(publishers, tree):
    event = services.create_event(publishers[0], org_unit=tree.a1, title="走进一中：青春期心理", kind="school",
                                  starts_at=timezone.now() + datetime.timedelta(days=3), place="一中礼堂", capacity=2)
    services.register(event, name="甲", phone="13800000000")
    services.register(event, name="乙", phone="")
    with pytest.raises(ValidationError, match="full"):
        services.register(event, name="丙", phone="")
    past = services.create_event(publishers[0], org_unit=tree.a1, title="旧", kind="community",
                                 starts_at=timezone.now() - datetime.timedelta(hours=1), place="x", capacity=5)
    with pytest.raises(ValidationError, match="event"):
        services.register(past, name="丁", phone="")
    reg = Registration.objects.filter(event=event).first()
    services.mark_attendance(publishers[1], reg)
    assert Registration.objects.filter(attended=True).count() == 1
    from django.db import connection

    with connection.cursor() as cur:  # names and phones of registrants are stored encrypted
        cur.execute("SELECT name, phone FROM outreach_registration")
        stored = " ".join(str(v) for row in cur.fetchall() for v in row)
    assert "13800000000" not in stored and "甲" not in stored


def test_awareness_rate_urban_and_rural(tree):
    survey = services.sample_survey()
    right = {q["id"]: q["answer"] for q in survey.questions}
    two_wrong = right | {"1": "错", "2": "错"}      # 8 correct: passes (pass mark 8)
    three_wrong = two_wrong | {"3": "错"}           # 7 correct: fails
    # Urban (社区居委会 A1v1, A1v2): 2 pass, 1 fails. Rural (村委会 B1v1): 1 passes, 1 fails.
    for unit, answers in ((tree.a1v1, right), (tree.a1v2, two_wrong), (tree.a1v1, three_wrong), (tree.b1v1, right), (tree.b1v1, three_wrong)):
        services.record_awareness(survey, org_unit=unit, answers=answers)
    from xinli.outreach.indicators import estimates

    rate = estimates(tree.city, timezone.localdate().year)
    assert (rate["urban"].numerator, rate["urban"].denominator, rate["urban"].kind) == (2, 3, "convenience")
    assert (rate["rural"].numerator, rate["rural"].denominator, rate["rural"].kind) == (1, 2, "convenience")
    with pytest.raises(ValidationError):
        services.record_awareness(survey, org_unit=tree.a1v1, answers={"1": "对"})
