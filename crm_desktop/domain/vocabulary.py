"""The words the application offers to choose from, defined once: activity kinds, lead
sources, currencies and the currency a new business starts with."""

from __future__ import annotations

# What an activity is; the order is the order of the editors' lists.
ACTIVITY_KINDS = ("call", "meeting", "task", "email", "note")

# Where a contact or a deal came from ("" is "not known").
LEAD_SOURCES = (
    "",
    "Website",
    "Referral",
    "Trade fair",
    "Cold call",
    "Newsletter",
    "LinkedIn",
    "Partner",
)

# The currencies offered for the business and for a deal (ISO 4217 codes).
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "PLN", "CZK", "JPY", "INR", "TRY")

# The business currency until one is chosen (first run, Settings).
DEFAULT_CURRENCY = "EUR"
