"""Tags: the names in use, for filters and completers."""

from __future__ import annotations

from crm_desktop.services._common import UowFactory


class TagService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def names(self) -> list[str]:
        """Tags in use on live records, by name."""
        with self._uow.read() as uow:
            return uow.tags.names_in_use()
