"""Composition root: paths -> engine -> unit-of-work factory -> services.

The window, the command line, the tests and the benchmarks all start here, so they run
the same code. Nothing is global: the context is passed to whoever needs it. The services
and the database layer are imported when `open_app` runs, not with this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from crm_desktop.config import DATABASE_URL_ENV, AppPaths, Preferences, check_local_folder

if TYPE_CHECKING:
    from crm_desktop.domain.phones import PhoneService
    from crm_desktop.persistence.database import Database
    from crm_desktop.persistence.uow import UnitOfWorkFactory
    from crm_desktop.services.activities import ActivityService
    from crm_desktop.services.automation import AutomationService
    from crm_desktop.services.bulk import BulkService
    from crm_desktop.services.calendar import CalendarService
    from crm_desktop.services.campaigns import CampaignService
    from crm_desktop.services.changelog import ChangeLogService
    from crm_desktop.services.companies import CompanyService
    from crm_desktop.services.consents import ConsentService
    from crm_desktop.services.contacts import ContactService
    from crm_desktop.services.custom_fields import CustomFieldService
    from crm_desktop.services.deals import DealService
    from crm_desktop.services.demo import DemoService
    from crm_desktop.services.duplicates import DuplicateService
    from crm_desktop.services.exports import ExportService
    from crm_desktop.services.followups import FollowUpService
    from crm_desktop.services.imap import ImapService
    from crm_desktop.services.imports import ImportService
    from crm_desktop.services.mail import MailService
    from crm_desktop.services.maillog import MailLogService
    from crm_desktop.services.maintenance import MaintenanceService, RecoveryService
    from crm_desktop.services.pipeline import PipelineService
    from crm_desktop.services.privacy import PrivacyService
    from crm_desktop.services.reports import ReportService
    from crm_desktop.services.search import SearchService
    from crm_desktop.services.segments import SegmentService
    from crm_desktop.services.server_watch import ServerWatch
    from crm_desktop.services.settings import SettingsService
    from crm_desktop.services.tags import TagService
    from crm_desktop.services.timeline import TimelineService
    from crm_desktop.services.users import UserService
    from crm_desktop.sync.service import SyncService


@dataclass
class AppContext:
    """The open data and its services. Each service is made, and its module imported, the
    first time it is used: the window's first page needs a handful of the thirty, and
    importing the rest (reports, imports, mail, sync...) was a fifth of a start."""

    paths: AppPaths
    preferences: Preferences
    database: Database
    uow: UnitOfWorkFactory
    # Others' changes as they commit (a PostgreSQL server only; None for the local file).
    server_watch: ServerWatch | None = None

    @cached_property
    def contacts(self) -> ContactService:
        from crm_desktop.services.contacts import ContactService

        return ContactService(self.uow)

    @cached_property
    def companies(self) -> CompanyService:
        from crm_desktop.services.companies import CompanyService

        return CompanyService(self.uow)

    @cached_property
    def users(self) -> UserService:
        from crm_desktop.services.users import UserService

        return UserService(self.uow, self.paths.preferences)

    @cached_property
    def search(self) -> SearchService:
        from crm_desktop.services.search import SearchService

        return SearchService(self.uow)

    @cached_property
    def timeline(self) -> TimelineService:
        from crm_desktop.services.timeline import TimelineService

        return TimelineService(self.uow)

    @cached_property
    def maintenance(self) -> MaintenanceService:
        from crm_desktop.services.maintenance import MaintenanceService

        return MaintenanceService(
            self.database, self.paths.backups, self.preferences.backups_to_keep
        )

    @cached_property
    def demo(self) -> DemoService:
        from crm_desktop.services.demo import DemoService

        return DemoService(self.uow)

    @cached_property
    def activities(self) -> ActivityService:
        from crm_desktop.services.activities import ActivityService

        return ActivityService(self.uow)

    @cached_property
    def deals(self) -> DealService:
        from crm_desktop.services.deals import DealService

        return DealService(self.uow, self.users)

    @cached_property
    def duplicates(self) -> DuplicateService:
        from crm_desktop.services.duplicates import DuplicateService

        return DuplicateService(self.uow, self.preferences.default_country)

    @cached_property
    def settings(self) -> SettingsService:
        from crm_desktop.services.settings import SettingsService

        return SettingsService(self.uow)

    @cached_property
    def phones(self) -> PhoneService:
        from crm_desktop.domain.phones import PhoneService

        return PhoneService(self.preferences.default_country)

    @cached_property
    def custom_fields(self) -> CustomFieldService:
        from crm_desktop.services.custom_fields import CustomFieldService

        return CustomFieldService(self.uow)

    @cached_property
    def tags(self) -> TagService:
        from crm_desktop.services.tags import TagService

        return TagService(self.uow)

    @cached_property
    def consents(self) -> ConsentService:
        from crm_desktop.services.consents import ConsentService

        return ConsentService(self.uow)

    @cached_property
    def privacy(self) -> PrivacyService:
        from crm_desktop.services.privacy import PrivacyService

        return PrivacyService(self.uow)

    @cached_property
    def campaigns(self) -> CampaignService:
        from crm_desktop.services.campaigns import CampaignService

        return CampaignService(self.uow, self.segments, self.consents)

    @cached_property
    def mail(self) -> MailService:
        from crm_desktop.services.mail import MailService

        return MailService(self.paths.preferences)

    @cached_property
    def maillog(self) -> MailLogService:
        from crm_desktop.services.maillog import MailLogService

        return MailLogService(self.uow)

    @cached_property
    def imap(self) -> ImapService:
        from crm_desktop.services.imap import ImapService

        return ImapService(
            self.paths.preferences, self.paths.data_dir / "imap-state.json", self.maillog
        )

    @cached_property
    def automation(self) -> AutomationService:
        from crm_desktop.services.automation import AutomationService

        return AutomationService(
            self.uow, self.settings, self.segments, self.consents, self.paths.data_dir / "outbox"
        )

    @cached_property
    def pipeline(self) -> PipelineService:
        from crm_desktop.services.pipeline import PipelineService

        return PipelineService(self.uow)

    @cached_property
    def segments(self) -> SegmentService:
        from crm_desktop.services.segments import SegmentService

        return SegmentService(self.uow)

    @cached_property
    def calendar(self) -> CalendarService:
        from crm_desktop.services.calendar import CalendarService

        return CalendarService(self.uow)

    @cached_property
    def followups(self) -> FollowUpService:
        from crm_desktop.services.followups import FollowUpService

        return FollowUpService(self.uow)

    @cached_property
    def reports(self) -> ReportService:
        from crm_desktop.services.reports import ReportService

        return ReportService(self.uow, duplicates=self.duplicates)

    @cached_property
    def imports(self) -> ImportService:
        from crm_desktop.services.imports import ImportService

        return ImportService(self.uow, self.preferences.default_country)

    @cached_property
    def exports(self) -> ExportService:
        from crm_desktop.services.exports import ExportService

        return ExportService(self.uow)

    @cached_property
    def changelog(self) -> ChangeLogService:
        from crm_desktop.services.changelog import ChangeLogService

        return ChangeLogService(self.uow)

    @cached_property
    def bulk(self) -> BulkService:
        from crm_desktop.services.bulk import BulkService

        return BulkService(self.uow)

    @cached_property
    def sync(self) -> SyncService:
        from crm_desktop.sync.service import SyncService

        return SyncService(self.uow, self.paths.preferences, self.paths.data_dir)

    @property
    def database_label(self) -> str:
        """Where the data is, as the status bar shows it (and that it is read-only)."""
        from crm_desktop.persistence.engine import redact

        if self.database.path is not None:
            label = str(self.database.path)
        else:
            label = redact(self.database.engine.url.render_as_string(hide_password=False))
        return f"{label} (read-only: changes cannot be saved)" if self.database.read_only else label

    def close(self) -> None:
        if self.server_watch is not None:
            self.server_watch.close()
        self.database.close()


def open_recovery(
    data_dir: str | Path | None = None, database_url: str | None = None
) -> RecoveryService | None:
    """Backups, `doctor` and `restore` of the local database without opening it (it may
    be damaged); None when the data is on a server."""
    paths = AppPaths.resolve(data_dir)
    preferences = Preferences.load(paths.preferences)
    if database_url or os.environ.get(DATABASE_URL_ENV) or preferences.database_url:
        return None
    check_local_folder(paths.data_dir)
    from crm_desktop.services.maintenance import RecoveryService

    return RecoveryService(paths.database, paths.backups, preferences.backups_to_keep)


def preload() -> None:
    """Import what `open_app` and the window's first page need, now. The window does it
    before Qt is imported: PySide6 reads the source of every module imported after it (for
    its `__feature__` switches), and SQLAlchemy, the models and the services are hundreds
    of modules. The services the first page does not use (reports, imports, calendar,
    duplicates...) are imported when first used, after the window is shown.

    At the start of the window's process the garbage collector waits meanwhile: those
    modules make over a hundred thousand objects, which it would walk again and again for
    no garbage (a seventh of the start), and it leaves them out of its walks from then on.
    Not in a process that has Qt already (tests): its own objects are none of the start's."""
    import gc
    import importlib
    import sys

    start = "PySide6" not in sys.modules and gc.isenabled()
    if start:
        gc.disable()
    try:
        for name in _OPEN_APP_MODULES:
            importlib.import_module(name)
    finally:
        if start:
            gc.freeze()
            gc.enable()


