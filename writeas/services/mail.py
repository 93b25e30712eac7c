"""Queueing an email: a row in `outgoing_mail`, written in the caller's transaction, so a
request that rolls back sends nothing and one that commits can't lose its mail. The ids
are noted on the session; the queue hears of them after the commit and the worker sends
them (`mail_sending`), never the request."""

from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import has_request_context, request

from writeas import settings
from writeas.core.db import db, forget_on_rollback
from writeas.core.models import OutgoingMail

MADE = "mail.made"
NOT_CONFIGURED = "Email isn't configured on this site (SMTP_HOST is not set)."


def track() -> None:
    """Forget the mail of a transaction that rolled back: its rows never existed."""
    forget_on_rollback(MADE)


def configured() -> bool:
    return bool(settings.current().smtp_host)


def base_url() -> str:
    """SITE_URL, else the address this request came to: links in an email must be
    absolute, and the worker that sends it has no request."""
    configured_url = settings.current().site_url
    if configured_url or not has_request_context():
        return configured_url
    return request.host_url.rstrip("/")


def sender() -> str:
    """MAIL_FROM, else noreply@ the site's own host."""
    chosen = settings.current().mail_from
    if chosen:
        return chosen
    host = urlsplit(base_url()).hostname or "localhost"
    return f"noreply@{host}"


def valid_address(address: str) -> bool:
    _name, parsed = parseaddr(address)
    return bool(parsed) and parsed == address and "@" in address and "\n" not in address


def queue(
    kind: str,
    to: str,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    post_id: str | None = None,
    subscriber_id: int | None = None,
) -> OutgoingMail:
    """One email, queued; the caller commits. A newsletter email names its post and
    subscriber, which the table allows once per pair."""
    mail = OutgoingMail(
        kind=kind, to_address=to, subject=subject, text=text, html=html, headers=headers or {},
        error=None if configured() else NOT_CONFIGURED, post_id=post_id,
        subscriber_id=subscriber_id,
    )
    db.session.add(mail)
    db.session.flush()
    db.session.info.setdefault(MADE, []).append(mail.id)
    return mail
