"""QApplication set-up (theme, icon, desktop file name), first run, the window's life
(crash dialog, daily backup, reopening after a restore), and the screenshots."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory, QWizard

from crm_desktop.domain import formatting
from crm_desktop.domain.errors import CrmError, DamagedDatabaseError
from crm_desktop.gui import icons

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

log = logging.getLogger(__name__)


def make_application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    app.setApplicationName("crm-desktop")
    app.setOrganizationName("crm-desktop")
    # Wayland finds the window's icon and name through the desktop file; in a Flatpak it
    # is installed under the app id.
    QGuiApplication.setDesktopFileName(os.environ.get("FLATPAK_ID") or "crm-desktop")
    app.setWindowIcon(icons.app_icon())
    app.setStyle(QStyleFactory.create("Fusion"))
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    return app


def apply_theme(app: QApplication) -> None:
    """Follow the system's light or dark scheme with a calm palette."""
    dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    palette = QPalette()
    if dark:
        colors = {
            QPalette.ColorRole.Window: "#1f2329",
            QPalette.ColorRole.Base: "#16191d",
            QPalette.ColorRole.AlternateBase: "#1c2025",
            QPalette.ColorRole.Text: "#e6e8eb",
            QPalette.ColorRole.WindowText: "#e6e8eb",
            QPalette.ColorRole.Button: "#2a2f36",
            QPalette.ColorRole.ButtonText: "#e6e8eb",
            QPalette.ColorRole.Highlight: "#3d6fd9",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.PlaceholderText: "#8a929c",
            QPalette.ColorRole.Link: "#8fb3ff",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#f4f5f7",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f7f8fa",
            QPalette.ColorRole.Text: "#1d232b",
            QPalette.ColorRole.WindowText: "#1d232b",
            QPalette.ColorRole.Button: "#eceef2",
            QPalette.ColorRole.ButtonText: "#1d232b",
            QPalette.ColorRole.Highlight: "#2f63d4",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.PlaceholderText: "#7b8490",
            QPalette.ColorRole.Link: "#2456c4",
        }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    app.setStyleSheet("QListWidget#sections { border: none; }QStatusBar QLabel { padding: 0 6px; }")


def use_formats(context: AppContext) -> None:
    """Money, dates and counts as the system's locale writes them, amounts in the business
    currency (at start, and again when the settings change)."""
    formatting.use_locale(QLocale.system().name())
    formatting.use_currency(str(context.settings.get("currency") or ""))


def first_run(context: AppContext, parent: Any = None) -> bool:
    """Ask for the business name, currency and the user's name; optionally demo data.
    The user named here owns new records on this device, and there is a pipeline to put
    the first deal in. Returns False if the user cancelled."""
    from dataclasses import replace

    from crm_desktop.gui.dialogs.first_run import FirstRunWizard

    wizard = FirstRunWizard(parent)
    if wizard.exec() != QWizard.DialogCode.Accepted:
        return False
    if wizard.demo.isChecked():
        context.demo.generate(contacts=500)
    context.settings.set("business_name", wizard.business.text().strip())
    context.settings.set("currency", wizard.currency.currentText())
    me = context.users.create_me(wizard.your_name.text().strip())
    context.preferences = replace(context.preferences, user_id=me.id)
    context.pipeline.ensure_default()
    return True


def run_window(data_dir: str | None, database_url: str | None, log_file: Path | None = None) -> int:
    """Open the main window; returns the process exit code. Unexpected errors show a
    dialog naming `log_file`. After a restore the window asks to be reopened: the data is
    then opened afresh (new device id, new caches) in a new window, in the same process."""
    from crm_desktop.gui.crash import CrashHandler

    app = make_application()
    crash = CrashHandler(log_file, app)
    crash.install()
    try:
        while True:
            code, reopen = _window_session(app, data_dir, database_url)
            if not reopen:
                return code
            log.info("reopening the data after a restore")
    finally:
        crash.uninstall()


def _window_session(
    app: QApplication, data_dir: str | None, database_url: str | None
) -> tuple[int, bool]:
    """Open the data and the window until the window closes: (exit code, reopen?)."""
    from crm_desktop.bootstrap import open_app
    from crm_desktop.gui.main_window import MainWindow

    try:
        context = open_app(data_dir, database_url)
    except DamagedDatabaseError as exc:
        log.error("the data is damaged: %s", exc)
        if offer_newest_backup(data_dir, database_url, str(exc)):
            return 0, True  # restored: open it
        print(f"crm-desktop: {exc}", file=sys.stderr)
        return 4, False
    except CrmError as exc:
        log.error("cannot open the data: %s", exc)
        QMessageBox.critical(None, "crm-desktop", str(exc))
        print(f"crm-desktop: {exc}", file=sys.stderr)
        return 1, False
    try:
        if context.settings.is_first_run() and not first_run(context):
            return 0, False
        use_formats(context)
        window = MainWindow(context)
        window.show()
        window.data.daily_backup()
        code = int(app.exec())
        # A quit asked for twice (the window's Quit, then the last window closing) leaves
        # a Quit event posted: delivered now, with no event loop to end, it would make
        # every later event loop of this process (a dialog, a reopened window) return
        # at once.
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
        # Let background jobs (the daily backup...) end and deliver their results while
        # the window still exists, before the data is closed.
        window.runner.wait(10_000)
        QCoreApplication.sendPostedEvents()
        reopen = window.reopen_requested
        window.deleteLater()  # its timers and tray icon go before the data is reopened
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return code, reopen
    finally:
        context.close()


