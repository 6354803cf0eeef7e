"""The window's menu bar: every action, its shortcut and icon, in one table per menu. The
actions call the feature controllers; the command palette and the shortcut list in Help
read the same actions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from crm_desktop.gui import icons
from crm_desktop.gui.host import SECTIONS

if TYPE_CHECKING:
    from crm_desktop.gui.main_window import MainWindow

Key = QKeySequence.StandardKey


def build_menus(w: MainWindow) -> dict[str, QAction]:
    """Fill the menu bar of `w`; returns the actions by their plain text (the palette's
    names). The actions are also set on the window as attributes (`w.undo_action`...)."""
    c, d, data = w.contacts, w.deals, w.data
    by_name: dict[str, QAction] = {}

    def add(attr: str, text: str, slot: object, shortcut: object = None, icon: str = "") -> QAction:
        action = w.action(text, slot, shortcut, icon)  # type: ignore[arg-type]
        setattr(w, attr, action)
        by_name[text.replace("&", "").rstrip("…")] = action
        return action

    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    for item in (
        add("new_contact_action", "New &contact", c.new_contact, Key.New, "add"),
        add("new_company_action", "New c&ompany", c.new_company, "Ctrl+Shift+N", "companies"),
        add("new_deal_action", "New &deal", d.new_deal, "Ctrl+Alt+D", "deal"),
        None,
        add(
            "import_contacts_action",
            "Import &contacts or companies…",
            data.import_contacts,
            "Ctrl+I",
            "import",
        ),
        add("export_list_action", "E&xport this list…", w.export_list, "Ctrl+E", "export"),
        add(
            "import_ics_action", "&Import calendar (.ics)…", data.import_calendar, None, "calendar"
        ),
        add("export_ics_action", "&Export calendar (.ics)…", data.export_calendar, None, "export"),
        None,
        add("sharing_action", "Team s&haring…", w.sharing.open_dialog, None, "sync"),
        None,
        add("backup_action", "&Back up now", data.backup_now, None, "backup"),
        add("restore_backup_action", "&Restore from backup…", data.restore_backup, None, "restore"),
        None,
        add("quit_action", "&Quit", w.quit_app, Key.Quit, "quit"),
    ):
        file_menu.addSeparator() if item is None else file_menu.addAction(item)

    edit_menu = menu.addMenu("&Edit")
    w.undo_action = w.undo_stack.createUndoAction(w, "&Undo")
    w.undo_action.setShortcut(QKeySequence(Key.Undo))
    w.undo_action.setIcon(icons.get("undo"))
    w.redo_action = w.undo_stack.createRedoAction(w, "&Redo")
    w.redo_action.setShortcut(QKeySequence(Key.Redo))
    w.redo_action.setIcon(icons.get("redo"))
    by_name["Undo"], by_name["Redo"] = w.undo_action, w.redo_action
    for item in (
        w.undo_action,
        w.redo_action,
        None,
        add("delete_action", "Move to &Trash", w.delete_selected, Key.Delete, "trash"),
        add("restore_action", "Res&tore from Trash", w.restore_selected, None, "restore"),
        add("trash_view_action", "Show T&rash", c.show_trash, None, "trash"),
        add("tag_action", "&Tag selected…", c.tag_selected, "Ctrl+T", "tag"),
        add("owner_action", "Set &owner of selected…", w.owner_selected, None, "owner"),
        add("stage_action", "Move selected deals to &stage…", d.stage_selected, None, "pipeline"),
        add(
            "segment_action",
            "Save contacts filter as se&gment…",
            c.save_segment,
            "Ctrl+Shift+S",
            "segment",
        ),
        add("segment_new_action", "&New segment…", w.segments.new_segment, None, "segment"),
        None,
        add("duplicates_action", "Find &duplicates…", c.find_duplicates, "Ctrl+Shift+D", "merge"),
        add("merge_action", "&Merge selected…", c.merge_selected, None, "merge"),
        None,
        add("find_action", "&Find", c.focus_search, Key.Find, "search"),
    ):
        edit_menu.addSeparator() if item is None else edit_menu.addAction(item)

    view_menu = menu.addMenu("&View")
    view_menu.addAction(
        add("palette_action", "&Go to… (command palette)", w.open_palette, "Ctrl+K", "palette")
    )
    view_menu.addSeparator()
    for index, (title, icon) in enumerate(SECTIONS):
        section = w.action(
            title, partial(w.sidebar.setCurrentRow, index), f"Ctrl+{index + 1}", icon
        )
        view_menu.addAction(section)

    tools_menu = menu.addMenu("&Tools")
    for item in (
        add("automation_action", "&Automation rules…", w.automation.open_rules, None, "followup"),
        add("automation_run_action", "&Run automation now", w.automation.run_now, None, "sync"),
        None,
        add("check_mail_action", "Check &mail now", w.mail.check_now, "F9", "note"),
        add("mail_account_action", "&E-mail account…", w.mail_account, None, "settings"),
    ):
        tools_menu.addSeparator() if item is None else tools_menu.addAction(item)

    help_menu = menu.addMenu("&Help")
    help_menu.addAction(
        add(
            "getting_started_action",
            "&Getting started",
            w.help.getting_started,
            Key.HelpContents,
            "help",
        )
    )
    help_menu.addAction(
        add("shortcuts_action", "&Keyboard shortcuts", w.help.shortcuts, "Ctrl+/", "keyboard")
    )
    help_menu.addSeparator()
    help_menu.addAction(add("about_action", "&About crm-desktop", w.help.about, None, "info"))
    return by_name
