"""The error types every layer raises; each carries a message a person can read.

The faces (window, command line) catch `CrmError` and show `str(error)` as one line.
"""

from __future__ import annotations


class CrmError(Exception):
    """Base of every expected failure: bad input, missing record, unsafe location."""


class NotFoundError(CrmError):
    """A record asked for by id does not exist (or is in the Trash when that matters)."""


class ValidationError(CrmError):
    """Input that breaks a rule of the domain (empty name, bad e-mail, negative value)."""


class UnsafeLocationError(CrmError):
    """The live database would sit in a synced or network folder (see SYNC.md)."""


class DatabaseError(CrmError):
    """The database file is unreadable, corrupt, locked or from a newer version."""


class BackupError(CrmError):
    """A backup could not be written or a restore could not be done."""


class PermissionDenied(CrmError):
    """The database server refused a change this person's role may not make."""


class DamagedDatabaseError(DatabaseError):
    """The database file is damaged (truncated, a bad header, malformed pages): restore a
    backup (`crm-desktop restore FILE`; `crm-desktop doctor` says which)."""


class DatabaseBusyError(DatabaseError):
    """Another program held the database past the lock timeout, or has it open while a
    restore needs it to itself."""


class DiskFullError(CrmError):
    """The disk (or the user's quota) is full: nothing was written."""


class ReadOnlyError(CrmError):
    """The data folder or the database file cannot be written: reading still works."""


class AlreadyDoneError(CrmError):
    """The thing asked for is already there (demo data in a database that has it)."""
