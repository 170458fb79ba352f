"""Crawl the pages a signed-in user can reach and read their visible text, for tests that check every page.

Breadth-first from a start page over same-site links (``href`` and htmx ``hx-get``), GET only, one visit per page
*type* (the path with its numbers replaced, plus the names of its query parameters) so that a list's first detail page
is read but not all of them, within a bound. What a person reads is the text outside ``<script>``/``<style>`` plus the
``title``, ``placeholder``, ``aria-label`` and ``alt`` attributes and the labels of input buttons; text inside
``<code>`` is literal on purpose (column names a file must have) and is left out."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlsplit

# Not pages, or pages that change state when fetched: never followed.
SKIP_PREFIXES = ("/api/", "/static/", "/media/", "/i18n/", "/jsi18n/", "/accounts/logout", "/healthz", "/admin/")
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
HIDDEN = ("script", "style", "template", "noscript")
LITERAL = ("code", "kbd", "samp")  # shown on purpose as typed: file column names, commands


@dataclass
class Page:
    url: str
    status: int
    texts: list[str] = field(default_factory=list)
    document: bool = True  # a whole page (False: an htmx fragment)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in HIDDEN or tag in LITERAL:
            self._hidden += 1
            return
        for name in ATTRIBUTES:
            if a.get(name):
                self.texts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
            self.texts.append(a["value"])
        for name in ("href", "hx-get"):
            if a.get(name):
                self.links.append(a[name])

    def handle_endtag(self, tag):
        if (tag in HIDDEN or tag in LITERAL) and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def read(html: str) -> tuple[list[str], list[str]]:
    """(visible texts, link targets) of an HTML document."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.texts, reader.links


def page_type(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def _followable(href: str) -> str | None:
    href, _ = urldefrag(href.strip())
    if not href.startswith("/") or href.startswith("//"):
        return None  # another site, tel:, mailto:, javascript:, a fragment of this page
    if any(href.startswith(p) for p in SKIP_PREFIXES):
        return None
    return href


def crawl(client, start: str = "/", *, limit: int = 80) -> list[Page]:
    """Visit up to ``limit`` page types reachable from ``start`` with ``client`` (logged in or not)."""
    queue, seen, pages = deque([start]), {page_type(start)}, []
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue  # a download (Excel, Word, PDF) or JSON
        html = response.content.decode()
        texts, links = read(html)
        pages.append(Page(url, response.status_code, texts, document="<html" in html[:500]))
        for href in links:
            target = _followable(href)
            if target is not None and page_type(target) not in seen:
                seen.add(page_type(target))
                queue.append(target)
    return pages


# An English sentence: two or more English words in a row. A code: snake_case, app:name, or a lowercase word.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ \t\n]+[A-Za-z][A-Za-z'’]+)+")
CODE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b|\b[a-z]+:[a-z_]+\b|\b[a-z][a-z0-9]{2,}\b")
# What may stay in Latin letters on a Chinese page: instrument abbreviations, the product's API, spreadsheet and file
# names, units. Codes ICD-10 (F20.0) and phone numbers never match the patterns above.
ALLOWED = {"PHQ", "GAD", "SCL", "EPDS", "SDS", "SAS", "PSQI", "K10", "AUDIT", "ISI", "PCL", "ICD", "API", "EARS", "CUSUM",
           "Excel", "Word", "PDF", "CSV", "FHIR", "OpenAPI", "TOTP", "EAP", "ID", "km", "kg", "cm", "min", "Xinli", "HL7",
           "LOINC", "SM3", "SM4", "HTTPS", "QR", "SMS", "CD"}
URLISH = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|/[\w/.\-]+|\b[\w/]+\.md\b")


def english_problems(text: str) -> list[str]:
    """English runs and raw codes in one visible text (empty when it reads as Chinese)."""
    text = URLISH.sub(" ", text)
    found = []
    for m in ENGLISH_RUN.finditer(text):
        words = re.findall(r"[A-Za-z'’]+", m.group())
        if sum(w not in ALLOWED for w in words) >= 2:
            found.append(m.group())
    for m in CODE.finditer(text):
        if m.group() not in ALLOWED and not any(m.group() in f for f in found):
            found.append(m.group())
    return found
