"""A page shows a bilingual message ("中文 / English") in the reader's language only; the API keeps both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import gettext_lazy as _lazy
from rest_framework.test import APIClient

from xinli.core.i18n import bilingual, in_language, one_language
from xinli.testing.fixtures import id_number, login_verified

pytestmark = pytest.mark.django_db


def _bad_id():
    good = id_number("19800101", 111)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def test_a_form_error_on_a_page_is_chinese_only_and_english_after_the_switch(personas, tree):
    client = Client()
    login_verified(client, personas.village_worker_1)
    html = client.post("/persons/new/", {"name": "甲", "id_number": _bad_id(), "org_unit": tree.a1v1.pk}).content.decode()
    assert "居民身份证号码：校验码" in html and "check character" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post("/persons/new/", {"name": "甲", "id_number": _bad_id(), "org_unit": tree.a1v1.pk}).content.decode()
    assert "check character" in html and "校验码" not in html


def test_the_api_keeps_both_languages(personas, tree):
    api = APIClient()
    api.force_authenticate(personas.village_worker_1)
    message = api.post("/api/v1/persons/", {"name": "甲", "id_number": _bad_id(), "org_unit": tree.a1v1.pk},
                       format="json").json()["id_number"][0]
    assert "校验码" in message and "check character" in message


def test_a_django_message_after_saving_is_chinese_only(personas, tree):
    client = Client()
    login_verified(client, personas.village_worker_1)
    r = client.post("/persons/new/", {"name": "周芳", "id_number": id_number("19661010", 246), "org_unit": tree.a1v1.pk,
                                      "consent_given": "on", "consent_given_by": "self"}, follow=True)
    html = r.content.decode()
    assert "居民已登记建档。" in html and "Person registered in the archive." not in html


def test_stored_bilingual_data_shows_the_readers_half():
    from django.utils.translation import override

    text = "独立、安静、私密的心理咨询（辅导）室 / a separate, quiet and private counselling room"
    with override("zh-hans"):
        assert in_language(text) == "独立、安静、私密的心理咨询（辅导）室"
    with override("en"):
        assert in_language(text) == "a separate, quiet and private counselling room"
    assert in_language("12356 / 120") == "12356 / 120"  # not a bilingual text: unchanged
    # A value the reader wrote is quoted in both halves, so the English half may hold Chinese too (an import problem).
    tag = bilingual(_lazy("Population tag: '{value}' is not known; use the tags of the template's list, separated by 、."),
                    value="外星人")
    with override("zh-hans"):
        assert in_language(tag) == "人群标签：“外星人”无法识别；请使用标签列表中的名称，用“、”分隔。"
    with override("en"):
        assert in_language(tag) == "Population tag: '外星人' is not known; use the tags of the template's list, separated by 、."
    # ... and an English half that lists Chinese role names still reads as English (an emergencies import problem).
    listing = "参与处置人员：无法识别“李明（厨师）”；每人按 姓名（角色）填写，例如 李四（民警），用“、”分隔；角色：村（居）委会成员、网格员。"
    english = ("Team members: '李明（厨师）' is not understood; write each member as name（role）, e.g. 李四（民警）, "
               "separated by 、; roles: 村（居）委会成员, 网格员, 精防医生, 民警, 民政干事, 残联专干, 志愿者.")
    with override("zh-hans"):
        assert in_language(f"{listing} / {english}") == listing
    with override("en"):
        assert in_language(f"{listing} / {english}") == english
    assert in_language("区县 / 乡镇") == "区县 / 乡镇"  # Chinese on both sides: not a bilingual text
    from django.utils.translation import gettext_lazy as _

    with override("zh-hans"), one_language():
        assert bilingual(_("Saved.")) == "已保存。"
    with override("zh-hans"):
        assert bilingual(_("Saved.")) == "已保存。 / Saved."


def test_allowed_values_are_codes_in_the_api_and_labels_on_a_page():
    from django.utils.translation import gettext_lazy as _
    from django.utils.translation import override

    from xinli.alerts.models import Outcome
    from xinli.core.i18n import choice_list

    message = _("Outcome: required to close an alert; choose one of {choices}.")
    with override("zh-hans"):
        assert "contacted_safe" in bilingual(message, choices=choice_list(Outcome))
        with one_language():
            text = bilingual(message, choices=choice_list(Outcome))
    assert "contacted_safe" not in text and "已联系，目前安全" in text
