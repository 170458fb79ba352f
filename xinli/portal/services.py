"""Resident accounts on the portal: register, log in by phone, and withdraw consent — which deletes the kept
self-tests, cancels future bookings, scrubs names and phones from past ones, and closes the account (PIPL art. 15,
47). Everything is audited."""

from __future__ import annotations

import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinli.accounts.models import User
from xinli.archives.normalize import normalize_phone
from xinli.archives.validation import check_phone
from xinli.core import audit
from xinli.core.fields import blind_index
from xinli.core.i18n import field_error
from xinli.counselling.models import Booking
from xinli.screening.models import Assessment

from .models import ResidentAccount


def register(*, phone: str, password: str, consent: bool) -> ResidentAccount:
    if not consent:
        raise field_error("consent", _("Consent: an account keeps your bookings and self-tests; tick the box to agree, or use the portal without an account."))
    phone = check_phone(phone or "")
    user = User(username=f"r{secrets.token_hex(6)}", display_name=_("resident"))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            user.set_password(password)
            user.save()
            account = ResidentAccount.objects.create(user=user, phone=phone)
            audit.record(user, audit.Action.CREATE, obj=account, detail={"portal_account": True})
    except IntegrityError:
        raise field_error("phone", _("Phone: an account with this number exists; log in instead.")) from None
    return account


def authenticate_phone(request, phone: str, password: str):
    account = ResidentAccount.objects.filter(phone_bidx=blind_index("phone", phone or "", normalize_phone) or "-").select_related("user").first()
    if account is None or not account.user.is_active:
        return None
    return authenticate(request, username=account.user.username, password=password)


def delete_portal_data(user) -> dict:
    """Withdraw consent: everything the portal kept about this resident goes."""

    now = timezone.now()
    with transaction.atomic():
        tests = Assessment.objects.filter(administered_by=user, mode="self", person__isnull=True)
        n_tests = tests.count()
        tests.delete()
        future = Booking.objects.filter(account=user, state=Booking.State.BOOKED, slot__starts_at__gt=now)
        n_cancelled = future.update(state=Booking.State.CANCELLED)
        for b in Booking.objects.filter(account=user):
            b.name, b.phone, b.account = "—", "", None
            b.save(update_fields=["name", "phone", "account"])
        ResidentAccount.objects.filter(user=user).delete()
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
        audit.record(user, audit.Action.DELETE, obj=user, detail={"portal_data_deleted": True, "self_tests": n_tests, "cancelled": n_cancelled})
    return {"self_tests": n_tests, "cancelled": n_cancelled}
