"""An IMAP account read for the timeline: each new message of the chosen folders that was
exchanged with a known contact is logged (services.maillog), replies mark campaign
responses. The password is in the operating system's keyring, never in a file; what was
read already is remembered per folder (UID and UIDVALIDITY) in the data folder."""

from __future__ import annotations

import contextlib
import dataclasses
import imaplib
import json
import re
import ssl
from pathlib import Path

from crm_desktop.config import Preferences
from crm_desktop.domain.errors import CrmError, NotFoundError, ValidationError
from crm_desktop.domain.mail import ImapResult, ImapSettings
from crm_desktop.exchange.mail import read_eml
from crm_desktop.services.maillog import MailLogService

KEYRING_SERVICE = "crm-desktop imap"


class ImapService:
    def __init__(self, preferences_path: Path, state_path: Path, maillog: MailLogService) -> None:
        self._prefs = preferences_path
        self._state = state_path
        self._maillog = maillog

    def settings(self) -> ImapSettings:
        p = Preferences.load(self._prefs)
        folders = tuple(f.strip() for f in p.imap_folders.split(",") if f.strip()) or ("INBOX",)
        return ImapSettings(
            p.imap_host, p.imap_port, p.imap_security, p.imap_user, folders, p.imap_every_minutes
        )

    def save_settings(self, settings: ImapSettings, password: str | None = None) -> None:
        if settings.security not in ("ssl", "starttls", "none"):
            raise ValidationError("security is one of ssl, starttls, none")
        if not settings.host.strip() or not 0 < settings.port < 65536 or not settings.user:
            raise ValidationError("the mailbox needs a host, a port (1-65535) and a user")
        if not 0 <= settings.every_minutes <= 24 * 60:
            raise ValidationError("read the mailbox every 1 to 1440 minutes (0: by hand)")
        p = dataclasses.replace(
            Preferences.load(self._prefs),
            imap_host=settings.host.strip(),
            imap_port=settings.port,
            imap_security=settings.security,
            imap_user=settings.user.strip(),
            imap_folders=",".join(settings.folders),
            imap_every_minutes=settings.every_minutes,
        )
        p.save(self._prefs)
        if password is not None:
            import keyring
            from keyring.errors import KeyringError

            try:
                keyring.set_password(KEYRING_SERVICE, self._account(settings), password)
            except KeyringError as exc:
                raise CrmError(f"the system keyring cannot keep the password: {exc}") from None

    @staticmethod
    def _account(settings: ImapSettings) -> str:
        return f"{settings.user}@{settings.host}"

    def _password(self, settings: ImapSettings) -> str:
        import keyring
        from keyring.errors import KeyringError

        try:
            password = keyring.get_password(KEYRING_SERVICE, self._account(settings))
        except KeyringError as exc:
            raise CrmError(f"the system keyring cannot give the password: {exc}") from None
        if password is None:
            raise ValidationError(f"no password in the keyring for {settings.user}")
        return password

    def has_password(self, settings: ImapSettings) -> bool:
        """Whether the keyring holds a password for this mailbox (False when it cannot
        be asked)."""
        try:
            self._password(settings)
        except CrmError:
            return False
        return True

    def folders(self, settings: ImapSettings, password: str | None = None) -> list[str]:
        """The folders the server offers (those that can be read), for choosing; with
        the password typed (not yet saved) or the keyring's."""
        conn = self._connect(settings, password)
        try:
            typ, data = conn.list()
            if typ != "OK":
                raise CrmError(f"the mailbox {settings.host} did not list its folders")
            return sorted(
                (name for name in map(_folder_name, data) if name),
                key=lambda n: (n.upper() != "INBOX", n.casefold()),
            )
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def _connect(self, s: ImapSettings, password: str | None = None) -> imaplib.IMAP4:
        try:
            if s.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=ssl.create_default_context(), timeout=30
                )
            else:
                conn = imaplib.IMAP4(s.host, s.port, timeout=30)
                if s.security == "starttls":
                    conn.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise CrmError(f"cannot reach the mailbox {s.host}:{s.port}: {exc}") from None
        try:
            conn.login(s.user, password if password is not None else self._password(s))
        except imaplib.IMAP4.error:
            conn.shutdown()
            raise CrmError(f"the mailbox {s.host} refused the user {s.user} and password") from None
        except CrmError:
            conn.shutdown()
            raise
        return conn

    def read(self) -> ImapResult:
        """Read the new messages of the chosen folders once."""
        settings = self.settings()
        if not settings.host:
            raise ValidationError("no mailbox set: crm-desktop imap-settings --host H --user U")
        state = self._load_state()
        read = logged = unknown = responses = 0
        conn = self._connect(settings)
        try:
            for folder in settings.folders:
                typ, _ = conn.select(_quote(folder), readonly=True)
                if typ != "OK":
                    raise CrmError(f"the mailbox has no folder {folder!r}")
                validity = _untagged(conn, "UIDVALIDITY")
                seen = state.get(folder, {})
                known = seen.get("uid", 0)
                last = (
                    int(known) if isinstance(known, int) and seen.get("validity") == validity else 0
                )
                _typ, data = conn.uid("search", f"UID {last + 1}:*")
                uids = [int(u) for u in (data[0] or b"").split() if int(u) > last]
                for uid in uids:
                    _typ, parts = conn.uid("fetch", str(uid), "(BODY.PEEK[])")
                    raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
                    read += 1
                    try:
                        result = self._maillog.log(read_eml(raw))
                    except (NotFoundError, ValidationError):
                        unknown += 1
                    else:
                        logged += 1 if result.contacts else 0
                        responses += len(result.responded)
                    last = max(last, uid)
                    state[folder] = {"uid": last, "validity": validity}
                    self._save_state(state)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()
        return ImapResult(read, logged, unknown, responses)

    def _load_state(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self._state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_state(self, state: dict[str, dict[str, object]]) -> None:
        tmp = self._state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self._state)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _untagged(conn: imaplib.IMAP4, name: str) -> str:
    _typ, data = conn.response(name)
    return (data[0] or b"").decode() if data and data[0] else ""


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)$')


def _folder_name(line: object) -> str:
    """A folder's name from a LIST answer line ("" for one that cannot be selected)."""
    if not isinstance(line, bytes):
        return ""
    found = _LIST_LINE.match(line)
    if found is None or b"\\noselect" in found["flags"].lower():
        return ""
    name = found["name"].strip()
    if name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2:
        name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    return name.decode("utf-8", "replace")
