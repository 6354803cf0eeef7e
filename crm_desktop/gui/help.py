"""Help: a getting-started page for the first hour, and the list of keyboard shortcuts read
from the window's own actions (so it can never disagree with them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
)

from crm_desktop.gui.views.detail import esc

if TYPE_CHECKING:
    from crm_desktop.gui.main_window import MainWindow

GETTING_STARTED = """
<h2>Getting started with crm-desktop</h2>
<p>Everything you enter stays in one database on this computer. Nothing needs an account
or the internet.</p>
<h3>1. Your people and companies</h3>
<ul>
<li><b>File › New contact</b> (Ctrl+N) or <b>New company</b> (Ctrl+Shift+N).</li>
<li>Bring in what you have: <b>File › Import contacts or companies…</b> (Ctrl+I) reads
CSV from Google Contacts, Outlook or any spreadsheet, Excel workbooks and vCards. You can
also drop a file on the window.</li>
<li>Select a contact to see its details and timeline; the buttons above the timeline log a
call, add a note, schedule a follow-up or start a deal.</li>
</ul>
<h3>2. Your sales</h3>
<ul>
<li>The <b>Pipeline</b> (Ctrl+3) is a board with one column per stage. A "Sales" pipeline
is ready; rename or change its stages in <b>Settings</b>.</li>
<li><b>File › New deal</b> opens the deal page: the person, the company, the value and
the expected close date. Drag a card to another stage; Won and Lost ask for a reason.</li>
</ul>
<h3>3. Your days</h3>
<ul>
<li>The <b>Calendar</b> (Ctrl+4) shows your calls, meetings and tasks; double-click an
empty slot to add one, drag to move it. Reminders pop up at their time.</li>
</ul>
<h3>4. Your numbers</h3>
<ul>
<li><b>Reports</b> (Ctrl+5) answer the owner's questions and print the monthly report as
a PDF and an Excel workbook.</li>
</ul>
<h3>Safety</h3>
<p>Every change can be undone (Ctrl+Z). Deleted records go to the Trash and can be
restored. A backup is taken every day; <b>File › Restore from backup…</b> brings one
back.</p>
<p>Press <b>Ctrl+K</b> anywhere to jump to any record or command.</p>
"""


class HelpController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @Slot()
    def about(self) -> None:
        from crm_desktop import __version__

        QMessageBox.about(
            self.window,
            "About crm-desktop",
            f"<b>crm-desktop {__version__}</b><p>A local-first CRM. Your data "
            f"lives in {esc(self.window.context.database_label)}.</p>",
        )

    def _page(self, title: str, html: str) -> QDialog:
        dialog = QDialog(self.window)
        dialog.setWindowTitle(title)
        layout = QVBoxLayout(dialog)
        browser = QTextBrowser(dialog)
        browser.setOpenExternalLinks(True)
        browser.setHtml(html)
        browser.setAccessibleName(title)
        layout.addWidget(browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.resize(560, 560)
        dialog.open()
        return dialog

    @Slot()
    def getting_started(self) -> QDialog:
        return self._page("Getting started", GETTING_STARTED)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) for every action of the window that has a shortcut."""
        rows = []
        for name, action in self.window.actions_by_name.items():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                rows.append((name, keys))
        sidebar = self.window.sidebar
        for index in range(sidebar.count()):
            rows.append((f"Go to {sidebar.item(index).text()}", f"Ctrl+{index + 1}"))
        return rows

    @Slot()
    def shortcuts(self) -> QDialog:
        body = "".join(
            f"<tr><td style='padding-right:24px'>{esc(name)}</td><td><b>{esc(keys)}</b></td></tr>"
            for name, keys in self.shortcut_rows()
        )
        extra = (
            "<p>In an editor: <b>Enter</b> saves, <b>Ctrl+Enter</b> saves from a text box, "
            "<b>Escape</b> cancels (and asks first when something was typed).</p>"
        )
        return self._page(
            "Keyboard shortcuts", f"<h2>Keyboard shortcuts</h2><table>{body}</table>{extra}"
        )
