"""Checks on archive fields: resident ID number (GB 11643), phone, consent rules."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric

from xinli.core.i18n import bilingual, field_error

from .normalize import normalize_id_number, normalize_phone

GUARDIAN_CONSENT_AGE = 14  # PIPL art. 31


_PLACES: dict[str, bool] = {}  # address code (first 6 characters) -> in the GB/T 2260 list (a bulk import asks often)


def _known_place(number: str) -> bool:
    code = number[:6]
    if code not in _PLACES:
        try:
            ric.get_birth_place(number)
            _PLACES[code] = True
        except (stdnum_exc.InvalidComponent, KeyError):  # stdnum raises KeyError for a province-only match
            _PLACES[code] = False
    return _PLACES[code]


@dataclass
class IdNumberInfo:
    number: str
    birth_date: datetime.date
    sex: str
    warnings: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=4096)
def _historical_code(code: str) -> str:
    """The warning for an address code missing from the division list (one per code: a bulk import of one county
    would otherwise render the same message for every row)."""
    return bilingual(_("Resident ID number: address code {code} is not in the current division list; accepted as a historical code."), code=code)


def check_id_number(value: str, field_name: str = "id_number", *, today: datetime.date | None = None) -> IdNumberInfo:
    """Validate a resident ID number. Wrong length, format, check character or an impossible birth date is
    rejected; an address code missing from the GB/T 2260 list (historical) is accepted with a warning."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise field_error(field_name, _("Resident ID number: must have 18 characters; check for missing or extra digits."))
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise field_error(field_name, _("Resident ID number: only digits, and X as the last character; remove other characters."))
    if number[-1] != ric.calc_check_digit(number):
        raise field_error(field_name, _("Resident ID number: wrong check character (last character); check the number again."))
    try:
        birth = ric.get_birth_date(number)
    except stdnum_exc.InvalidComponent:
        raise field_error(field_name, _("Resident ID number: characters 7–14 are not a real date; check the birth date part.")) from None
    if birth > (today or timezone.localdate()) or birth.year < 1900:
        raise field_error(field_name, _("Resident ID number: the birth date is in the future or before 1900; check the number."))
    warnings = []
    if not _known_place(number):
        warnings.append(_historical_code(number[:6]))
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number, birth, sex, warnings)


PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")


def check_phone(value: str, field_name: str = "phone") -> str:
    phone = normalize_phone(value)
    if not PHONE_RE.match(phone):
        raise field_error(field_name, _("Phone: not a valid number; use an 11-digit mobile number or a landline with area code."))
    return phone


MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def check_mobile(value: str, field_name: str = "phone") -> str:
    """A mainland mobile number (11 digits, 1[3-9]…; spaces, dashes and +86 are dropped): where the number must take
    a text message or a call on the move, such as a portal booking."""
    phone = normalize_phone(value)
    if not MOBILE_RE.match(phone):
        raise field_error(field_name, _("Phone: not a mobile number; enter the 11 digits of a mainland mobile number, e.g. 13912345678."))
    return phone
