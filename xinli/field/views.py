"""The security administrator's page of a user's field devices (under /accounts/security/): the list and revoking
one. No person data here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xinli.accounts.selectors import managed_user
from xinli.core.forms import form_pk
from xinli.core.i18n import bilingual
from xinli.core.policy import SECURITY_MANAGE
from xinli.core.scoping import has_capability

from . import selectors, services


@login_required
def devices_view(request):
    """``?user=<username>``: that user's field devices; POST ``device`` revokes one (its next call is told to wipe)."""
    actor = request.user
    if not has_capability(actor, SECURITY_MANAGE):
        raise Http404
    target = managed_user(actor, request.GET.get("user", ""))
    if target is None:
        raise Http404
    if request.method == "POST":
        device = selectors.devices_of(target).filter(pk=form_pk(request.POST.get("device"))).first()
        if device is None:
            raise Http404
        try:
            services.revoke_device(actor, device)
            messages.success(request, bilingual(_("Device revoked: its data are erased at its next connection.")))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied:
            raise Http404 from None
        return redirect(reverse("field_devices") + "?user=" + target.username)
    return render(request, "field/devices.html", {"target": target, "devices": selectors.devices_of(target)[:200]})
