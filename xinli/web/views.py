"""Multi-domain staff pages: they read the archive, the org tree and the user's assignments together."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from xinli.archives import selectors as person_selectors
from xinli.core.policy import ARCHIVES_VIEW
from xinli.core.scoping import has_capability
from xinli.regions import selectors as unit_selectors


@login_required
def home(request):
    user = request.user
    if hasattr(user, "resident_account"):  # a resident's portal account is not a staff account
        return redirect("portal:account")
    return render(request, "home.html", {
        "units": unit_selectors.top_units(user),
        "assignments": user.active_assignments(),
        "person_count": person_selectors.count_visible(user) if has_capability(user, ARCHIVES_VIEW) else None,
    })
