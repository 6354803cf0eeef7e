"""The Reports section's segment filter: the saved segments are offered (also one saved
after the view was first shown), a report shows the segment's figures (those of the
report service for the same segment) and says which segment; data quality ignores it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.segments import parse_filter
from crm_desktop.gui.host import CONTACTS, REPORTS
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner
from crm_desktop.gui.views.reports import REPORTS as REPORT_LIST


@pytest.fixture
def window(demo_app: AppContext, qtbot: Any) -> MainWindow:
    demo_app.segments.save("Big", parse_filter({"field": "total_spend", "op": ">", "value": 2000}))
    window = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(window)
    window.resize(1360, 820)
    window.show()
    window.sidebar.setCurrentRow(REPORTS)
    return window


def _row(key: str) -> int:
    return [k for k, _title in REPORT_LIST].index(key)


def test_a_report_of_a_segment_shows_its_figures_and_says_so(
    demo_app: AppContext, window: MainWindow
) -> None:
    view = window.reports_view
    view.list.setCurrentRow(_row("sales"))
    everyone = view.document
    assert everyone is not None and "segment" not in view.title.text()
    view.period.setCurrentText("Last 12 months")
    view.period.activated.emit(view.period.currentIndex())
    combo = view.segment
    assert [combo.itemText(i) for i in range(combo.count())] == ["All contacts", "Big"]
    combo.setCurrentIndex(combo.findText("Big"))
    combo.activated.emit(combo.currentIndex())
    document = view.document
    assert document is not None
    assert view.title.text().endswith("· segment Big")
    assert view.title.toolTip().startswith("Segment: Big (")
    big = demo_app.segments.find("Big")
    filters = dataclasses.replace(view.filters(), segment=big.filter, segment_name="Big")
    assert document.sections == demo_app.reports.document(filters, "sales").sections
    unfiltered = demo_app.reports.document(dataclasses.replace(filters, segment=None), "sales")
    assert document.sections != unfiltered.sections  # the segment is a part of the customers
    view.list.setCurrentRow(_row("quality"))  # about every contact: no segment
    assert view.document is not None and view.document.filters == ()


def test_a_segment_saved_later_is_offered_when_the_reports_show_again(
    demo_app: AppContext, window: MainWindow
) -> None:
    window.sidebar.setCurrentRow(CONTACTS)
    demo_app.segments.save("Berlin", parse_filter({"field": "city", "op": "is", "value": "Berlin"}))
    window.sidebar.setCurrentRow(REPORTS)
    combo = window.reports_view.segment
    assert combo.findText("Berlin") > 0
