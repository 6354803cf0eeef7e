"""Saved segments in the window: the sidebar list with counts, the builder's live count,
opening a segment in the contacts list, bulk tag / owner / export of a segment with undo."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.domain.segments import Condition, Group, parse_filter
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.segments.builder import SegmentBuilderDialog

BUYERS = parse_filter({"all": [{"field": "orders", "op": ">=", "value": 1}]})


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


@pytest.fixture
def buyers(window: MainWindow, demo_app: AppContext) -> str:
    saved = demo_app.segments.save("Buyers", BUYERS)
    window.hub.changed(saved.changes)
    return saved.id


def test_the_sidebar_lists_segments_with_their_counts(
    window: MainWindow, demo_app: AppContext, buyers: str
) -> None:
    count = demo_app.segments.count(BUYERS)
    panel = window.segments.panel
    assert panel.ids() == [buyers]
    assert panel.list.item(0).text() == f"Buyers  {count:,}"
    assert "Number of orders >= 1" in panel.list.item(0).toolTip()


def test_opening_a_segment_shows_its_contacts_in_the_list(
    window: MainWindow, demo_app: AppContext, buyers: str
) -> None:
    window.sidebar.setCurrentRow(2)
    window.segments.on_action("open", buyers)
    assert window.sidebar.currentRow() == 0
    assert window.contacts_view.segment_filter.currentText() == "Buyers"
    assert window.contacts.contacts_model.rowCount() == demo_app.segments.count(BUYERS) < 300
    window.contacts_view.search.setText("a")  # the list's own search narrows the segment
    window.contacts_view.apply_filters()
    assert window.contacts.contacts_model.rowCount() <= demo_app.segments.count(BUYERS)


def test_the_builder_counts_as_conditions_change(demo_app: AppContext, qtbot: Any) -> None:
    dialog = SegmentBuilderDialog(demo_app.segments.count)
    qtbot.addWidget(dialog)
    dialog.rows[0].set_condition(Condition("orders", ">=", 1))
    dialog.update_count()
    buyers = demo_app.segments.count(BUYERS)
    assert dialog.count_label.text() == f"{buyers:,} contacts match"
    dialog.add_row(Condition("consent", "granted", purpose="newsletter"))
    dialog.update_count()
    both = demo_app.segments.count(dialog.filter())
    assert both < buyers and dialog.count_label.text().startswith(f"{both:,} contact")
    dialog.match.setCurrentIndex(1)  # any
    dialog.update_count()
    assert dialog.filter().any and demo_app.segments.count(dialog.filter()) >= buyers
    dialog.rows[0].value.setText("many")
    dialog.update_count()
    assert "needs a number" in dialog.count_label.text()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled()


def test_nested_filters_open_in_the_json_editor(demo_app: AppContext, qtbot: Any) -> None:
    nested = parse_filter(
        {
            "all": [
                {"field": "orders", "op": ">=", "value": 1},
                {
                    "any": [
                        {"field": "tag", "op": "has", "value": "VIP"},
                        {"field": "age", "op": "<", "value": 40},
                    ]
                },
            ]
        }
    )
    dialog = SegmentBuilderDialog(demo_app.segments.count, "Nested", nested)
    qtbot.addWidget(dialog)
    assert dialog.json_button.isChecked() and dialog.filter() == nested
    dialog.update_count()
    assert dialog.count_label.text().endswith("match")
    dialog.json.setPlainText("{oops")
    dialog.update_count()
    assert "not JSON" in dialog.count_label.text()


def test_saving_from_the_builder_adds_the_segment(window: MainWindow, demo_app: AppContext) -> None:
    dialog = window.segments.edit_segment(None)
    dialog.name.setText("Recent buyers")
    dialog.rows[0].set_condition(Condition("last_order", "in_last_days", 365))
    dialog.accept()
    assert [s.name for s in demo_app.segments.list()] == ["Recent buyers"]
    assert window.contacts_view.segment_filter.currentText() == "Recent buyers"
    assert window.segments.panel.list.count() == 1


def test_tag_owner_and_export_a_segment_with_undo(
    window: MainWindow, demo_app: AppContext, buyers: str, tmp_path: Path
) -> None:
    count = demo_app.segments.count(BUYERS)
    tagged = Group((Condition("tag", "has", "Gold"),))
    window.segments.tag_segment(buyers, "Gold")
    assert demo_app.segments.count(tagged) == count
    window.undo_stack.undo()
    assert demo_app.segments.count(tagged) == 0
    user = demo_app.users.list()[0]
    window.segments.owner_segment(buyers, user.id)
    owned = Group((Condition("owner", "is", user.id),))
    assert demo_app.segments.count(Group((*BUYERS.items, *owned.items))) == count
    target = tmp_path / "buyers.csv"
    window.segments.export_segment(buyers, str(target))
    with target.open(encoding="utf-8") as stream:
        assert len(list(csv.DictReader(stream))) == count


def test_deleting_a_segment_keeps_its_contacts(
    window: MainWindow, demo_app: AppContext, buyers: str
) -> None:
    window.segments.delete_segment(buyers, confirm=False)
    assert demo_app.segments.list() == [] and window.segments.panel.list.count() == 0
    assert demo_app.contacts.count(ListQuery()) == 300