def offer_newest_backup(data_dir: str | None, database_url: str | None, problem: str) -> bool:
    """The data will not open because it is damaged: offer the newest backup that passes
    the whole check, and restore it if the user agrees. True when restored."""
    from crm_desktop.bootstrap import open_recovery
    from crm_desktop.gui.dialogs.restore import DamagedDataDialog

    recovery = open_recovery(data_dir, database_url)
    newest = recovery.newest_good_backup() if recovery is not None else None
    accepted = DamagedDataDialog(problem, newest).exec()
    if recovery is None or newest is None or not accepted:
        return False
    try:
        result = recovery.restore(newest.path)
    except CrmError as exc:
        log.error("restore after damage failed: %s", exc)
        QMessageBox.critical(None, "crm-desktop", str(exc))
        return False
    log.info(
        "restored %s after damage; the damaged file is kept in %s",
        newest.path,
        result.safety_backup,
    )
    return True


def _showcase_row(context: AppContext, view: Any) -> int:
    """The first contact listed with a deal and a next activity (the README shows a
    record's page whole), else the first."""
    for row in range(min(view.model.rowCount(), 200)):
        contact_id = view.model.id_at(row)
        timeline = context.timeline
        if timeline.deals_of("contacts", contact_id) and timeline.next_activity(
            "contacts", contact_id
        ):
            return row
    return 0


def screenshots(context: AppContext, outdir: Path) -> list[Path]:
    """Render each main view (with the current data) to PNG files in `outdir`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from crm_desktop.domain.segments import Condition
    from crm_desktop.gui.main_window import MainWindow
    from crm_desktop.gui.tasks import SyncRunner

    app = make_application()
    use_formats(context)
    outdir.mkdir(parents=True, exist_ok=True)
    window = MainWindow(context, SyncRunner())
    window.settled = True  # no reminders, mail reading or automation while shooting
    window.resize(1360, 820)
    window.show()
    written: list[Path] = []

    def shot(name: str, widget: Any = None) -> None:
        for _ in range(3):
            app.processEvents()
        path = outdir / f"{name}.png"
        (widget or window).grab().save(str(path))
        written.append(path)

    for index, name in enumerate(
        ("contacts", "companies", "pipeline", "calendar", "reports", "settings")
    ):
        window.sidebar.setCurrentRow(index)
        found = window.contacts.selected()
        view = found[0] if found else None
        if view is not None and view.model.rowCount():
            view.table.selectRow(_showcase_row(context, view) if index == 0 else 0)
        shot(f"{index + 1}-{name}")
    window.sidebar.setCurrentRow(0)
    contact_id = window.contacts.contact_detail.record_id
    if contact_id:
        from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog

        editor = ContactEditorDialog(
            context, context.contacts.get(contact_id).to_draft(), contact_id, window
        )
        editor.show()
        shot("7-contact-editor", editor)
        editor.close()
    window.sidebar.setCurrentRow(2)
    cards = [c for column in window.pipeline_view.columns for c in column.cards_data()]
    if cards:
        from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

        record = context.deals.get(cards[0].id)
        deal_editor = DealEditorDialog(context, record.draft, cards[0].id, window)
        deal_editor.show()
        shot("9-deal-editor", deal_editor)
        deal_editor.close()
    window.pipeline_view.list_button.click()
    shot("10-deals-list")
    window.sidebar.setCurrentRow(3)
    window.calendar_view.set_mode("month")
    shot("11-calendar-month")
    window.calendar_view.set_mode("day")
    shot("12-calendar-day")
    window.calendar_view.set_mode("week")
    activities = window.calendar_view.found
    if activities:
        from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog

        activity = context.calendar.get(activities[0].activity_id)
        activity_editor = ActivityEditorDialog(
            context, activity.draft, activity.id, activity.contact_name, window
        )
        activity_editor.show()
        shot("13-activity-editor", activity_editor)
        activity_editor.close()
    window.pipeline_view.board_button.click()
    window.sidebar.setCurrentRow(0)
    palette = window.open_palette()
    palette.input.setText(context.contacts.get(contact_id).last_name if contact_id else "a")
    palette.refresh()
    shot("8-command-palette", palette)
    palette.close()
    builder = window.segments.edit_segment(None)
    builder.name.setText("Buyers with newsletter consent")
    builder.rows[0].set_condition(Condition("orders", ">=", 1))
    builder.add_row(Condition("consent", "granted", purpose="newsletter"))
    builder.add_row(Condition("last_order", "in_last_days", 180))
    builder.update_count()
    shot("14-segment-builder", builder)
    builder.reject()
    window.sidebar.setCurrentRow(6)
    shot("15-campaigns")
    rules = window.automation.open_rules()
    shot("16-automation-rules", rules)
    rules.close()
    window.save_layout = lambda: None  # type: ignore[method-assign]
    window.close()
    return written
