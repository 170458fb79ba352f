"""The transfers page (``/transfers/``): residents who moved into (incoming) or out of (outgoing) the user's area, what
arrives with each, and — for the receiving unit's doctor or worker — accept or return with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from xinli.core.forms import BilingualForm
from xinli.core.i18n import bilingual
from xinli.core.listing import list_rows
from xinli.core.scoping import has_capability

from . import selectors, transfers
from .models import Transfer, TransferItem


class ReturnForm(BilingualForm):
    reason = forms.CharField(label=_("reason for returning"), max_length=transfers.REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("For example: the person was not found at the address."))


def _may_see(user) -> bool:
    return any(has_capability(user, c) for c in transfers.capabilities())


def _with_items(rows):
    items = {}
    for item in TransferItem.objects.filter(transfer__in=[t.pk for t in rows]).exclude(status=TransferItem.Status.CANCELLED):
        items.setdefault(item.transfer_id, []).append(item)
    for t in rows:
        t.shown_items = [(transfers.item_label(i), i) for i in items.get(t.pk, [])]
    return rows


@login_required
def transfer_list(request):
    user = request.user
    if not _may_see(user):
        raise Http404
    shown = "outgoing" if request.GET.get("show") == "outgoing" else "incoming"
    qs = transfers.outgoing(user) if shown == "outgoing" else transfers.incoming(user)
    status = request.GET.get("status", "pending")
    if status == "pending":
        qs = qs.filter(status=Transfer.Status.PENDING)
    page = list_rows(request, qs.order_by("accept_by", "pk") if status == "pending" else qs, per_page=20,
                     purpose="transfer")
    _with_items(page.object_list)
    return render(request, "archives/transfer_list.html", {"page": page, "shown": shown, "status": status})


@login_required
def transfer_detail(request, pk):
    user = request.user
    if not _may_see(user):
        raise Http404
    try:
        transfer = transfers.get_transfer(user, pk)
    except Transfer.DoesNotExist:
        raise Http404 from None
    form = ReturnForm(request.POST if request.method == "POST" and request.POST.get("action") == "return" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "accept":
                transfers.accept(user, transfer)
                messages.success(request, bilingual(_("Transfer accepted: the records are now your unit's.")))
                return redirect("transfer_detail", pk=transfer.pk)
            if request.POST.get("action") == "return" and form.is_valid():
                transfers.return_transfer(user, transfer, reason=form.cleaned_data["reason"])
                messages.success(request, bilingual(_("Transfer returned to the sending unit with your reason.")))
                return redirect("transfer_detail", pk=transfer.pk)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_error(exc)
    _with_items([transfer])
    decidable = transfer.status == Transfer.Status.PENDING and any(
        i.status == TransferItem.Status.PENDING and transfers.may_decide(user, i) for _l, i in transfer.shown_items)
    # The name opens the archive when the reader may open it (after acceptance the receiving side always may).
    person_visible = selectors.visible_persons(user).filter(pk=transfer.person_id).exists()
    return render(request, "archives/transfer_detail.html", {"t": transfer, "form": form, "decidable": decidable,
                                                             "person_visible": person_visible},
                  status=400 if form.errors else 200)
