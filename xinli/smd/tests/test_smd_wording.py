"""Every SMD page read in Chinese: 随访 (not 回访), "下次随访" (not "下一页"), the status "在册" (not "在册患者数"),
and no English word or raw code (classification, risk, disease, status, lost-to-follow-up, social function) in
the visible text."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from xinli.core.policy import Role
from xinli.smd import services
from xinli.smd.models import Task
from xinli.testing.fixtures import login_verified, make_user

from .conftest import visit

pytestmark = pytest.mark.django_db
# Codes that read the same in Chinese: ICD-10 codes of the six diseases, target ids of the indicators.
ALLOWED = re.compile(r"^(F\d\d|F7x|T1[1-7]|API)$")
USERNAMES = {"jingfang", "police_a1", "officer_a"}  # the header names the signed-in user


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "option"):  # options: checked through the selected/visible labels below
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "option"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def latin_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if not ALLOWED.match(w)}


@pytest.fixture
def filled(patient, doctor):
    services.record_follow_up(doctor, patient, visit(date=timezone.localdate() - datetime.timedelta(days=20), risk=1, insight="partial"))
    services.record_follow_up(doctor, patient, {"date": timezone.localdate() - datetime.timedelta(days=2), "mode": "phone", "lost_reason": "migrant_work"})
    services.add_support(doctor, patient, kind="rehab", start=timezone.localdate(), institution="社区精神康复站")
    Task.objects.filter(patient=patient, state="due").update(due=timezone.localdate() - datetime.timedelta(days=1))
    return patient


def test_every_smd_page_reads_as_chinese(filled, doctor, tree):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(client, doctor)
    officer = make_user("officer_a", [(tree.county_a, Role.HEALTH_OFFICER)])
    pages = {url: visible_text(client.get(url).content.decode()) for url in (
        "/smd/", "/smd/patients/", "/smd/patients/?follow_up=overdue", f"/smd/patients/{filled.pk}/",
        f"/smd/patients/{filled.pk}/follow-up/", "/smd/indicators/")}
    police = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(police, make_user("police_a1", [(tree.a1, Role.POLICE_LIAISON)]))
    pages["/smd/ (case team)"] = visible_text(police.get("/smd/").content.decode())
    pages[f"/smd/patients/{filled.pk}/ (case team)"] = visible_text(police.get(f"/smd/patients/{filled.pk}/").content.decode())
    county = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(county, officer)
    pages["/smd/indicators/ (officer)"] = visible_text(county.get("/smd/indicators/").content.decode())
    for url, text in pages.items():
        assert "回访" not in text and "下一页" not in text, url
        assert not latin_words(text) - USERNAMES, (url, latin_words(text))
    detail = pages[f"/smd/patients/{filled.pk}/"]
    assert "记录随访" in detail and "下次随访" in detail and "在册" in detail and "在册患者数" not in detail
    assert "基本稳定" in detail and "外出打工" in detail  # the classification and lost-to-follow-up labels
    # Labels that share an English word with another page's: the mode "电话" (not the field "联系电话"), the support
    # "社区康复" (not the indicator "社区康复参与率").
    assert "电话" in detail and "联系电话" not in detail and "社区康复" in detail and "参与率" not in detail
    assert "基本稳定" in pages["/smd/"] and "记录随访" in pages["/smd/"]
    assert "在册患者数" in pages["/smd/indicators/"]
    assert "个人生活料理" in pages[f"/smd/patients/{filled.pk}/follow-up/"]


def test_saving_a_follow_up_says_so_in_chinese_only(patient, doctor):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    login_verified(client, doctor)
    r = client.post(f"/smd/patients/{patient.pk}/follow-up/", {
        "date": timezone.localdate().isoformat(), "mode": "phone", "risk": "0", "insight": "complete", "adherence": "regular",
        "hospitalised": "none", "sleep": "good", "diet": "good", "social_self_care": "good"}, follow=True)
    text = visible_text(r.content.decode())
    assert "随访已保存：稳定" in text and not latin_words(text) - USERNAMES, latin_words(text)



def test_allowed_values_in_smd_messages_are_labels_on_pages_and_codes_in_the_api(doctor, people):
    """A refused SMD value lists what is allowed: the Chinese labels on a page, the codes in the API (issue 14 item 3)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import override

    from xinli.core.i18n import one_language

    data = {"diagnosis": "flu", "diagnosed_by": "市精神卫生中心", "diagnosed_on": datetime.date(2020, 5, 1),
            "source": "hospital"}
    with override("zh-hans"), one_language(), pytest.raises(ValidationError) as on_page:
        services.register_patient(doctor, people.in_a1v1, data)
    page = on_page.value.message_dict["diagnosis"][0]
    assert "精神分裂症" in page and "F20" not in page and "schizophrenia" not in page
    with pytest.raises(ValidationError) as in_api:
        services.register_patient(doctor, people.in_a1v1, data)
    assert "F20" in in_api.value.message_dict["diagnosis"][0]
