"""What making demo data did."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSummary:
    users: int
    companies: int
    contacts: int
    deals: int
    activities: int
    orders: int
