"""Composition root: paths -> engine -> unit-of-work factory -> services.

The window, the command line, the tests and the benchmarks all start here, so they run
the same code. Nothing is global: the context is passed to whoever needs it. The services
and the database layer are imported when `open_app` runs, not with this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    paths: AppPaths
    preferences: Preferences
    database: Database
    uow: UnitOfWorkFactory
    contacts: ContactService
    companies: CompanyService
    users: UserService
    search: SearchService
    timeline: TimelineService
    maintenance: MaintenanceService
    demo: DemoService
    activities: ActivityService
    deals: DealService
    duplicates: DuplicateService
    settings: SettingsService
    phones: PhoneService
    custom_fields: CustomFieldService
    tags: TagService
    consents: ConsentService
    privacy: PrivacyService
    campaigns: CampaignService
    mail: MailService
    maillog: MailLogService
    imap: ImapService
    automation: AutomationService
    pipeline: PipelineService
    segments: SegmentService
    calendar: CalendarService
    followups: FollowUpService
    reports: ReportService
    imports: ImportService
    exports: ExportService
    changelog: ChangeLogService
    bulk: BulkService
    sync: SyncService
    # Others' changes as they commit (a PostgreSQL server only; None for the local file).
    server_watch: ServerWatch | None = None

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
    """Import what `open_app` needs, now. The window does it before Qt is imported:
    PySide6 reads the source of every module imported after it (for its `__feature__`
    switches), and SQLAlchemy, the models and the services are hundreds of modules.

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


_OPEN_APP_MODULES = (
    "crm_desktop.persistence.database",
    "crm_desktop.persistence.uow",
    "crm_desktop.services.activities",
    "crm_desktop.services.automation",
    "crm_desktop.services.bulk",
    "crm_desktop.services.calendar",
    "crm_desktop.services.campaigns",
    "crm_desktop.services.changelog",
    "crm_desktop.services.companies",
    "crm_desktop.services.consents",
    "crm_desktop.services.contacts",
    "crm_desktop.services.custom_fields",
    "crm_desktop.services.deals",
    "crm_desktop.services.demo",
    "crm_desktop.services.duplicates",
    "crm_desktop.services.exports",
    "crm_desktop.services.followups",
    "crm_desktop.services.imap",
    "crm_desktop.services.imports",
    "crm_desktop.services.mail",
    "crm_desktop.services.maillog",
    "crm_desktop.services.maintenance",
    "crm_desktop.domain.phones",
    "crm_desktop.services.pipeline",
    "crm_desktop.services.privacy",
    "crm_desktop.services.reports",
    "crm_desktop.services.search",
    "crm_desktop.services.segments",
    "crm_desktop.services.server_watch",
    "crm_desktop.services.settings",
    "crm_desktop.services.tags",
    "crm_desktop.services.timeline",
    "crm_desktop.services.users",
    "crm_desktop.sync.service",
)


def open_app(data_dir: str | Path | None = None, database_url: str | None = None) -> AppContext:
    """Open (creating and migrating as needed) the data of this device and wire services."""
    # Imported here, not above: a command that only searches starts without them
    # (`services.search.search_without_opening`), and SQLAlchemy with the ORM is most
    # of a start.
    from crm_desktop.domain.phones import PhoneService
    from crm_desktop.persistence.database import open_database
    from crm_desktop.persistence.engine import sqlite_url
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
    from crm_desktop.services.maintenance import MaintenanceService
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

    paths = AppPaths.resolve(data_dir)
    preferences = Preferences.load(paths.preferences)
    url = database_url or os.environ.get(DATABASE_URL_ENV) or preferences.database_url
    if not url:
        check_local_folder(paths.data_dir)
        url = sqlite_url(paths.database)
    paths.ensure()
    database = open_database(url, paths.backups, preferences.backups_to_keep)
    uow = UnitOfWorkFactory(database.engine, database.device_id)
    users = UserService(uow, paths.preferences)
    segments = SegmentService(uow)
    consents = ConsentService(uow)
    settings = SettingsService(uow)
    maillog = MailLogService(uow)
    duplicates = DuplicateService(uow, preferences.default_country)
    return AppContext(
        paths=paths,
        preferences=preferences,
        database=database,
        uow=uow,
        contacts=ContactService(uow),
        companies=CompanyService(uow),
        users=users,
        search=SearchService(uow),
        timeline=TimelineService(uow),
        maintenance=MaintenanceService(database, paths.backups, preferences.backups_to_keep),
        demo=DemoService(uow),
        activities=ActivityService(uow),
        deals=DealService(uow, users),
        duplicates=duplicates,
        settings=settings,
        phones=PhoneService(preferences.default_country),
        custom_fields=CustomFieldService(uow),
        tags=TagService(uow),
        consents=consents,
        privacy=PrivacyService(uow),
        campaigns=CampaignService(uow, segments, consents),
        mail=MailService(paths.preferences),
        maillog=maillog,
        imap=ImapService(paths.preferences, paths.data_dir / "imap-state.json", maillog),
        automation=AutomationService(uow, settings, segments, consents, paths.data_dir / "outbox"),
        pipeline=PipelineService(uow),
        segments=segments,
        calendar=CalendarService(uow),
        followups=FollowUpService(uow),
        reports=ReportService(uow, duplicates=duplicates),
        imports=ImportService(uow, preferences.default_country),
        exports=ExportService(uow),
        changelog=ChangeLogService(uow),
        bulk=BulkService(uow),
        sync=SyncService(uow, paths.preferences, paths.data_dir),
        server_watch=ServerWatch(uow) if database.path is None else None,
    )
