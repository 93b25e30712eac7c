"""Sending one queued email through SMTP, and the sweep that keeps mail moving.

The row is the truth. A worker claims it with the same conditional UPDATE and lease as
every other delivery (`core/leases.py`), then talks to the server step by step, so it
knows how far it got. Before DATA nothing can have been delivered: a refused connection,
a dropped one or a 4xx reply is retried later with backoff, a 5xx reply fails the row with
the server's words. SMTP has no idempotency handle, so once the message itself is on its
way (`data_sent`, committed first) only the server's own reply settles it: 250 is sent, a
4xx or 5xx reply is a refusal the server owns (retried or failed as before), and anything
else — a dropped connection, a timeout, a worker that died — is `unconfirmed`, never a
second copy in somebody's inbox.
"""

import logging
import random
import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from sqlalchemy import select, update

from writeas import settings
from writeas.core import leases
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import MailStatus as Status
from writeas.core.models import OutgoingMail
from writeas.services import mail as mail_queue
from writeas.services import newsletters

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30.0  # seconds
BACKOFF_CAP = 3600.0
UNCONFIRMED = (
    "The connection ended after the message was handed to the server, before it answered; "
    "SMTP offers no way to ask whether it was accepted, so it is not sent again."
)

# What one attempt came to.
SENT, RETRY, FAILED, NO_ANSWER, LOST = "sent", "retry", "failed", "no answer", "lost"


class _Refused(Exception):
    """The server answered a step with a code other than success."""

    def __init__(self, code: int, reply: bytes | str):
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        super().__init__(f"{code} {text}".strip())
        self.code = code


def lease() -> timedelta:
    return timedelta(seconds=settings.current().mail_lease_seconds)


def backoff(attempt: int) -> float:
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))  # noqa: S311


def message(mail: OutgoingMail) -> EmailMessage:
    built = EmailMessage()
    built["From"] = mail_queue.sender()
    built["To"] = mail.to_address
    built["Subject"] = mail.subject
    built["Date"] = formatdate(localtime=False)
    built["Message-ID"] = make_msgid(idstring=mail.id, domain=built["From"].split("@")[-1])
    for name, value in (mail.headers or {}).items():
        built[name] = value
    built.set_content(mail.text)
    if mail.html:
        built.add_alternative(mail.html, subtype="html")
    return built


def run(mail_id: str) -> float | None:
    """Attempt one email; answers when to try again (None: no need)."""
    if not mail_queue.configured():
        return None  # it waits, with its reason, until the site has a server
    if not leases.claim(OutgoingMail, mail_id, lease()):
        return None
    mail = db.session.get(OutgoingMail, mail_id)
    held_until = mail.locked_until
    withdrawn = newsletters.withdrawn(mail.post_id) if mail.post_id else None
    outcome, error = (FAILED, withdrawn) if withdrawn else _send(mail, held_until)
    if outcome == LOST:
        db.session.rollback()
        log.warning("Mail %s outlived its lease; the sweep passed it on.", mail_id)
        return None
    _apply(mail, outcome, error)
    mail.updated = utcnow()
    db.session.commit()
    if mail.status == Status.QUEUED:
        return max(0.0, (mail.next_attempt_at - utcnow()).total_seconds())
    return None


def _connect() -> smtplib.SMTP:
    chosen = settings.current()
    port = chosen.smtp_port or settings.SMTP_TLS_MODES[chosen.smtp_tls]
    timeout = chosen.smtp_timeout_seconds
    if chosen.smtp_tls == "tls":
        server = smtplib.SMTP_SSL(chosen.smtp_host, port, timeout=timeout)
    else:
        server = smtplib.SMTP(chosen.smtp_host, port, timeout=timeout)
    server.ehlo()
    if chosen.smtp_tls == "starttls":
        code, reply = server.starttls()
        if code != 220:
            raise _Refused(code, reply)
        server.ehlo()
    if chosen.smtp_user:
        server.login(chosen.smtp_user, chosen.smtp_password)
    return server


