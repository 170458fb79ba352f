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


# --- to another city running the platform (citytransfer) ------------------------------------------------------------

MAX_UPLOAD = 20 * 1024 * 1024


class CityKeyField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=_("transfer key"), max_length=64, strip=True, widget=forms.PasswordInput(render_value=False),
                         help_text=_("The key agreed with the other city (base64 of 16 bytes); it is used for this request "
                                     "only and never stored."), **kwargs)

    def clean(self, value):
        """The key's own problems (not base64, not 16 bytes, one of the data keys) on the key field, in words the
        reader knows (the container speaks of a backup key)."""
        from xinli.core.archive.container import ArchiveError, key_from_text

        value = super().clean(value)
        try:
            key_from_text(value)
        except ArchiveError:
            raise forms.ValidationError(bilingual(_(
                "Transfer key: not a valid key; enter the 24-character key text agreed with the other city exactly "
                "(letters are case-sensitive)."))) from None
        return value


class CityExportForm(BilingualForm):
    to = forms.CharField(label=_("receiving city"), max_length=60,
                         help_text=_("The name or code of the city the resident moves to; it is written into the package."))
    key = CityKeyField()


class CityImportForm(BilingualForm):
    package = forms.FileField(label=_("transfer package"))
    unit = forms.CharField(label=_("receiving unit code"), max_length=12, min_length=12,
                           help_text=_("The 12-digit code of the village, community or township the resident moves to."))
    key = CityKeyField()


class CityCloseForm(BilingualForm):
    package = forms.FileField(label=_("transfer package"), help_text=_("The package file this city sent."))
    receipt = forms.FileField(label=_("receipt"), help_text=_("The receipt file the receiving city sent back."))
    key = CityKeyField()


def _in_language(message: str) -> str:
    """An archive error (\"中文 / English\") in the reader's language."""
    from django.utils.translation import get_language

    zh, _sep, en = str(message).partition(" / ")
    return zh if (get_language() or "").startswith("zh") or not en else en


def _read(upload) -> bytes:
    if upload.size > MAX_UPLOAD:
        from xinli.core.archive.container import ArchiveError

        raise ArchiveError("文件过大 / the file is too large")
    return upload.read()


def _may_city(user) -> bool:
    from xinli.core.policy import ARCHIVES_EDIT, SMD_FOLLOWUP

    return has_capability(user, ARCHIVES_EDIT) or has_capability(user, SMD_FOLLOWUP)


def _download(data: bytes, name: str, content_type: str):
    from django.http import HttpResponse

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def city_export(request, pk):
    """迁往外市: the encrypted package of one resident's managed records, downloaded by an SMD doctor (or, when no SMD
    entry travels, an area worker with ``archives.edit``) over the person. Audited as an export."""
    from xinli.core.archive.container import ArchiveError, key_from_text

    from . import citytransfer
    from .models import Person

    user = request.user
    person = Person.objects.filter(pk=pk).select_related("org_unit").first()
    if person is None or not citytransfer.may_send(user, person):
        raise Http404
    form = CityExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key = key_from_text(form.cleaned_data["key"])
            data, digest = citytransfer.export_package(user, person, key, to=form.cleaned_data["to"])
            return _download(data, f"transfer-{person.pk}-{digest[:12]}.xlt", "application/octet-stream")
        except ArchiveError as exc:
            form.add_error(None, _in_language(exc))
        except PermissionDenied:
            raise Http404 from None
    from xinli.core import audit

    audit.record(user, audit.Action.READ, obj=person, person=person, org_path=person.org_path, purpose="transfer")
    kinds = [transfers.HOLDERS[k].name for k in citytransfer.packed(person)]
    return render(request, "archives/city_export.html", {"person": person, "form": form, "kinds": kinds},
                  status=400 if form.errors else 200)


@login_required
def city_transfers(request):
    """迁入（外市）and closing on a receipt: import a package from another city into a unit here (the receipt is
    downloaded), or, at the sending city, close a resident's records as moved out with the receipt that came back."""
    from xinli.core.archive.container import ArchiveError, key_from_text
    from xinli.regions.models import OrgUnit

    from . import citytransfer

    user = request.user
    if not _may_city(user):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else ""
    import_form = CityImportForm(request.POST, request.FILES, prefix="in") if action == "import" else CityImportForm(prefix="in")
    close_form = CityCloseForm(request.POST, request.FILES, prefix="close") if action == "close" else CityCloseForm(prefix="close")
    closed = None
    try:
        if action == "import" and import_form.is_valid():
            unit = OrgUnit.objects.filter(code=import_form.cleaned_data["unit"]).first()
            if unit is None or not citytransfer.may_receive(user, unit):
                import_form.add_error("unit", bilingual(_("Receiving unit: not found in your area; give the code of a unit "
                                                          "you are responsible for.")))
            else:
                key = key_from_text(import_form.cleaned_data["key"])
                data = _read(import_form.cleaned_data["package"])
                _person, receipt, _counts = citytransfer.import_package(user, data, key, unit=unit)
                from xinli.core.crypto import sm3_hex

                return _download(receipt, f"receipt-{sm3_hex(data)[:12]}.json", "application/json")
        if action == "close" and close_form.is_valid():
            key = key_from_text(close_form.cleaned_data["key"])
            person, counts = citytransfer.close_with_receipt(user, _read(close_form.cleaned_data["package"]),
                                                             _read(close_form.cleaned_data["receipt"]), key)
            closed = {"person": person, "kinds": [transfers.HOLDERS[k].name for k in counts if k in transfers.HOLDERS]}
    except ArchiveError as exc:
        (import_form if action == "import" else close_form).add_error(None, _in_language(exc))
    except ValidationError as exc:
        (import_form if action == "import" else close_form).add_service_error(exc)
    except PermissionDenied:
        (import_form if action == "import" else close_form).add_error(None, bilingual(_(
            "You may not do this for that resident or unit: it needs the severe mental disorder follow-up or archive "
            "editing role there.")))
    errors = import_form.errors or close_form.errors
    return render(request, "archives/city_transfers.html", {"import_form": import_form, "close_form": close_form,
                                                            "closed": closed}, status=400 if errors else 200)
