"""Ids and years that are not plain ASCII numbers — Unicode digits ('²' is a digit to ``str.isdigit()`` but not to
``int()``; ``int('٣')`` is 3), 20-digit numbers that overflow a bigint — answer 400/404 on every route, never a 500:
every DRF detail route (enumerated from the router), every HTML route with an int parameter (enumerated from the URL
conf), and the query/form parameters that carry ids or years. API answers are JSON."""

from __future__ import annotations

import re

import hypothesis
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import strategies as st

from xinli.core.ids import parse_id, parse_int, parse_year
from xinli.core.policy import GRANTS, Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

BAD = ["²", "٣", "１２", "𝟙", "99999999999999999999", "-1"]


@pytest.mark.parametrize("value", [*BAD, "", " ", "1e3", "0x1", None])
def test_the_id_parser_takes_ascii_digits_only(value):
    assert parse_id(value) is None
    assert parse_year(value) is None


def test_the_id_parser_reads_plain_numbers():
    assert (parse_id("42"), parse_id(" 7 "), parse_id(3), parse_id("9" * 18)) == (42, 7, 3, int("9" * 18))
    assert (parse_year("2025"), parse_year("202"), parse_year("٢٠٢٥")) == (2025, None, None)


@pytest.fixture
def prober(tree):
    """A user holding every role over the whole province (but the administrators', which no account may hold with a
    person-data role): each route reaches its lookup, not a 403."""
    from xinli.regions.departments import ensure_defaults
    from xinli.regions.models import Department

    ensure_defaults()
    civil = Department.objects.get(code="civil_affairs")  # department staff need their department; the others drop it
    return make_user("prober", [(tree.province, role, civil) for role in Role if not GRANTS[role].administrator])


def _api_detail_paths():
    from xinli.api_urls import router

    for pattern in router.urls:
        regex = pattern.pattern.regex.pattern
        if "(?P<pk>" not in regex or "(?P<format>" in regex:
            continue
        yield regex


def _html_int_paths(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("api/"):
                yield from _html_int_paths(entry, route)
        elif isinstance(entry, URLPattern) and "<int:" in route:
            yield route


def _answer_ok(response, api: bool):
    assert response.status_code in (400, 403, 404, 405), (response.status_code, response.content[:300])
    if api:
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]


@pytest.mark.parametrize("bad", BAD)
def test_every_api_detail_route_answers_json_4xx_to_a_bad_id(prober, bad):
    from xinli.accounts.services import issue_token

    key, _token = issue_token(prober)
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    regexes = list(_api_detail_paths())
    assert len(regexes) > 30, regexes
    for regex in regexes:
        path = "/api/v1/" + re.sub(r"\(\?P<pk>[^)]*\)", bad, regex).lstrip("^").rstrip("$")
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(path, data={} if method == "get" else "{}", content_type=None if method == "get" else "application/json", **headers)
            assert response.status_code != 500, (method, path)
            _answer_ok(response, api=True)


@pytest.mark.parametrize("bad", BAD)
def test_every_html_route_with_an_id_answers_4xx_to_a_bad_id(prober, bad):
    client = Client(raise_request_exception=False)
    login_verified(client, prober)
    routes = list(_html_int_paths())
    assert len(routes) > 20, routes
    for route in routes:
        path = "/" + re.sub(r"<int:\w+>", bad, route)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code != 500, (method, path)
            _answer_ok(response, api=False)


API_QUERIES = [("/api/v1/assessments/", "person"), ("/api/v1/consents/", "person"), ("/api/v1/alerts/", "person"),
               ("/api/v1/persons/", "org_unit"), ("/api/v1/hotline/calls/", "line"), ("/api/v1/persons/", "page"), ("/api/v1/org-units/", "parent"),
               ("/api/v1/smd/indicators/{unit}/", "year"), ("/api/v1/network/coverage/{unit}/", "year")]
