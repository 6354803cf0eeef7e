"""Users: the owners / account managers records are assigned to, and which of them works
on this device (the default owner of new records, whose calendar opens first)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from crm_desktop.config import Preferences
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import Saved, UserRecord
from crm_desktop.persistence.models import User
from crm_desktop.services._common import UowFactory, require


class UserService:
    def __init__(self, uow_factory: UowFactory, preferences_file: Path | None = None) -> None:
        self._uow = uow_factory
        self._preferences_file = preferences_file
        self._me: str | None = None  # read once from the preferences, then kept here

    def create(self, name: str, email: str = "") -> Saved:
        """Add an owner / account manager."""
        if not name.strip():
            raise ValidationError("a user needs a name")
        with self._uow() as uow:
            user = uow.users.add(User(name=name.strip(), email=email.strip()))
            uow.flush()
            return Saved(user.id, uow.commit())

    def list(self) -> list[UserRecord]:
        """Every active user, by name."""
        with self._uow.read() as uow:
            users = sorted(uow.users.all(), key=lambda u: u.name.casefold())
            return [UserRecord(u.id, u.name, u.email) for u in users if u.active]

    def me(self) -> UserRecord | None:
        """The user working on this device: the one chosen (first run, Settings) if still
        active; otherwise the only user there is; None when nobody can tell."""
        users = self.list()
        chosen = self._chosen()
        found = next((u for u in users if u.id == chosen), None)
        if found is None and len(users) == 1:
            found = users[0]
        return found

    def default_owner_id(self) -> str | None:
        """The owner a new contact, company, deal or activity gets unless one is chosen."""
        me = self.me()
        return me.id if me else None

    def set_me(self, user_id: str | None) -> None:
        """Remember who works on this device (kept in this device's preferences)."""
        if user_id:
            with self._uow.read() as uow:
                require(uow.users, user_id, "user")
        self._me = user_id or ""
        if self._preferences_file is not None:
            current = Preferences.load(self._preferences_file)
            replace(current, user_id=self._me).save(self._preferences_file)

    def create_me(self, name: str, email: str = "") -> Saved:
        """Add the user of this device (the first run's "your name") and make them the
        default owner of new records."""
        saved = self.create(name, email)
        self.set_me(saved.id)
        return saved

    def _chosen(self) -> str:
        if self._me is None:
            self._me = (
                Preferences.load(self._preferences_file).user_id
                if self._preferences_file is not None
                else ""
            )
        return self._me
