"""Records of the duplicate scan and of merges: what the scan found and why, what a merge
would keep, and what a merge did (so it can be undone exactly)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError

KINDS = ("contacts", "companies")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(f"duplicates are found among contacts or companies, not {kind!r}")
    return kind


@dataclass(frozen=True)
class DuplicatePair:
    """Two records of a group and the reasons they look alike, in words."""

    a: str
    b: str
    score: int  # 0-100
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateGroup:
    """Records that are probably one: ids (the first is proposed as the one to keep: the
    most activities, deals and orders, then the oldest), their names, the best pair score,
    and the pairs that tie the group together (in a large group, not every pair: records
    sharing an e-mail are each tied to the first of them)."""

    kind: str  # "contacts" | "companies"
    ids: tuple[str, ...]
    names: tuple[str, ...]
    score: int
    pairs: tuple[DuplicatePair, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every distinct reason of the group, strongest pair first."""
        seen: dict[str, None] = {}
        for pair in sorted(self.pairs, key=lambda p: -p.score):
            for reason in pair.reasons:
                seen.setdefault(reason, None)
        return tuple(seen)


@dataclass(frozen=True)
class MergeField:
    """One field of a merge preview: each record's value as shown, and whose is proposed
    (the kept record's, unless it is empty)."""

    key: str
    label: str
    values: tuple[tuple[str, str], ...]  # (record id, value as text), kept record first
    proposed: str  # record id

    @property
    def differs(self) -> bool:
        return len({text for _, text in self.values}) > 1


@dataclass(frozen=True)
class MergePreview:
    kind: str
    keep_id: str
    other_ids: tuple[str, ...]
    titles: tuple[tuple[str, str], ...]  # (record id, display name), kept record first
    fields: tuple[MergeField, ...]
    # What the kept record will hold after the merge: ("E-mails", ("a@x.de", ...)), ...
    united: tuple[tuple[str, tuple[str, ...]], ...]
    # Rows of the others that move to the kept record: ("activities", 3), ...
    relinked: tuple[tuple[str, int], ...]

    def proposed_choices(self) -> dict[str, str]:
        """The choices `merge` takes when the user changes nothing."""
        return {f.key: f.proposed for f in self.fields}


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: the change set for the screens, and the undo data (the fields of
    every row it changed as they were, and the rows it created)."""

    changes: ChangeSet
    kind: str
    keep_id: str
    other_ids: tuple[str, ...]
    relinked: int  # child rows moved to the kept record
    before: tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...]  # (entity, id, fields)
    created: tuple[tuple[str, str], ...] = ()  # (entity, id)


@dataclass(frozen=True)
class DuplicateHit:
    contact_id: str
    display_name: str
    reason: str
