"""What happened in a period, for automation rules: deals won, deals entering a stage,
orders placed (each with its contact), and the rules' earlier runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import Activity, Deal, DealStageHistory, Order, Stage


class AutomationQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def deals_won(self, start: dt.datetime, end: dt.datetime) -> list[Any]:
        """(deal id, contact id, closed at, title) of deals won in [start, end)."""
        return list(
            self.session.execute(
                select(Deal.id, Deal.contact_id, Deal.closed_at, Deal.title).where(
                    Deal.status == "won",
                    Deal.deleted_at.is_(None),
                    Deal.contact_id.is_not(None),
                    Deal.closed_at >= start,
                    Deal.closed_at < end,
                )
            )
        )

    def stage_entries(self, stage: str, start: dt.datetime, end: dt.datetime) -> list[Any]:
        """(history id, contact id, moved at, deal title, deal id) of deals that entered
        the stage (by id or name) in [start, end)."""
        return list(
            self.session.execute(
                select(
                    DealStageHistory.id,
                    Deal.contact_id,
                    DealStageHistory.moved_at,
                    Deal.title,
                    Deal.id,
                )
                .join(Deal, Deal.id == DealStageHistory.deal_id)
                .join(Stage, Stage.id == DealStageHistory.to_stage_id)
                .where(
                    or_(Stage.id == stage, func.lower(Stage.name) == func.lower(stage)),
                    Deal.deleted_at.is_(None),
                    Deal.contact_id.is_not(None),
                    DealStageHistory.deleted_at.is_(None),
                    DealStageHistory.moved_at >= start,
                    DealStageHistory.moved_at < end,
                )
            )
        )

    def orders(self, start: dt.date, end: dt.date) -> list[Any]:
        """(order id, contact id, ordered on, number) of orders placed in [start, end]."""
        return list(
            self.session.execute(
                select(Order.id, Order.contact_id, Order.ordered_on, Order.number).where(
                    Order.deleted_at.is_(None),
                    Order.contact_id.is_not(None),
                    Order.ordered_on >= start,
                    Order.ordered_on <= end,
                )
            )
        )

    def done_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these run keys are logged on a timeline already."""
        found: set[str] = set()
        items = list(keys)
        for start in range(0, len(items), 500):
            found.update(
                self.session.scalars(
                    select(Activity.ical_uid).where(
                        Activity.ical_uid.in_(items[start : start + 500]),
                        Activity.deleted_at.is_(None),
                    )
                )
            )
        return found
