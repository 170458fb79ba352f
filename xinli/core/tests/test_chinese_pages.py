"""Every page each role can reach reads as Chinese: no English sentence and no raw code in what a person sees.

One demo region (``seed_demo --size tiny``: every demo role, residents, alerts, calls, SMD patients, campaigns,
articles) and, per account, a breadth-first crawl from the home page over same-site links (``xinli.testing.crawl``),
one page of each kind; the portal is crawled anonymously from /p/."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from xinli.accounts.models import User
from xinli.testing.crawl import crawl, english_problems
from xinli.testing.fixtures import PASSWORD, login_verified

pytestmark = pytest.mark.django_db

@pytest.fixture
def demo(tmp_path):
    accounts = tmp_path / "accounts.json"
    call_command("seed_demo", size="tiny", seed=1, accounts_file=str(accounts))
    names = [a["username"] for a in json.loads(accounts.read_text())]
    _more_rows()
    for user in User.objects.filter(username__in=names):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return names


def _more_rows():
    """What the tiny demo lacks: a moderately severe PHQ-9 with item 9 answered (result page, alert) for the village
    worker's residents, and a school campaign with a positive screen."""
    import datetime as dt

    from django.utils import timezone

    from xinli.archives.models import Person
    from xinli.screening import campaigns
    from xinli.screening.services import administer

    worker = User.objects.get(username="village_worker")
    unit = worker.active_assignments()[0].org_unit
    person = Person.objects.filter(org_path__startswith=unit.path).order_by("-pk").first()
    administer(User.objects.get(username="township_worker"), scale="phq9", answers=[3, 3, 2, 2, 2, 2, 2, 1, 2], person=person)
    psy = User.objects.get(username="school_psychologist")
    now = timezone.now()
    c = campaigns.create_campaign(psy, name="秋季普查", kind="school", institution="一中", org_unit=psy.active_assignments()[0].org_unit,
                                  scales=["phq9"], opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
                                  groups=[{"grade": "初二", "name": "1班", "participants": [{"label": "甲", "minor_under_14": False},
                                                                                          {"label": "乙", "minor_under_14": False}]}])
    campaigns.submit(c.participants.first().code, {"phq9": {str(i): v for i, v in enumerate([2, 2, 2, 2, 1, 1, 0, 0, 0], 1)}})
    # Issue 17: two pairs of possible duplicate records for the county officer (one open, one merged): the review
    # list, the comparison and the merge page are reached from the archive's list.
    from xinli.archives.duplicates import flag_possible_duplicates
    from xinli.archives.merge import merge_persons
    from xinli.archives.services import register_person

    officer = User.objects.get(username="county_officer")
    village = Person.objects.filter(org_path__startswith=officer.active_assignments()[0].org_unit.path).first().org_unit
    twins = [register_person(officer, {"name": name, "birth_date": dt.date(1960, 6, 1), "org_unit": village}).person
             for name in ("甄一", "甄一", "甄二", "甄二")]
    flag_possible_duplicates([p.pk for p in twins])
    merge_persons(officer, twins[2], twins[3])


def _problems(pages, usernames=()) -> list[str]:
    out = []
    for page in pages:
        if page.status >= 500:
            out.append(f"{page.url}: HTTP {page.status}")
        for text in page.texts:
            if text in usernames or "©" in text:
                continue  # a login name is data; a licence notice cites its authors and terms verbatim
            for bad in english_problems(text):
                out.append(f"{page.url}: {bad!r} in {text[:120]!r}")
    return out


def test_every_page_of_every_role_reads_as_chinese(demo):
    problems = []
    for username in demo:
        client = Client()
        login_verified(client, User.objects.get(username=username))
        pages = crawl(client, "/", limit=70)
        assert len(pages) > 5, username
        problems += [f"[{username}] {p}" for p in _problems(pages, demo)]
    problems += [f"[portal] {p}" for p in _problems(crawl(Client(), "/p/", limit=40))]
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} English texts or codes on Chinese pages:\n" + "\n".join(unique[:300])
