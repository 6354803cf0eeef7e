"""A person picked by typing: a line edit whose completer lists the contacts the search
finds (name, e-mail, phone, company), so a record is linked, not a name typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStringListModel, Qt, QTimer
from PySide6.QtWidgets import QCompleter, QLineEdit

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


class PersonSearch(QObject):
    """Attach to a QLineEdit. `chosen_id()` is the contact whose name the field shows (None
    when empty); `choose(id, name)` shows one; `unknown()` says the text names nobody."""

    def __init__(self, edit: QLineEdit, context: AppContext) -> None:
        super().__init__(edit)
        self._edit = edit
        self._context = context
        self._ids: dict[str, str] = {}  # the text shown for a hit -> contact id
        self._model = QStringListModel(self)
        self.completer = QCompleter(self._model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        edit.setCompleter(self.completer)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.search)
        edit.textEdited.connect(lambda _text: self._timer.start())

    def choose(self, contact_id: str | None, name: str) -> None:
        if contact_id is None:
            self._edit.clear()
            return
        self._ids[name] = contact_id
        self._edit.setText(name)

    def search(self) -> None:
        """Offer the contacts matching what is typed (two letters at least)."""
        labels = self._find(self._edit.text().strip())
        self._model.setStringList(labels)
        if labels and self._edit.hasFocus():
            self.completer.complete()

    def _find(self, text: str) -> list[str]:
        if len(text) < 2:
            return []
        labels = []
        for hit in self._context.search.search(text, limit=30):
            if hit.entity != "contact":
                continue
            label = f"{hit.title} · {hit.subtitle}" if hit.subtitle else hit.title
            self._ids[label] = hit.id
            labels.append(label)
            if len(labels) == 12:
                break
        return labels

    def chosen_id(self) -> str | None:
        """The contact named in the field; None when it is empty or names nobody known."""
        text = self._edit.text().strip()
        if not text:
            return None
        if text not in self._ids:
            self._find(text)  # typed faster than the search ran
        if text in self._ids:
            return self._ids[text]
        folded = text.casefold()
        matches = {cid for label, cid in self._ids.items() if _name(label) == folded}
        return matches.pop() if len(matches) == 1 else None

    def unknown(self) -> bool:
        return bool(self._edit.text().strip()) and self.chosen_id() is None


def _name(label: str) -> str:
    return label.split(" · ", maxsplit=1)[0].casefold()
