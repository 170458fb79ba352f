from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from xinli.archives import selectors as person_selectors
from xinli.core.policy import REGIONS_VIEW
from xinli.core.scoping import has_capability

from . import selectors
from .models import OrgUnit


@login_required
def browser(request, pk=None):
    """Org-unit browser: the user's units, or one unit with its children (children load with htmx)."""
    user = request.user
    if not has_capability(user, REGIONS_VIEW):
        raise Http404
    q = request.GET.get("q", "").strip()
    if pk is None:
        unit, units = None, list(selectors.search_units(user, q)[:100]) if q else list(selectors.top_units(user))
    else:
        try:
            unit = selectors.get_unit(user, pk)
        except OrgUnit.DoesNotExist:
            raise Http404 from None
        units = list(selectors.children(user, unit))
    template = "regions/_children.html" if request.htmx and request.GET.get("partial") else "regions/browser.html"
    context = {"unit": unit, "units": units, "q": q,
               "ancestors": selectors.ancestors(unit) if unit else [],
               "person_count": person_selectors.search_persons(user, org_unit=unit).count() if unit else None}
    return render(request, template, context)
