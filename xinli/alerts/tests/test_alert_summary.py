"""An alert's summary is read in the reader's language: rules store a message code and its parameters, pages, the
API and the duty console render it at display time (Chinese for a Chinese reader, whatever raised it)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from xinli.alerts.models import Alert
from xinli.screening.services import administer
from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_a_critical_item_alert_reads_in_chinese_on_its_page_and_in_both_languages_in_the_api(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    alert = Alert.objects.get()
    assert (alert.summary_code, alert.summary_params) == ("critical_item", {"scale": "phq9", "item": "9", "value": 2})
    assert alert.summary_text("zh-hans") == "PHQ-9 第 9 题 = 2" and alert.summary_text("en") == "PHQ-9 item 9 = 2"
    client = Client()
    login_verified(client, teams["county"])
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "PHQ-9 第 9 题 = 2" in page and "item 9" not in page and "phq9:item9" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "PHQ-9 item 9 = 2" in client.get(f"/alerts/{alert.pk}/").content.decode()
    api = APIClient()
    api.force_authenticate(teams["county"])
    body = api.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert body["summary"] == "PHQ-9 第 9 题 = 2"
    assert body["summary_i18n"] == {"zh-hans": "PHQ-9 第 9 题 = 2", "en": "PHQ-9 item 9 = 2"}


def test_a_severe_band_names_the_band_in_chinese(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[3, 3, 3, 3, 3, 3, 2, 0, 0], person=people.in_a1v1)
    alert = Alert.objects.get(source="severe_band")
    assert "重度" in alert.summary_text("zh-hans") and "severe" not in alert.summary_text("zh-hans")
    assert "总分 20" in alert.summary_text("zh-hans")


def test_a_hotline_alert_reads_in_chinese(personas, tree, teams):
    from xinli.hotline.models import Line

    line = Line.objects.create(name="青岛市心理援助热线", number="12356", org_unit=tree.county_a)
    api = APIClient()
    api.force_authenticate(personas.hotline_operator)
    r = api.post("/api/v1/hotline/calls/", {"line": line.pk, "caller_phone": "13912345678", "recording_notice": True,
                                            "ideation": 9, "has_plan": True, "has_means": True, "intoxicated": True,
                                            "action": "transfer", "transfer_to": "120", "transfer_reference": "QD-1"},
                 format="json")
    assert r.status_code == 201, r.content
    alert = Alert.objects.get()
    text = alert.summary_text("zh-hans")
    assert text.startswith(f"12356 来电 #{r.json()['id']}：自杀风险评级为") and "已转120 急救" in text
    assert "suicide" not in text and "transferred" not in text


def test_the_migration_turns_stored_english_summaries_into_codes(people, personas, teams):
    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    Alert.objects.update(summary_code="", summary_params={})  # as written before this change
    reported = Alert.objects.get()
    migration = importlib.import_module("xinli.alerts.migrations.0005_alert_summary_code")
    migration.summary_codes(django_apps, None)
    reported.refresh_from_db()
    assert reported.summary_code == "critical_item" and reported.summary_text("zh-hans") == "PHQ-9 第 9 题 = 2"


def test_a_workers_own_words_are_shown_as_written(people, personas, teams):
    from xinli.alerts.services import report

    alert = report(personas.village_worker_1, level="orange", summary="邻居反映其近日情绪低落", person=people.in_a1v1)
    assert alert.summary_code == "" and alert.summary_text("en") == "邻居反映其近日情绪低落"


def test_the_duty_console_names_a_failed_deliverys_channel_in_chinese(people, personas, teams):
    from xinli.alerts.models import Delivery

    administer(personas.counsellor, scale="phq9", answers=[0] * 8 + [2], person=people.in_a1v1)
    alert = Alert.objects.get()
    note = alert.notifications.first()
    Delivery.objects.create(notification=note, channel="email", status=Delivery.Status.FAILED, attempts=3,
                            org_path=alert.org_path)
    client = Client()
    login_verified(client, teams["county"])
    panel = client.get("/alerts/console/", HTTP_HX_REQUEST="true").content.decode()
    assert "<td>电子邮件</td>" in panel and "<td>email</td>" not in panel