HTML_QUERIES = [("/indicators/", "year"), ("/smd/indicators/", "year"), ("/public/evaluations/", "year"),
                ("/persons/", "org_unit"), ("/audit/", "person"), ("/p/sites/", "unit"), ("/persons/", "page")]


@pytest.mark.parametrize("bad", BAD)
def test_id_and_year_query_parameters_answer_4xx_or_are_ignored(prober, tree, bad):
    from xinli.accounts.services import issue_token

    key, _token = issue_token(prober)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    for path, name in API_QUERIES:
        response = api.get(path.format(unit=tree.county_a.pk), {name: bad})
        assert response.status_code == 400, (path, name, response.status_code, response.content[:300])
        body = response.json()
        assert name in body or name in str(body), body  # the message names the parameter
    pages = Client(raise_request_exception=False)
    login_verified(pages, prober)
    for path, name in HTML_QUERIES:
        response = pages.get(path, {name: bad})
        assert response.status_code in (200, 400, 404), (path, name, response.status_code)
    response = pages.post("/reports/", {"org": tree.county_a.code, "year": bad})
    assert response.status_code in (200, 302, 400), response.status_code
    from xinli.reports.models import Report

    assert not Report.objects.exists()


@pytest.mark.parametrize("bad", ["²", "٣", "１"])
def test_a_unicode_digit_is_not_a_questionnaire_answer(bad):
    from xinli.scales.engine import ScoringError, score

    with pytest.raises(ScoringError) as caught:
        score("phq9", [bad] + [0] * 8)
    assert caught.value.field == "1"  # names the item
    assert score("phq9", ["1"] + [0] * 8).total == 1


def test_a_unicode_digit_answer_on_the_assessment_page_is_refused_not_a_crash(personas, people):
    client = Client(raise_request_exception=False)
    login_verified(client, personas.counsellor)
    data = {"scale": "phq9", **{f"item_{i}": "0" for i in range(1, 10)}, "item_1": "²"}
    response = client.post(f"/persons/{people.in_a1v1.pk}/assess/", data)
    assert response.status_code == 400, response.status_code  # the form again, with the error
    assert "²" in response.content.decode()
    from xinli.screening.models import Assessment

    assert not Assessment.objects.exists()


def test_unicode_digits_in_counts_and_codes_are_refused():
    from xinli.archives.validation import check_id_number
    from xinli.indicators.incidents import _count
    from xinli.testing.fixtures import id_number

    assert _count("²") is None and _count("٣") is None and _count("3") == 3
    good = id_number("19800101", 111)
    with pytest.raises(ValidationError):
        check_id_number(good[:5] + "٣" + good[6:])


@hypothesis.settings(max_examples=200, deadline=None, database=None)
@hypothesis.given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=25))
def test_only_short_ascii_digit_strings_are_ids(text):
    expected = int(text) if text.isascii() and len(text) <= 18 else None
    assert parse_id(text) == expected
    assert parse_int(text) == expected and parse_int("-" + text) == (None if expected is None else -expected)


@pytest.mark.parametrize("bad", ["²", "٣"])
def test_a_unicode_digit_in_a_posted_number_is_a_form_error_not_a_crash(tree, personas, bad):
    import datetime

    from django.utils import timezone

    from xinli.counselling.models import Slot
    from xinli.network import services as network

    officer = make_user("officer", [(tree.county_a, Role.HEALTH_OFFICER)])
    site = network.create_site(officer, org_unit=tree.a1v1, name="太平角心理咨询室", kind="village_room",
                               opened_on=datetime.date(2024, 1, 1), hours="")
    client = Client(raise_request_exception=False)
    login_verified(client, personas.counsellor)
    starts = (timezone.localtime() + datetime.timedelta(days=2)).replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/counselling/", {"do": "slots", "site": site.pk, "starts_at": starts, "minutes": bad})
    assert response.status_code in (200, 302), response.status_code
    assert not Slot.objects.exists()
