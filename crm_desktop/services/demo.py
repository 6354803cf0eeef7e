"""Realistic, deterministic demo data: the same seed and day give the same database.

Companies in several countries, people with international names (Müller, Núñez, Łukasz,
Yılmaz, Øvergaard...), deals spread over 18 months with won/lost history and stage moves,
activities past and future, orders and consents. Written through the bulk path of the unit
of work, so every row has its change records like any other.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from crm_desktop.domain.demo import DemoSummary
from crm_desktop.domain.errors import AlreadyDoneError
from crm_desktop.domain.records import AddressEntry, ContactDraft, EmailEntry, PhoneEntry, RoleEntry
from crm_desktop.domain.text import fold
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.persistence import records_map
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.persistence.models import (
    Activity,
    Campaign,
    Company,
    Consent,
    Deal,
    DealStageHistory,
    Order,
    Pipeline,
    Reason,
    Setting,
    Stage,
    User,
    uuid7,
)
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, assign
from crm_desktop.services.demo_data import (
    ACTIVITY,
    CAMPAIGNS,
    DEAL_WORDS,
    INDUSTRY,
    LOST,
    OUTCOMES,
    PARTNER_STAGES,
    PEOPLE,
    SOURCES,
    STAGES,
    SUFFIX,
    TAGS,
    TRADES,
    USERS,
    WON,
    WORDS,
)

DEMO_DOMAIN = "@example-business.com"  # the demo's users; how demo data is recognised


class DemoService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def generate(
        self, contacts: int = 500, seed: int = 1, today: dt.date | None = None
    ) -> DemoSummary:
        """Fill the database with demo data; the same seed and day give the same data.
        Refused (AlreadyDoneError) when the database has demo data already."""
        with self._uow.read() as uow:
            has_demo = any(u.email.endswith(DEMO_DOMAIN) for u in uow.users.all())
        if has_demo:
            raise AlreadyDoneError(
                "this database has demo data already; for another set, use a new data "
                "folder: crm-desktop --data-dir FOLDER demo"
            )
        with collector_paused():
            return _Generator(self._uow, contacts, seed, today or dt.date.today()).run()


class _Generator:
    def __init__(self, uow: UowFactory, contacts: int, seed: int, today: dt.date) -> None:
        self.uow = uow
        self.n = max(contacts, 1)
        self.rng = random.Random(seed)
        self.today = today
        self.now = dt.datetime.combine(today, dt.time(17, 0), tzinfo=dt.UTC)
        self.slip_times: dict[str, list[dt.datetime]] = {}
        self.start = self.now - dt.timedelta(days=548)
        self.id_base = int(self.start.timestamp() * 1000)
        self.counter = 0

    def id(self) -> str:
        # Time-ordered like the app's own ids, from the seeded generator: deterministic.
        self.counter += 1
        return uuid7(self.id_base + self.counter, self.rng.getrandbits(80))

    def moment(self, after: dt.datetime, before: dt.datetime) -> dt.datetime:
        span = max(int((before - after).total_seconds()), 1)
        moment = after + dt.timedelta(seconds=self.rng.randrange(span))
        # Business hours, so the calendar looks like a working week.
        return moment.replace(
            hour=self.rng.randint(8, 17),
            minute=self.rng.choice((0, 15, 30, 45)),
            second=0,
            microsecond=0,
        )

    def run(self) -> DemoSummary:
        # Each batch's WAL checkpoint runs in the background while the next is built.
        with self.uow() as uow:
            uow.checkpoint_in_background()
            users = self.users(uow)
            stages, reasons = self.pipelines(uow)
            self.campaign_rows = self.campaigns(uow)
            companies = self.companies(uow, users)
            uow.commit()
        people = self.people(companies, users)
        with self.uow() as uow:
            uow.checkpoint_in_background()
            deal_count, activities, orders = self.deals(uow, people, users, stages, reasons)
            activities += self.contact_activities(uow, people, users)
            orders += self.orders(uow, people)
            self.consents(uow, people)
            uow.commit()
        with self.uow() as uow:
            # The pushes of the slipping deals' close dates stand for edits made over the
            # last weeks, not today: a past month's report reads the log by these times.
            uow.restamp_edits("deals", "expected_close", self.slip_times)
            uow.commit()
        uow.wait_for_checkpoints()  # done means in the database file, as before
        return DemoSummary(len(users), len(companies), len(people), deal_count, activities, orders)

    def users(self, uow: UnitOfWork) -> list[str]:
        rows = [
            {
                "id": self.id(),
                "name": name,
                "email": f"{login}{DEMO_DOMAIN}",
                "created_at": self.start,
            }
            for name, login in USERS
        ]
        uow.insert_rows(User, rows)
        settings = uow.repository(Setting)
        uow.insert_rows(  # a business name or currency already chosen stays
            Setting,
            [
                row
                for row in (
                    {"id": "business_name", "value": '"Lindenhof Trading"'},
                    {"id": "currency", "value": f'"{DEFAULT_CURRENCY}"'},
                )
                if settings.get(str(row["id"])) is None
            ],
        )
        return [str(r["id"]) for r in rows]

    def pipelines(
        self, uow: UnitOfWork
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
        stages: dict[str, list[dict[str, Any]]] = {}
        for position, (name, spec) in enumerate(
            (("Sales", STAGES), ("Partnerships", PARTNER_STAGES))
        ):
            pipeline_id = self.id()
            uow.insert_rows(
                Pipeline,
                [{"id": pipeline_id, "name": name, "position": position, "created_at": self.start}],
            )
            rows = [
                {
                    "id": self.id(),
                    "pipeline_id": pipeline_id,
                    "name": s,
                    "position": i,
                    "probability": p,
                    "rotting_days": r,
                    "kind": k,
                    "created_at": self.start,
                }
                for i, (s, p, r, k) in enumerate(spec)
            ]
            uow.insert_rows(Stage, rows)
            stages[pipeline_id] = rows
        reasons = {"lost": [], "won": []}  # type: dict[str, list[str]]
        rows = []
        for kind, labels in (("lost", LOST), ("won", WON)):
            for i, label in enumerate(labels):
                reason_id = self.id()
                reasons[kind].append(reason_id)
                rows.append(
                    {
                        "id": reason_id,
                        "kind": kind,
                        "label": label,
                        "position": i,
                        "created_at": self.start,
                    }
                )
        uow.insert_rows(Reason, rows)
        return stages, reasons

    def campaigns(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        """Marketing campaigns spread over the period, each with its cost."""
        step = (self.now - self.start).days // len(CAMPAIGNS)
        rows = [
            {
                "id": self.id(),
                "name": name,
                "channel": channel,
                "status": "sent",
                "cost_cents": self.rng.choice((500, 800, 1200, 2500, 4000, 6000)) * 100,
                "started_on": (self.start + dt.timedelta(days=i * step + 10)).date(),
                "created_at": self.start + dt.timedelta(days=i * step),
            }
            for i, (name, channel) in enumerate(CAMPAIGNS)
        ]
        uow.insert_rows(Campaign, rows)
        return rows

    def campaign_for(self, day: dt.date) -> str | None:
        """Now and then, one of the three campaigns before `day` brought the sale."""
        if self.rng.random() >= 0.15:
            return None
        started = [c["id"] for c in self.campaign_rows if c["started_on"] <= day][-3:]
        return self.rng.choice(started) if started else None

    def companies(self, uow: UnitOfWork, users: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(max(3, self.n // 8)):
            _, _, country, cities, prefix, tld = self.rng.choice(PEOPLE)
            trade = self.rng.choice(TRADES)
            name = f"{self.rng.choice(WORDS)} {trade} {SUFFIX[country]}"
            while name in seen:
                name = (
                    f"{self.rng.choice(WORDS)}{self.rng.choice(WORDS).lower()} {trade} "
                    f"{SUFFIX[country]}"
                )
                if name in seen:
                    name = f"{name} {len(seen)}"
            seen.add(name)
            slug = fold(name.split(" ")[0]).replace(" ", "") + fold(trade)
            rows.append(
                {
                    "id": self.id(),
                    "name": name,
                    "domain": f"{slug}.{tld}",
                    "industry": INDUSTRY.get(trade, "Services"),
                    "phone": f"{prefix} {self.rng.randint(20, 99)} "
                    f"{self.rng.randint(100000, 9999999)}",
                    "website": f"https://www.{slug}.{tld}",
                    "city": self.rng.choice(cities),
                    "country": country,
                    "owner_id": self.rng.choice(users),
                    "lead_source": self.rng.choice(SOURCES),
                    "created_at": self.moment(self.start, self.now),
                    "tld": tld,
                    "prefix": prefix,
                }
            )
        uow.insert_rows(
            Company, [{k: v for k, v in r.items() if k not in ("tld", "prefix")} for r in rows]
        )
        return rows

    def people(self, companies: list[dict[str, Any]], users: list[str]) -> list[dict[str, Any]]:
        drafts: list[ContactDraft] = []
        created: list[dt.datetime] = []
        people: list[dict[str, Any]] = []
        for _ in range(self.n):
            firsts, lasts, country, cities, prefix, tld = self.rng.choice(PEOPLE)
            first, last = self.rng.choice(firsts), self.rng.choice(lasts)
            company = self.rng.choice(companies) if self.rng.random() < 0.85 else None
            domain = company["domain"] if company else f"mail.{tld}"
            local = fold(f"{first}.{last}").replace(" ", "").replace("'", "")
            emails = [EmailEntry(f"{local}{self.rng.randint(1, 999)}@{domain}")]
            if self.rng.random() < 0.2:
                emails.append(EmailEntry(f"{local}@private-mail.{tld}", "home"))
            phones = [
                PhoneEntry(
                    f"{prefix} {self.rng.randint(150, 179)} {self.rng.randint(1000000, 9999999)}",
                    "mobile",
                )
            ]
            city = company["city"] if company else self.rng.choice(cities)
            addresses = (
                (
                    AddressEntry(
                        f"{self.rng.choice(WORDS)}str. {self.rng.randint(1, 120)}",
                        city,
                        "",
                        f"{self.rng.randint(10000, 99999)}",
                        country,
                    ),
                )
                if self.rng.random() < 0.7
                else ()
            )
            roles = (
                (
                    RoleEntry(
                        company["id"],
                        self.rng.choice(
                            [
                                "Owner",
                                "Managing Director",
                                "Head of Purchasing",
                                "Office Manager",
                                "Sales Lead",
                                "Buyer",
                                "CFO",
                                "Operations",
                            ]
                        ),
                    ),
                )
                if company
                else ()
            )
            tags = tuple(self.rng.sample(TAGS, self.rng.choice((0, 0, 1, 1, 2))))
            owner = self.rng.choice(users)
            drafts.append(
                ContactDraft(
                    first_name=first,
                    last_name=last,
                    emails=tuple(emails),
                    phones=tuple(phones),
                    addresses=addresses,
                    roles=roles,
                    lead_source=self.rng.choice(SOURCES),
                    owner_id=owner,
                    tags=tags,
                    birthday=dt.date(
                        self.rng.randint(1955, 2000),
                        self.rng.randint(1, 12),
                        self.rng.randint(1, 28),
                    )
                    if self.rng.random() < 0.3
                    else None,
                )
            )
            created.append(self.moment(self.start, self.now))
            people.append(
                {
                    "company_id": company["id"] if company else None,
                    "owner": owner,
                    "created": created[-1],
                }
            )
        batch = 20_000
        for begin in range(0, len(drafts), batch):
            with self.uow() as uow:
                uow.checkpoint_in_background()
                ids = records_map.insert_contacts(
                    uow, drafts[begin : begin + batch], self.id, created[begin : begin + batch]
                )
                uow.commit()
            for offset, contact_id in enumerate(ids):
                people[begin + offset]["id"] = contact_id
        return people

    def deals(
        self,
        uow: UnitOfWork,
        people: list[dict[str, Any]],
        users: list[str],
        stages: dict[str, list[dict[str, Any]]],
        reasons: dict[str, list[str]],
    ) -> tuple[int, int, int]:
        deals: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        activities: list[dict[str, Any]] = []
        orders: list[dict[str, Any]] = []
        slips: dict[str, list[dt.date]] = {}
        pipelines = list(stages)
        for _ in range(max(1, self.n // 5)):
            pipeline_id = pipelines[0] if self.rng.random() < 0.9 else pipelines[1]
            stage_list = stages[pipeline_id]
            open_stages = [s for s in stage_list if s["kind"] == "open"]
            won = next(s for s in stage_list if s["kind"] == "won")
            lost = next(s for s in stage_list if s["kind"] == "lost")
            person = self.rng.choice(people)
            created = self.moment(max(self.start, person["created"]), self.now)
            age = (self.now - created).days
            roll = self.rng.random()
            if age > 60 and roll < 0.38:
                final, reached = won, len(open_stages)
            elif age > 45 and roll < 0.80:
                final, reached = lost, self.rng.randint(1, len(open_stages))
            else:
                reached = self.rng.randint(1, len(open_stages))
                final = open_stages[reached - 1]
            path = open_stages[:reached] + ([final] if final["kind"] != "open" else [])
            # Stage moves spread between creation and now (or the close).
            span_end = min(self.now, created + dt.timedelta(days=self.rng.randint(20, 160)))
            moves = sorted(self.moment(created, span_end) for _ in path[1:])
            times = [created, *moves]
            deal_id = self.id()
            owner = person["owner"] if self.rng.random() < 0.8 else self.rng.choice(users)
            value = (
                self.rng.choice((5, 8, 12, 15, 20, 25, 40, 60, 90, 150)) * 100_00
                + self.rng.randint(0, 99) * 100
            )
            closed = final["kind"] != "open"
            close_date = (
                times[-1] if closed else self.now + dt.timedelta(days=self.rng.randint(-20, 120))
            ).date()
            expected = close_date if (closed or self.rng.random() < 0.85) else None
            if closed and expected is not None:
                # It was expected to close near the day it did, seldom on it.
                expected += dt.timedelta(days=self.rng.randint(-20, 25))
            if not closed and expected is not None and self.rng.random() < 0.08:
                # A slipping deal: its expected close was pushed later a few times.
                steps = [self.rng.randint(10, 35) for _ in range(self.rng.randint(1, 3))]
                dates = [expected - dt.timedelta(days=sum(steps[i:])) for i in range(len(steps))]
                slips[deal_id] = [*dates, expected]
                self.slip_times[deal_id] = [created]  # its creation, until `slip`
            campaign = self.campaign_for(created.date())
            deals.append(
                {
                    "id": deal_id,
                    "title": f"{self.rng.choice(DEAL_WORDS)}",
                    "pipeline_id": pipeline_id,
                    "stage_id": final["id"],
                    "position": len(deals),
                    "value_cents": value,
                    "expected_close": slips[deal_id][0] if deal_id in slips else expected,
                    "owner_id": owner,
                    "contact_id": person["id"],
                    "company_id": person["company_id"],
                    "lead_source": self.rng.choice(SOURCES),
                    "campaign_id": campaign,
                    "status": final["kind"],
                    "created_at": created,
                    "stage_entered_at": times[-1],
                    "reason_id": self.rng.choice(reasons[final["kind"]]) if closed else None,
                    "closed_at": times[-1] if closed else None,
                }
            )
            previous = None
            for stage, at in zip(path, times, strict=True):
                history.append(
                    {
                        "id": self.id(),
                        "deal_id": deal_id,
                        "from_stage_id": previous,
                        "to_stage_id": stage["id"],
                        "moved_at": at,
                        "user_id": owner,
                        "created_at": at,
                    }
                )
                previous = stage["id"]
            for at in times:
                kind, subject = self.rng.choice(ACTIVITY)
                activities.append(
                    self.activity(
                        kind,
                        subject.format(t=deals[-1]["title"]),
                        at,
                        owner,
                        person,
                        deal_id,
                        # Now and then a task is forgotten: overdue ever since.
                        done=kind != "task" or closed or self.rng.random() < 0.9,
                    )
                )
            if not closed and self.rng.random() < 0.85:
                kind, subject = self.rng.choice(ACTIVITY[:4])
                due = self.moment(self.now - dt.timedelta(days=5), self.now + dt.timedelta(days=30))
                activities.append(
                    self.activity(
                        kind,
                        subject.format(t=deals[-1]["title"]),
                        due,
                        owner,
                        person,
                        deal_id,
                        done=due < self.now and self.rng.random() < 0.5,
                    )
                )
            if final["kind"] == "won":
                orders += self.repeat_orders(deals[-1], times[-1], len(orders))
        uow.insert_rows(Deal, deals)
        uow.insert_rows(DealStageHistory, history)
        uow.insert_rows(Activity, activities)
        uow.insert_rows(Order, orders)
        self.slip(uow, slips)
        return len(deals), len(activities), len(orders)

    def repeat_orders(
        self, deal: dict[str, Any], won_at: dt.datetime, made: int
    ) -> list[dict[str, Any]]:
        """A won customer orders again now and then (a share of the deal's value)."""
        rows: list[dict[str, Any]] = []
        for _ in range(self.rng.choice((0, 1, 1, 2, 3))):
            at = self.moment(won_at, self.now)
            rows.append(
                {
                    "id": self.id(),
                    "number": f"SO-{made + len(rows) + 10001}",
                    "ordered_on": at.date(),
                    "amount_cents": deal["value_cents"] * self.rng.randint(5, 25) // 10000 * 100,
                    "description": f"Repeat order: {deal['title']}",
                    "contact_id": deal["contact_id"],
                    "company_id": deal["company_id"],
                    "campaign_id": deal["campaign_id"],
                    "created_at": at,
                }
            )
        return rows

    def slip(self, uow: UnitOfWork, slips: dict[str, list[dt.date]]) -> None:
        """Push the expected close of slipping deals later, one edit at a time, so the
        change log holds their history like any edit made in the app; the pushes stand
        for edits two weeks apart up to a few days ago (`slip_times`)."""
        for deal_id, dates in slips.items():
            pushes, created = len(dates) - 1, self.slip_times[deal_id][0]
            self.slip_times[deal_id] = [
                max(created + dt.timedelta(hours=step + 1), self.now - dt.timedelta(days=days))
                for step, days in enumerate(3 + 14 * (pushes - n) for n in range(pushes))
            ]
        for step in range(1, 4):
            due = [(deal_id, dates[step]) for deal_id, dates in slips.items() if step < len(dates)]
            for deal_id, date in due:
                deal = uow.deals.get(deal_id)
                if deal is not None:
                    assign(deal, {"expected_close": date})
            uow.flush()

    def activity(
        self,
        kind: str,
        subject: str,
        at: dt.datetime,
        owner: str,
        person: dict[str, Any],
        deal_id: str | None,
        done: bool,
    ) -> dict[str, Any]:
        minutes = {"meeting": 60, "call": 15}.get(kind, 30)
        return {
            "id": self.id(),
            "kind": kind,
            "subject": subject,
            "starts_at": at,
            "ends_at": at + dt.timedelta(minutes=minutes),
            "done": done,
            "done_at": at if done else None,
            "outcome": self.rng.choice(OUTCOMES) if done and kind in ("call", "meeting") else "",
            "owner_id": owner,
            "contact_id": person["id"],
            "company_id": person["company_id"],
            "deal_id": deal_id,
            "created_at": min(at, self.now),
            "reminder_minutes": 15 if not done else None,
        }

    def contact_activities(
        self, uow: UnitOfWork, people: list[dict[str, Any]], users: list[str]
    ) -> int:
        rows = []
        for person in self.rng.sample(people, k=len(people) // 4):
            kind, subject = self.rng.choice(ACTIVITY)
            future = self.rng.random() < 0.3
            at = (
                self.moment(self.now, self.now + dt.timedelta(days=45))
                if future
                else self.moment(max(person["created"], self.start), self.now)
            )
            rows.append(
                self.activity(
                    kind,
                    subject.format(t="follow-up"),
                    at,
                    person["owner"],
                    person,
                    None,
                    done=not future,
                )
            )
        del users
        uow.insert_rows(Activity, rows)
        return len(rows)

    def orders(self, uow: UnitOfWork, people: list[dict[str, Any]]) -> int:
        rows = []
        for person in self.rng.sample(people, k=len(people) // 6):
            for _ in range(self.rng.randint(1, 4)):
                at = self.moment(max(person["created"], self.start), self.now)
                rows.append(
                    {
                        "id": self.id(),
                        "number": f"WEB-{self.rng.randint(100000, 999999)}",
                        "ordered_on": at.date(),
                        "amount_cents": self.rng.randint(20, 900) * 100 + 99,
                        "description": self.rng.choice(
                            ["Online shop", "Spare parts", "Consumables", "Gift vouchers"]
                        ),
                        "contact_id": person["id"],
                        "company_id": person["company_id"],
                        "campaign_id": self.campaign_for(at.date()),
                        "created_at": at,
                    }
                )
        uow.insert_rows(Order, rows)
        return len(rows)

    def consents(self, uow: UnitOfWork, people: list[dict[str, Any]]) -> None:
        rows = []
        for person in self.rng.sample(people, k=len(people) // 3):
            at = self.moment(max(person["created"], self.start), self.now)
            withdrawn = self.rng.random() < 0.1
            rows.append(
                {
                    "id": self.id(),
                    "contact_id": person["id"],
                    "purpose": self.rng.choice(["newsletter", "marketing_email", "phone"]),
                    "lawful_basis": "consent",
                    "status": "withdrawn" if withdrawn else "granted",
                    "source": self.rng.choice(["Web form", "Trade fair", "Phone call"]),
                    "evidence": "Double opt-in confirmation",
                    "recorded_at": at,
                    "withdrawn_at": at + dt.timedelta(days=30) if withdrawn else None,
                    "created_at": at,
                }
            )
        uow.insert_rows(Consent, rows)