# What open_app imports, and the services the window uses before its first paint (the
# lists, their filters, the segments panel, the status bar, sharing); tests/unit/
# test_preload.py checks that the first paint imports nothing more of the core.
_OPEN_APP_MODULES = (
    "crm_desktop.persistence.database",
    "crm_desktop.persistence.uow",
    "crm_desktop.services.server_watch",
    "sqlalchemy.dialects.sqlite",  # the local file's (the models no longer bring it)
    "crm_desktop.domain.phones",
    "crm_desktop.services.bulk",
    "crm_desktop.services.changelog",
    "crm_desktop.services.companies",
    "crm_desktop.services.contacts",
    "crm_desktop.services.databases",
    "crm_desktop.services.deals",
    "crm_desktop.services.followups",
    "crm_desktop.services.maintenance",
    "crm_desktop.services.segments",
    "crm_desktop.services.settings",
    "crm_desktop.services.tags",
    "crm_desktop.services.users",
    "crm_desktop.sync.service",
)


def open_app(data_dir: str | Path | None = None, database_url: str | None = None) -> AppContext:
    """Open (creating and migrating as needed) the data of this device; its services are
    made as they are first used."""
    # Imported here, not above: a command that only searches starts without them
    # (`services.search.search_without_opening`), and SQLAlchemy with the ORM is most
    # of a start.
    from crm_desktop.persistence.database import open_database
    from crm_desktop.persistence.engine import sqlite_url
    from crm_desktop.persistence.uow import UnitOfWorkFactory
    from crm_desktop.services.server_watch import ServerWatch

    paths = AppPaths.resolve(data_dir)
    preferences = Preferences.load(paths.preferences)
    url = database_url or os.environ.get(DATABASE_URL_ENV) or preferences.database_url
    if not url:
        check_local_folder(paths.data_dir)
        url = sqlite_url(paths.database)
    paths.ensure()
    database = open_database(url, paths.backups, preferences.backups_to_keep)
    uow = UnitOfWorkFactory(database.engine, database.device_id)
    watch = ServerWatch(uow) if database.path is None else None
    return AppContext(paths, preferences, database, uow, server_watch=watch)
