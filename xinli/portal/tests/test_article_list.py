"""The article list shows each summary as plain text — never markup like ``</p>`` — taken from the written summary or,
when there is none, from the start of the sanitised body."""

import pytest

from xinli.outreach.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(tree):
    from xinli.core.policy import Role
    from xinli.outreach import services as outreach
    from xinli.testing.fixtures import make_user

    writer = make_user("writer", [(tree.county_a, Role.PUBLICITY_OFFICER)])
    editor = make_user("editor", [(tree.county_a, Role.PUBLICITY_OFFICER)])

    def _publish(title, body, summary=""):
        a = outreach.write_article(writer, org_unit=tree.county_a, title=title, category="self_help", body=body, summary=summary)
        outreach.submit(writer, a)
        return outreach.review(editor, a, approve=True)
    return _publish


def _teasers(html):
    import re

    return re.findall(r'<span class="teaser">(.*?)</span>', html, re.S)


def test_summaries_are_plain_text(publish, client):
    publish("如何识别抑郁情绪", "<p>情绪低落、兴趣减退持续两周以上，应及时寻求专业帮助。</p><p>可拨打心理援助热线 12356。</p>",
            summary="情绪低落、兴趣减退持续两周以上，应及时寻求专业帮助。</p><p>可拨")  # a summary cut out of the HTML
    publish("睡不好怎么办", "<h2>规律作息</h2><p>睡前一小时远离手机&amp;少喝咖啡，" + "白天适量运动。" * 20 + "</p>")
    html = client.get("/p/articles/").content.decode()
    teasers = _teasers(html)
    assert len(teasers) == 2
    for text in teasers:
        assert "<" not in text and "&lt;" not in text and "/p" not in text, text
    assert "应及时寻求专业帮助。 可拨" in html
    assert "规律作息 睡前一小时远离手机&amp;少喝咖啡" in html and "…" in html  # from the body, entity decoded, cut
    assert Article.objects.get(title="如何识别抑郁情绪").summary == "情绪低落、兴趣减退持续两周以上，应及时寻求专业帮助。 可拨"


def test_a_summary_stored_with_markup_before_the_fix_still_shows_as_text(publish, client):
    a = publish("睡不好怎么办", "<p>规律作息。</p>")
    Article.objects.filter(pk=a.pk).update(summary="<p>保持规律作息</p>")
    assert _teasers(client.get("/p/articles/").content.decode()) == ["保持规律作息"]
