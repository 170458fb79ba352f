"""An incomplete questionnaire names the first unanswered question in plain words (number and text), in the reader's
language only, and jumps to it (a link to the question, focus on its first answer) — staff and portal alike."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from xinli.screening.models import Assessment
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db

PHQ9_ITEM_4 = "感觉疲倦或没有活力"


def test_staff_form_names_the_unanswered_question_and_links_to_it(personas, people):
    client = Client()
    login_verified(client, personas.counsellor)
    r = client.post(f"/persons/{people.in_a1v1.pk}/assess/", {"scale": "phq9", "item_1": "1", "item_2": "1", "item_3": "0"})
    html = r.content.decode()
    assert r.status_code == 400 and not Assessment.objects.exists()
    assert f"第 4 题未作答：“{PHQ9_ITEM_4}" in html and "第 5、6、7、8、9 题也未作答" in html
    assert "phq9" not in re.sub(r'value="phq9"', "", html) and "missing" not in html  # no code, no English
    assert '<a href="#item-4">跳到第 4 题</a>' in html and 'id="item-4"' in html
    assert re.search(r'name="item_4" value="0"[^>]* autofocus', html)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post(f"/persons/{people.in_a1v1.pk}/assess/", {"scale": "phq9", "item_1": "1"}).content.decode()
    assert "Question 2 is not answered" in html and "未作答" not in html


def test_portal_self_test_names_the_unanswered_question_and_links_to_it():
    answers = {f"q_{i}": "1" for i in (1, 2, 3, 5, 6, 7, 8, 9)}
    html = Client().post("/p/test/phq9/", answers).content.decode()
    assert f"第 4 题未作答：“{PHQ9_ITEM_4}" in html and "也未作答" not in html
    assert '<a href="#q-4">跳到第 4 题</a>' in html and re.search(r'name="q_4" value="0"[^>]* autofocus', html)
    assert "not answered" not in html
