"""Business settings shared by the team (business name, currency, your name)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.money import (
    BUSINESS_TARGET,
    EVERY_MONTH,
    RATES_SETTING,
    TARGETS_SETTING,
    ExchangeRate,
    SalesTarget,
    cents_to_decimal,
    check_currency,
    parse_amount,
    parse_rate,
)
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.persistence.models import Setting
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, assign, now

DEFAULTS: dict[str, Any] = {"business_name": "", "currency": DEFAULT_CURRENCY}


def _parse_month(text: str) -> tuple[int, int]:
    """`domain.reports.parse_month`, imported when a monthly target is read or set: the
    window reads settings as it opens, and the reports' records are not needed for that."""
    from crm_desktop.domain.reports import parse_month

    return parse_month(text)


def read_setting(uow: UnitOfWork, key: str, default: Any = None) -> Any:
    """A business setting's value (JSON-decoded) in an open unit of work."""
    row = uow.repository(Setting).get(key)
    if row is None:
        return default
    try:
        return json.loads(row.value)
    except ValueError:
        return default


def write_setting(uow: UnitOfWork, key: str, value: Any) -> None:
    """Store a business setting (JSON) in an open unit of work, bringing a deleted one back."""
    repo = uow.repository(Setting)
    row = repo.get(key, include_deleted=True)
    text = json.dumps(value, ensure_ascii=False)
    if row is None:
        repo.add(Setting(id=key, value=text))
    else:
        assign(row, {"value": text, "deleted_at": None})


# ---- collections: one setting per item --------------------------------------------------------
# A value several people edit item by item (follow-up templates) is stored one row per item,
# keyed by the collection's prefix and the item's stable id: the change log merges rows field
# by field, so two people editing two different items keep both edits (one JSON value for the
# whole collection would keep only the later one). A removed item is a deleted row.

_KEY_LENGTH = 36  # the length of a setting's key (every synced row's id)
_ITEM_KEYS = uuid.UUID("6f1d3c64-2f4b-4f0e-9a55-0c0b7f1b5e21")  # names keys too long to use


def item_key(prefix: str, item_id: str) -> str:
    """The setting key of one item: the prefix and the item's id, or, when that would be
    too long for a key, the prefix and a name-based UUID of the id (the same on every
    device, so two devices storing one item write one row)."""
    key = prefix + item_id
    if len(key) <= _KEY_LENGTH:
        return key
    return prefix + uuid.uuid5(_ITEM_KEYS, item_id).hex[: _KEY_LENGTH - len(prefix)]


def read_items(uow: UnitOfWork, prefix: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The live items of a collection (JSON objects with an "id"), by key, and the ids
    of every item ever stored, removed ones included."""
    live: list[dict[str, Any]] = []
    known: set[str] = set()
    for row in uow.settings.items(prefix):
        try:
            item = json.loads(row.value)
        except ValueError:
            continue
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        known.add(item["id"])
        if row.deleted_at is None:
            live.append(item)
    return live, known


def write_item(uow: UnitOfWork, prefix: str, item: Mapping[str, Any]) -> None:
    """Store one item of a collection (a JSON object with its "id")."""
    write_setting(uow, item_key(prefix, str(item["id"])), dict(item))


def remove_item(uow: UnitOfWork, prefix: str, item: Mapping[str, Any]) -> None:
    """Remove one item of a collection: its row is deleted (and the deletion synced); an
    item never stored as a row (one from a default) gets a deleted row."""
    repo = uow.repository(Setting)
    key = item_key(prefix, str(item["id"]))
    row = repo.get(key, include_deleted=True)
    if row is None:
        text = json.dumps(dict(item), ensure_ascii=False)
        repo.add(Setting(id=key, value=text, deleted_at=now()))
    elif row.deleted_at is None:
        row.deleted_at = now()


class SettingsService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def get(self, key: str) -> Any:
        with self._uow.read() as uow:
            return read_setting(uow, key, DEFAULTS.get(key))

    def set(self, key: str, value: Any) -> None:
        with self._uow() as uow:
            write_setting(uow, key, value)
            uow.commit()

    # ---- exchange rates and targets (the reports read them) ---------------------------------

    def exchange_rates(self) -> list[ExchangeRate]:
        """The owner's rates into the business currency, by currency and month."""
        stored = self.get(RATES_SETTING) or {}
        rates = []
        for currency, months in sorted(stored.items() if isinstance(stored, dict) else []):
            for month, text in sorted(months.items() if isinstance(months, dict) else []):
                try:
                    rates.append(ExchangeRate(currency, month, parse_rate(text)))
                except ValidationError:
                    continue
        return rates

    def set_exchange_rates(self, rates: Sequence[tuple[str, str, str | Decimal]]) -> None:
        """Replace every rate with these (currency, "YYYY-MM", rate as typed); all are
        checked before any is stored."""
        base = self.get("currency") or DEFAULT_CURRENCY
        table: dict[str, dict[str, str]] = {}
        for currency, month, rate in rates:
            code = check_currency(currency)
            if code == base:
                raise ValidationError(f"{code} is the business currency: it needs no rate")
            year, number = _parse_month(month)
            key = f"{year:04d}-{number:02d}"
            if key in table.get(code, {}):
                raise ValidationError(f"two rates for {code} in {key}")
            table.setdefault(code, {})[key] = str(parse_rate(rate))
        self.set(RATES_SETTING, table)

    def set_exchange_rate(self, currency: str, month: str, rate: str | Decimal | None) -> None:
        """Set (or, with None, remove) one rate, keeping the others."""
        code = check_currency(currency)
        year, number = _parse_month(month)
        key = f"{year:04d}-{number:02d}"
        kept = [
            (r.currency, r.month, r.rate)
            for r in self.exchange_rates()
            if (r.currency, r.month) != (code, key)
        ]
        self.set_exchange_rates([*kept, *([(code, key, rate)] if rate is not None else [])])

    def targets(self) -> list[SalesTarget]:
        """Targets of won value per salesperson (user id) and for the business, per
        month or for every month ("*")."""
        stored = self.get(TARGETS_SETTING) or {}
        result = []
        for who, months in sorted(stored.items() if isinstance(stored, dict) else []):
            for month, text in sorted(months.items() if isinstance(months, dict) else []):
                try:
                    result.append(SalesTarget(who, month, parse_amount(text)))
                except ValidationError:
                    continue
        return result

    def set_targets(self, targets: Sequence[tuple[str, str | None, str | int]]) -> None:
        """Replace every target with these (user id or "business", "YYYY-MM" or None for
        every month, amount as typed or in cents); all are checked before any is stored."""
        users = _users(self._uow)
        table: dict[str, dict[str, str]] = {}
        for who, month, amount in targets:
            if who != BUSINESS_TARGET and who not in users:
                raise ValidationError(f"no salesperson with id {who!r}")
            key = EVERY_MONTH
            if month:
                year, number = _parse_month(month)
                key = f"{year:04d}-{number:02d}"
            cents = amount if isinstance(amount, int) else parse_amount(amount)
            if key in table.get(who, {}):
                raise ValidationError("two targets for one salesperson and month")
            table.setdefault(who, {})[key] = str(cents_to_decimal(cents))
        self.set(TARGETS_SETTING, table)

    def is_first_run(self) -> bool:
        """True until the first-run wizard (or demo data) has named the business."""
        return not self.get("business_name")


def _users(factory: UowFactory) -> set[str]:
    """The ids of every user."""
    with factory.read() as uow:
        return {u.id for u in uow.users.all()}
