"""Users: the owners / account managers records are assigned to."""

from __future__ import annotations

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import Saved, UserRecord
from crm_desktop.persistence.models import User
from crm_desktop.services._common import UowFactory


class UserService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def create(self, name: str, email: str = "") -> Saved:
        """Add an owner / account manager."""
        if not name.strip():
            raise ValidationError("a user needs a name")
        with self._uow() as uow:
            user = uow.users.add(User(name=name.strip(), email=email.strip()))
            uow.session.flush()
            return Saved(user.id, uow.commit())

    def list(self) -> list[UserRecord]:
        """Every active user, by name."""
        with self._uow.read() as uow:
            users = sorted(uow.users.all(), key=lambda u: u.name.casefold())
            return [UserRecord(u.id, u.name, u.email) for u in users if u.active]
