"""A restore in a team: the restored data takes a new device id, so its change log never
reuses a seq the team has seen with other content, and its new edits are shared from the
first one on (the old id's sync bookkeeping does not carry over)."""

from __future__ import annotations

from crm_desktop.bootstrap import open_app
from crm_desktop.domain.records import ContactDraft, ListQuery
from tests.sync.team import Team, snapshot


def _names(team: Team, index: int) -> list[str]:
    contacts = team.members[index].context.contacts
    return sorted(r.display_name for r in contacts.page(ListQuery()).rows)


def test_a_member_who_restores_a_backup_keeps_sharing(pair: Team) -> None:
    anna, other = pair.members
    anna.context.contacts.create(ContactDraft(first_name="Anna"))
    pair.settle()
    backup = anna.context.maintenance.backup(reason="manual")
    anna.context.contacts.create(ContactDraft(first_name="Bernd"))  # shared, then restored away
    pair.settle()
    old_id = anna.device_id

    anna.context.maintenance.restore(backup)
    folder = anna.context.paths.data_dir
    anna.context.close()
    anna.context = open_app(folder)
    assert anna.device_id != old_id
    anna.context.contacts.create(ContactDraft(first_name="Carla"))  # seq 1 of the new id
    pair.settle()

    # Bernd comes back from the team folder (the old id's journal), Carla goes out.
    assert _names(pair, 0) == _names(pair, 1) == ["Anna", "Bernd", "Carla"]
    assert snapshot(anna.context) == snapshot(other.context)
