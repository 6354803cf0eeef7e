"""Where campaign messages go: a folder of .eml files, a CSV for another mail tool, or an
SMTP server (settings in the preferences, the password in the operating system's keyring
through the `keyring` package, never in a file)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import smtplib
import ssl
from pathlib import Path

from crm_desktop.config import Preferences
from crm_desktop.domain.campaigns import CampaignRecord, Message
from crm_desktop.domain.errors import CrmError, ValidationError
from crm_desktop.domain.mail import SmtpSettings
from crm_desktop.exchange import mail
from crm_desktop.exchange.files import write_atomically
from crm_desktop.services.campaigns import DeliveryError

KEYRING_SERVICE = "crm-desktop smtp"
SECURITY = ("starttls", "ssl", "none")


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-")[:60] or "message"


class EmlFolder:
    """One .eml file per message, named after the contact (a resumed send rewrites the
    same file, never a second one)."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CrmError(f"cannot write to {folder}: {exc.strerror or exc}") from exc
        self.written: list[Path] = []

    def deliver(self, message: Message, campaign: CampaignRecord) -> None:
        if not message.to_email:
            raise DeliveryError("no e-mail address")
        built = mail.build_message(message, self.sender, dt.datetime.now(dt.UTC), campaign.name)
        path = self.folder / f"{_safe(message.to_name)}-{message.contact_id[-12:]}.eml"
        write_atomically(path, lambda s: s.write(mail.eml_bytes(built)))
        self.written.append(path)

    def close(self) -> None:
        pass


class MailCsv:
    """One CSV of every message (address, name, merged subject and body), written when
    the send ends."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.messages: list[Message] = []

    def deliver(self, message: Message, campaign: CampaignRecord) -> None:
        if not message.to_email:
            raise DeliveryError("no e-mail address")
        self.messages.append(message)

    def close(self) -> None:
        write_atomically(self.path, lambda s: mail.write_mail_csv(s, self.messages))


class LetterPdf:
    """Letters: one PDF, a page per member with a postal address (a mail merge),
    written when the send ends."""

    def __init__(self, path: Path, sender: tuple[str, ...] = (), page: str = "A4") -> None:
        from crm_desktop.exchange.letters import PAGES

        if page not in PAGES:
            raise ValidationError(f"letters are on A4 or Letter paper, not {page!r}")
        self.path = Path(path)
        self.sender = sender
        self.page = page
        self.messages: list[Message] = []

    def deliver(self, message: Message, campaign: CampaignRecord) -> None:
        if not message.address:
            raise DeliveryError("no postal address")
        self.messages.append(message)

    def close(self) -> None:
        from crm_desktop.exchange.letters import write_letters

        write_atomically(
            self.path, lambda s: write_letters(s, self.messages, self.sender, self.page)
        )


class SmtpTransport:
    """Sends through one SMTP connection, opened at the first message."""

    def __init__(self, settings: SmtpSettings, password: str | None, timeout: float = 30) -> None:
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user and self.password:
                smtp.login(s.user, self.password)
        except smtplib.SMTPAuthenticationError:
            _close(smtp)
            raise CrmError(
                f"the mail server {s.host} refused the user {s.user} and password"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close(smtp)
            raise CrmError(f"cannot send through {s.host}:{s.port}: {exc}") from None
        return smtp

    def deliver(self, message: Message, campaign: CampaignRecord) -> None:
        if not message.to_email:
            raise DeliveryError("no e-mail address")
        if self._smtp is None:
            self._smtp = self._connect()
        built = mail.build_message(
            message, self.settings.sender, dt.datetime.now(dt.UTC), campaign.name
        )
        try:
            self._smtp.send_message(built)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(
                f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                for code, text in exc.recipients.values()
            )
            raise DeliveryError(f"refused: {reasons}") from None
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise CrmError(f"the connection to {self.settings.host} broke: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise DeliveryError(f"refused: {exc.smtp_code}") from None
            raise CrmError(f"the mail server answered {exc.smtp_code}") from None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.close()


class MailService:
    """The SMTP account of this device."""

    def __init__(self, preferences_path: Path) -> None:
        self._path = preferences_path

    def settings(self) -> SmtpSettings:
        p = Preferences.load(self._path)
        return SmtpSettings(
            p.smtp_host,
            p.smtp_port,
            p.smtp_security,
            p.smtp_user,
            p.smtp_from or p.smtp_user,
            p.smtp_per_minute,
        )

    def save_settings(self, settings: SmtpSettings, password: str | None = None) -> None:
        """Keep the account (and its password, in the keyring, if given)."""
        if settings.security not in SECURITY:
            raise ValidationError(f"security is one of {', '.join(SECURITY)}")
        if not settings.host.strip() or not 0 < settings.port < 65536:
            raise ValidationError("the mail server needs a host name and a port (1-65535)")
        if settings.per_minute < 0:
            raise ValidationError("messages a minute is 0 (no limit) or more")
        p = Preferences.load(self._path)
        p = dataclasses.replace(
            p,
            smtp_host=settings.host.strip(),
            smtp_port=settings.port,
            smtp_security=settings.security,
            smtp_user=settings.user.strip(),
            smtp_from=settings.sender.strip(),
            smtp_per_minute=settings.per_minute,
        )
        p.save(self._path)
        if password is not None:
            self.set_password(settings, password)

    @staticmethod
    def _account(settings: SmtpSettings) -> str:
        return f"{settings.user}@{settings.host}"

    def set_password(self, settings: SmtpSettings, password: str) -> None:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, self._account(settings), password)
        except KeyringError as exc:
            raise CrmError(f"the system keyring cannot keep the password: {exc}") from None

    def password(self, settings: SmtpSettings) -> str | None:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, self._account(settings))
        except KeyringError as exc:
            raise CrmError(f"the system keyring cannot give the password: {exc}") from None

    def transport(self) -> SmtpTransport:
        settings = self.settings()
        if not settings.host:
            raise ValidationError(
                "no mail server set: crm-desktop mail-settings --host HOST --user USER"
            )
        if not settings.sender:
            raise ValidationError("no sender address: set --from or --user in mail-settings")
        password = self.password(settings) if settings.user else None
        if settings.user and password is None:
            raise ValidationError(
                f"no password in the keyring for {settings.user}: set it with mail-settings"
            )
        return SmtpTransport(settings, password)
