"""Printing shared by the views: A4 pages, HTML documents, the preview dialog and the same
pages written to a PDF file (what the tests and "save as PDF" use). QtPrintSupport is
imported when something is printed, not at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtWidgets import QWidget


def a4(printer: Any, landscape: bool = False, margin_mm: float = 15) -> None:
    orientation = (
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    margins = QMarginsF(margin_mm, margin_mm, margin_mm, margin_mm)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation, margins))


def print_html(printer: Any, html: str) -> None:
    """An HTML document on portrait A4 pages."""
    a4(printer)
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)


def preview(parent: QWidget, title: str, paint: Callable[[Any], None]) -> None:
    """The print preview (with the system's print dialog behind its Print button)."""
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(title)
    dialog.paintRequested.connect(paint)
    dialog.exec()


def to_pdf(path: str, paint: Callable[[Any], None]) -> None:
    """The pages `paint` draws, written to a PDF file."""
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    paint(printer)