def _send(mail: OutgoingMail, held_until) -> tuple[str, str | None]:
    built = message(mail)
    try:
        server = _connect()
    except smtplib.SMTPResponseException as error:
        return _refusal(error.smtp_code, error.smtp_error)
    except _Refused as error:
        return _refusal(error.code, str(error))
    except (OSError, smtplib.SMTPException) as error:
        return RETRY, f"Could not reach the SMTP server: {_describe(error)}"
    try:
        return _transact(server, mail, built, held_until)
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def _transact(server: smtplib.SMTP, mail: OutgoingMail, built: EmailMessage, held_until):
    try:
        code, reply = server.mail(mail_queue.sender())
        if code != 250:
            return _refusal(code, reply)
        code, reply = server.rcpt(mail.to_address)
        if code not in (250, 251):
            return _refusal(code, reply)
    except (OSError, smtplib.SMTPException) as error:
        return RETRY, f"The SMTP server dropped the connection: {_describe(error)}"
    if not _mark_data_sent(mail, held_until):
        return LOST, None
    try:
        code, reply = server.data(built.as_bytes(policy=SMTP_POLICY))
    except smtplib.SMTPDataError as error:
        return _refusal(error.smtp_code, error.smtp_error)
    except (OSError, smtplib.SMTPException):
        return NO_ANSWER, UNCONFIRMED
    if code != 250:  # the server refused the message it was handed: it owns that answer
        return _refusal(code, reply)
    return SENT, None


def _mark_data_sent(mail: OutgoingMail, held_until) -> bool:
    """Renew the lease and record, in its own commit, that the message is about to go."""
    until = leases.renew(OutgoingMail, mail.id, held_until, lease())
    if until is None:
        return False
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail.id)
        .values(data_sent=True)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def _refusal(code: int, reply) -> tuple[str, str]:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    words = f"The SMTP server answered {code} {text}".strip()
    return (RETRY if 400 <= code < 500 else FAILED), words


def _describe(error: Exception) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__


def _apply(mail: OutgoingMail, outcome: str, error: str | None) -> None:
    mail.locked_until = None
    if outcome == SENT:
        mail.status, mail.error, mail.sent_at = Status.SENT, None, utcnow()
    elif outcome == RETRY and mail.attempts < MAX_ATTEMPTS:
        mail.status, mail.error = Status.QUEUED, error
        mail.data_sent = False  # the server refused it: nothing was delivered
        mail.next_attempt_at = utcnow() + timedelta(seconds=backoff(mail.attempts))
    elif outcome == RETRY:
        mail.status, mail.error = Status.FAILED, f"Gave up after {mail.attempts} attempts: {error}"
    elif outcome == NO_ANSWER:
        mail.status, mail.error = Status.UNCONFIRMED, error
    else:
        mail.status, mail.error = Status.FAILED, error


def sweep(enqueue) -> int:
    """Resolve mail whose worker died (expired lease) and enqueue what is due and nobody
    enqueued. Answers how many were enqueued."""
    now = utcnow()
    stuck = db.session.scalars(
        select(OutgoingMail).where(
            OutgoingMail.status == Status.SENDING, OutgoingMail.locked_until < now
        )
    ).all()
    for mail in stuck:
        if leases.renew(OutgoingMail, mail.id, mail.locked_until, lease()) is None:
            continue  # its worker renewed the lease after all: it is alive
        mail.locked_until = None
        if mail.data_sent:
            mail.status = Status.UNCONFIRMED
            mail.error = f"The worker stopped while sending. {UNCONFIRMED}"
        else:
            mail.status, mail.next_attempt_at = Status.QUEUED, now
    db.session.commit()
    if not mail_queue.configured():
        return 0
    due = db.session.scalars(
        select(OutgoingMail.id).where(
            OutgoingMail.status == Status.QUEUED,
            (OutgoingMail.next_attempt_at.is_(None)) | (OutgoingMail.next_attempt_at <= now),
        )
    ).all()
    for mail_id in due:
        enqueue(mail_id)
    return len(due)
