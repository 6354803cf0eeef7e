"""Convergent ids (SYNC.md point 14): what every device would create alike gets the same
id on every device, so two devices that each make it end with one record, not two (the
change log merges the two creations field by field)."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("9b3c1f0e-5a47-4d2b-8e61-2f7a0c9d4e15")


def convergent_id(kind: str, key: str) -> str:
    """A UUID (version 5) from what the record is: its kind and its natural key."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}\x1f{key}"))


def tag_key(name: str) -> str:
    """A tag's natural key: its name without case or surrounding space ("VIP" = "vip")."""
    return " ".join(name.split()).casefold()


def tag_id(name: str) -> str:
    """The id of the tag of this name on every device."""
    return convergent_id("tags", tag_key(name))
