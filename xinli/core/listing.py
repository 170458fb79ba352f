"""Lists of scoped rows are read-audited by construction.

A model whose rows name residents declares, beside its scope (its ``org_path``), which attribute leads from a row to
the person and the purpose of the read::

    class Case(models.Model):
        person = models.ForeignKey("archives.Person", ...)
        org_path = ...
        listed_persons = ListedPersons("person", purpose="counselling")

Every list then goes through one of two doors, both of which call the declaration's hook: the API pagination
(``xinli.core.api.Pagination``) and, for HTML pages, ``list_rows`` below. So a list that shows person rows writes one
``search`` audit entry per person shown without its view having to remember it (docs/security.md, "List reads").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, init=False)
class ListedPersons:
    """Where the persons are in a row: attribute paths from the row to an ``archives.Person`` (``""`` for a Person row
    itself, ``"patient.person"`` through a patient, ``"affected.person"`` through a related manager: every related row
    counts). Several paths: every person found on any of them."""

    paths: tuple[str, ...]
    purpose: str

    def __init__(self, *paths: str, purpose: str = ""):
        object.__setattr__(self, "paths", paths or ("",))
        object.__setattr__(self, "purpose", purpose)

    def persons(self, rows: Iterable) -> list:
        """The distinct persons named by ``rows``, in order of appearance (one query per relation, not per row)."""
        from django.db.models import prefetch_related_objects

        rows = list(rows)
        lookups = [p.replace(".", "__") for p in self.paths if p]
        if rows and lookups:
            prefetch_related_objects(rows, *lookups)
        seen, out = set(), []
        for row in rows:
            for path in self.paths:
                for person in _follow(row, path):
                    if person.pk not in seen:
                        seen.add(person.pk)
                        out.append(person)
        return out

    def record(self, user, rows: Iterable, *, purpose: str = "") -> None:
        from . import audit

        audit.record_person_reads(user, self.persons(rows), action=audit.Action.SEARCH, purpose=purpose or self.purpose)


def _follow(obj, path: str) -> list:
    values = [obj]
    for part in path.split(".") if path else []:
        nxt = []
        for value in values:
            target = getattr(value, part, None)
            if target is None:
                continue
            if hasattr(target, "all") and callable(target.all):  # a related manager: every related row
                nxt.extend(target.all())
            else:
                nxt.append(target)
        values = nxt
    return values


def listed_persons_of(model) -> ListedPersons | None:
    return getattr(model, "listed_persons", None) if model is not None else None


def audit_rows(user, model, rows, *, purpose: str = "") -> None:
    """The hook: audit the persons ``rows`` (of ``model``) show to ``user``, as the model declares; nothing for a
    model whose rows name nobody."""
    listed = listed_persons_of(model)
    if listed is not None and rows:
        listed.record(user, rows, purpose=purpose)


def list_rows(request, rows, *, per_page: int | None = None, limit: int | None = None, model=None, purpose: str = ""):
    """The one HTML list helper: the rows a page shows, with their persons audited.

    ``per_page``: a ``Page`` of ``rows`` (``?page=``); ``limit``: the first ``limit`` rows as a list; neither: every
    row as a list. ``model`` defaults to the queryset's."""
    from django.core.paginator import Paginator

    model = model or getattr(rows, "model", None)
    if per_page:
        page = Paginator(rows, per_page).get_page(request.GET.get("page"))
        audit_rows(request.user, model, page.object_list, purpose=purpose)
        return page
    shown = list(rows[:limit] if limit is not None else rows)
    audit_rows(request.user, model, shown, purpose=purpose)
    return shown
