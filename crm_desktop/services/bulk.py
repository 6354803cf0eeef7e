"""Bulk operations on a selection: tag, untag, owner, stage, Trash and back.

Each is one transaction of set-based statements (persistence/bulk_edit.py), validated
before anything is written (all or nothing), recorded in the change log like any edit,
and returns a `BulkResult` whose `undo` takes it back as one step through `undo`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from crm_desktop.domain.bulk import (
    BulkResult,
    BulkUndo,
    Edit,
    FieldEdit,
    TrashEdit,
    inverse,
    plural,
)
from crm_desktop.domain.errors import ValidationError
from crm_desktop.persistence import bulk_edit
from crm_desktop.persistence.models import (
    Activity,
    DealStageHistory,
    Reason,
    Stage,
    Tag,
    Tagging,
    new_id,
)
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require
from crm_desktop.services.followups import planned_rows, templates_for_stage

# The records each operation takes: entity -> (noun, the tagging's target kind).
NOUNS = {"contacts": "contact", "companies": "company", "deals": "deal", "activities": "activity"}
TAGGABLE = ("contacts", "companies")
OWNED = ("contacts", "companies", "deals")
TRASHABLE = ("contacts", "companies", "deals", "activities")
TAG_LENGTH = 100
# What a deal's move to a stage writes on the deal (and what its undo writes back).
STAGE_FIELDS = (
    "stage_id",
    "status",
    "stage_entered_at",
    "closed_at",
    "reason_id",
    "close_note",
    "position",
)


def _entity(entity: str, allowed: Sequence[str], what: str) -> str:
    if entity not in allowed:
        raise ValidationError(f"{what} works on {', '.join(allowed)}, not {entity!r}")
    return NOUNS[entity]


def _ids(ids: Iterable[str]) -> list[str]:
    selection = list(dict.fromkeys(i for i in ids if i))
    if not selection:
        raise ValidationError("nothing is selected")
    return selection


class BulkService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    # ---- tags -----------------------------------------------------------------------------

    def tag(self, entity: str, ids: Iterable[str], tag: str) -> BulkResult:
        """Tag every record of the selection (those tagged already are left alone); a new
        tag name makes the tag."""
        noun = _entity(entity, TAGGABLE, "tagging")
        name, selection = _tag_name(tag), _ids(ids)
        with self._uow() as uow:
            bulk_edit.require_all(uow, entity, selection, noun, live=True)
            tag_id = _tag_id(uow, name)
            targets = bulk_edit.untagged(uow, tag_id, noun, selection)
            rows = [
                {"id": new_id(), "tag_id": tag_id, "target_id": t, "target_kind": noun}
                for t in targets
            ]
            uow.insert_rows(Tagging, rows)
            changes = uow.commit()
        # New rows are undone as if they had come back from the Trash: back in it.
        done = [TrashEdit("taggings", tuple(r["id"] for r in rows), deleted=False)]
        label = f"Tag {plural(len(targets), noun)} with {name}"
        return BulkResult(
            label, entity, tuple(targets), changes, inverse(label, entity, targets, done)
        )

    def untag(self, entity: str, ids: Iterable[str], tag: str) -> BulkResult:
        """Take a tag off every record of the selection that carries it."""
        noun = _entity(entity, TAGGABLE, "untagging")
        name, selection = _tag_name(tag), _ids(ids)
        stamp = now()
        with self._uow() as uow:
            bulk_edit.require_all(uow, entity, selection, noun)
            existing = uow.tags.by_name(name)
            found = bulk_edit.taggings(uow, existing.id, selection) if existing else []
            edit = TrashEdit("taggings", tuple(t for t, _r in found), deleted=True)
            done = [bulk_edit.apply(uow, edit, stamp)]
            changes = uow.commit()
        targets = list(dict.fromkeys(r for _t, r in found))
        label = f"Untag {plural(len(targets), noun)} ({name})"
        return BulkResult(
            label, entity, tuple(targets), changes, inverse(label, entity, targets, done)
        )

    # ---- owner ----------------------------------------------------------------------------

    def set_owner(self, entity: str, ids: Iterable[str], owner_id: str | None) -> BulkResult:
        """Give every record of the selection to one owner (None: to nobody)."""
        noun = _entity(entity, OWNED, "setting the owner")
        selection = _ids(ids)
        stamp = now()
        with self._uow() as uow:
            owner = require(uow.users, owner_id, "user") if owner_id else None
            found = bulk_edit.require_all(uow, entity, selection, noun, ("owner_id",), live=True)
            rows = tuple(
                (i, (found[i][1],), (owner_id,)) for i in selection if found[i][1] != owner_id
            )
            done: list[Edit] = [bulk_edit.apply(uow, FieldEdit(entity, ("owner_id",), rows), stamp)]
            changes = uow.commit()
        targets = [row[0] for row in rows]
        who = owner.name if owner else "nobody"
        label = f"Give {plural(len(targets), noun)} to {who}"
        return BulkResult(
            label, entity, tuple(targets), changes, inverse(label, entity, targets, done)
        )

    # ---- deals to a stage -----------------------------------------------------------------

    def move_stage(
        self,
        ids: Iterable[str],
        stage_id: str,
        reason_id: str | None = None,
        note: str = "",
    ) -> BulkResult:
        """Move the selected deals to a stage of their pipeline, all or none: every deal
        must be in the stage's pipeline, and a won or lost stage needs a reason from the
        list. Each move is recorded in the stage history, and the follow-up templates
        bound to the stage are planned, as for a deal dropped on the board."""
        selection = _ids(ids)
        stamp = now()
        with self._uow() as uow:
            stage = require(uow.repository(Stage), stage_id, "stage")
            closed = stage.kind in ("won", "lost")
            if closed and reason_id not in _reasons(uow, stage.kind):
                raise ValidationError(
                    f"marking deals {stage.kind} needs a {stage.kind} reason from the list"
                )
            extra = ("pipeline_id", "owner_id", "contact_id", "company_id")
            found = bulk_edit.require_all(
                uow, "deals", selection, "deal", (*STAGE_FIELDS, *extra), live=True
            )
            state = {
                i: dict(zip(("deleted_at", *STAGE_FIELDS, *extra), v, strict=True))
                for i, v in found.items()
            }
            elsewhere = [i for i in selection if state[i]["pipeline_id"] != stage.pipeline_id]
            if elsewhere:
                raise ValidationError(
                    f"{plural(len(elsewhere), 'deal')} of the selection "
                    f"{'is' if len(elsewhere) == 1 else 'are'} in another pipeline: "
                    "deals move within their pipeline"
                )
            moving = [i for i in selection if state[i]["stage_id"] != stage.id]
            first = bulk_edit.next_position(uow, stage.id)
            after = (
                stage.id,
                stage.kind,
                stamp,
                stamp if closed else None,
                reason_id if closed else None,
                note.strip() if closed else "",
            )
            rows = tuple(
                (i, tuple(state[i][f] for f in STAGE_FIELDS), (*after, first + n))
                for n, i in enumerate(moving)
            )
            done: list[Edit] = [bulk_edit.apply(uow, FieldEdit("deals", STAGE_FIELDS, rows), stamp)]
            history = [
                {
                    "id": new_id(),
                    "deal_id": i,
                    "from_stage_id": state[i]["stage_id"],
                    "to_stage_id": stage.id,
                    "moved_at": stamp,
                    "user_id": state[i]["owner_id"],
                }
                for i in moving
            ]
            uow.insert_rows(DealStageHistory, history)
            done.append(TrashEdit("deal_stage_history", tuple(h["id"] for h in history), False))
            planned = _plan_for_stage(uow, stage.id, [state[i] | {"id": i} for i in moving])
            done.append(TrashEdit("activities", tuple(planned), False))
            changes = uow.commit()
        label = f"Move {plural(len(moving), 'deal')} to {stage.name}"
        return BulkResult(
            label, "deals", tuple(moving), changes, inverse(label, "deals", moving, done)
        )

    # ---- the Trash ------------------------------------------------------------------------

    def delete(self, entity: str, ids: Iterable[str]) -> BulkResult:
        """Move the selected records to the Trash (a soft delete: restorable, synced)."""
        return self._trash(entity, ids, deleted=True)

    def restore(self, entity: str, ids: Iterable[str]) -> BulkResult:
        """Bring the selected records back from the Trash."""
        return self._trash(entity, ids, deleted=False)

    def _trash(self, entity: str, ids: Iterable[str], deleted: bool) -> BulkResult:
        noun = _entity(entity, TRASHABLE, "the Trash")
        selection = _ids(ids)
        stamp = now()
        with self._uow() as uow:
            bulk_edit.require_all(uow, entity, selection, noun)
            done = bulk_edit.apply(uow, TrashEdit(entity, tuple(selection), deleted), stamp)
            changes = uow.commit()
        assert isinstance(done, TrashEdit)
        verb = "Move" if deleted else "Restore"
        where = "to the Trash" if deleted else "from the Trash"
        label = f"{verb} {plural(len(done.ids), noun)} {where}"
        return BulkResult(
            label, entity, done.ids, changes, inverse(label, entity, done.ids, [done])
        )

    # ---- undo -----------------------------------------------------------------------------

    def undo(self, token: BulkUndo) -> BulkResult:
        """Take a bulk operation back in one transaction (or, given the `undo` of an
        undo's result, do it again). Rows edited since keep their newer values."""
        stamp = now()
        with self._uow() as uow:
            done = [bulk_edit.apply(uow, edit, stamp) for edit in token.edits]
            changes = uow.commit()
        return BulkResult(
            token.label,
            token.entity,
            token.ids,
            changes,
            inverse(token.label, token.entity, token.ids, done),
        )


def _tag_name(tag: str) -> str:
    name = " ".join(tag.split())
    if not name:
        raise ValidationError("a tag needs a name")
    if len(name) > TAG_LENGTH:
        raise ValidationError(f"a tag is at most {TAG_LENGTH} characters long")
    return name


def _tag_id(uow: UnitOfWork, name: str) -> str:
    """The id of the tag of this name (any case), made if there is none."""
    existing = uow.tags.by_name(name)
    if existing is not None:
        return existing.id
    tag_id = new_id()
    uow.insert_rows(Tag, [{"id": tag_id, "name": name}])
    return tag_id


def _reasons(uow: UnitOfWork, kind: str) -> set[str]:
    return {r.id for r in uow.repository(Reason).all() if r.kind == kind}


def _plan_for_stage(uow: UnitOfWork, stage_id: str, deals: list[dict[str, Any]]) -> list[str]:
    """The follow-up templates bound to a stage, planned for the deals entering it (each
    with its contact, owner and company, the contact's when the deal has none)."""
    templates = templates_for_stage(uow, stage_id)
    if not templates or not deals:
        return []
    contacts = bulk_edit.current(
        uow,
        "contacts",
        [d["contact_id"] for d in deals if d["contact_id"]],
        ("owner_id", "company_id"),
    )
    start = now().date()
    rows: list[dict[str, Any]] = []
    for deal in deals:
        _deleted, contact_owner, contact_company = contacts.get(
            deal["contact_id"], (None, None, None)
        )
        for template in templates:
            rows += planned_rows(
                template,
                start,
                deal["contact_id"],
                deal["id"],
                deal["owner_id"] or contact_owner,
                deal["company_id"] or contact_company,
            )
    for row in rows:
        row["id"] = new_id()
    uow.insert_rows(Activity, rows)
    return [row["id"] for row in rows]
