"""Phone numbers in E.164 (+4930123456), given a default country for local numbers."""

from __future__ import annotations

import phonenumbers

from crm_desktop.domain.errors import ValidationError


def to_e164(number: str, default_country: str = "DE") -> str | None:
    """The E.164 form of a number, or None if it cannot be a phone number."""
    text = number.strip()
    if not text:
        return None
    try:
        parsed = phonenumbers.parse(text, default_country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalized(number: str, default_country: str = "DE") -> str:
    """E.164 for a valid number; a clear error for one that cannot be dialled."""
    e164 = to_e164(number, default_country)
    if e164 is None:
        raise ValidationError(f"not a phone number: {number!r}")
    return e164


class PhoneService:
    """Phone rules with this install's default country (Preferences.default_country)."""

    def __init__(self, default_country: str) -> None:
        self.default_country = default_country

    def normalized(self, number: str) -> str:
        """E.164 for a number typed here; ValidationError if it cannot be dialled."""
        return normalized(number, self.default_country)


def display_phone(number: str, default_country: str = "") -> str:
    """A number as the app shows it: international groups ("+49 30 1234567") for one that
    parses, as typed otherwise (an extension, a short code)."""
    text = number.strip()
    try:
        parsed = phonenumbers.parse(text, default_country.upper() or None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
