"""Team sharing through a synced folder (SYNC.md): journal files, merge, conflicts.

The data layer already records what the wire needs (the `change` table: device id,
gap-free seq, HLC stamps, base stamps); the folder transport arrives with its own issue.
"""
