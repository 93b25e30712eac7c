"""Connected accounts ("channels") on other platforms.

Connecting checks the credentials with the platform itself before anything is stored, so
a typo is caught at once rather than at the first crosspost. Credentials are sealed at rest
and are never part of any response or log line.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from writeas import settings
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.lazy_imports import lazy
from writeas.core.models import Channel, User
from writeas.core.secretbox import SecretBox
from writeas.crossposting.platforms import registry
from writeas.crossposting.platforms.base import Account, Platform, PlatformError
from writeas.services import payload

# The HTTP client loads with the first request this process sends out.
outbound = lazy("writeas.core.outbound")

ACTIVE = "active"
NEEDS_RECONNECT = "needs_reconnect"


def box() -> SecretBox:
    return current_app.extensions["writeas.secretbox"]


def allow_private() -> bool:
    return settings.current().allow_private_network_targets


def http_client():
    seconds = settings.current().outbound_timeout_seconds
    return outbound.client(
        allow_private(), outbound.httpx.Timeout(seconds, connect=min(5.0, seconds))
    )


def platform_of(name: Any) -> Platform:
    platform = registry().get(name) if isinstance(name, str) else None
    if platform is None:
        names = ", ".join(sorted(registry()))
        raise ServiceError(400, f"Parameter `platform` must be one of: {names}.")
    return platform


def _context(channel: Channel) -> str:
    """Sealed credentials open only on the row they were sealed for."""
    return f"channel:{channel.user_id}:{channel.platform}:{channel.handle}"


def credentials(channel: Channel) -> dict:
    return box().open(channel.credentials, _context(channel))


def account(channel: Channel) -> Account:
    """The channel as its adapter sees it: who it is, its credentials, what we know of it."""
    return Account(channel.handle, channel.account_id, credentials(channel), channel.details or {})


def store_credentials(channel: Channel, values: dict) -> None:
    channel.credentials = box().seal(values, _context(channel))


def _credentials(data: Mapping) -> dict:
    values = data.get("credentials")
    if not isinstance(values, Mapping) or not values:
        raise ServiceError(400, "Parameter `credentials` must be an object.")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in values.items()):
        raise ServiceError(400, "Parameter `credentials` must map names to non-empty strings.")
    if len(values) > 10 or any(len(v) > 4096 for v in values.values()):
        raise ServiceError(400, "Parameter `credentials` is too large.")
    return dict(values)


def connect(data: Any, user: User | None) -> Channel:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    data = payload.require_mapping(data)
    platform = platform_of(data.get("platform"))
    handle = payload.required_text(data, "handle", max_length=255).strip().lstrip("@")
    base_url = payload.text(data, "base_url", max_length=500) or platform.default_base_url
    try:
        base_url = outbound.check_base_url(base_url, allow_private())
    except ValueError as error:
        raise ServiceError(400, f"Parameter `base_url` {error}.") from None
    given = _credentials(data)
    try:
        with http_client() as http:
            account = platform.verify(http, base_url, handle, given)
    except PlatformError as error:
        raise ServiceError(error.status, f"{platform.name}: {error.message}") from None
    channel = db.session.scalar(
        select(Channel).where(
            Channel.user_id == user.id,
            Channel.platform == platform.name,
            Channel.handle == account.handle,
        )
    )
    if channel is None:
        channel = Channel(user_id=user.id, platform=platform.name, handle=account.handle)
        db.session.add(channel)
    channel.base_url = base_url
    channel.account_id = account.account_id
    channel.details = dict(account.details)
    channel.status = ACTIVE
    channel.status_reason = ""
    channel.paused_until = None
    store_credentials(channel, account.credentials)
    db.session.commit()
    return channel


def of_user(user: User, platform: Any = None) -> list[Channel]:
    query = select(Channel).where(Channel.user_id == user.id)
    if platform not in (None, ""):
        query = query.where(Channel.platform == platform_of(platform).name)
    return list(db.session.scalars(query.order_by(Channel.id)))


def boards(channel_id: Any, user: User | None) -> list[dict]:
    """The boards a channel can pin to, asked of the platform each time (they change
    there, not here)."""
    channel = owned(channel_id, user)
    platform = platform_of(channel.platform)
    if not platform.needs_board:
        raise ServiceError(400, f"{platform.name} has no boards.")
    current = account(channel)
    before = dict(current.credentials)
    try:
        with http_client() as http:
            found = platform.boards(http, channel.base_url, current)
    except PlatformError as error:
        raise ServiceError(error.status, f"{platform.name}: {error.message}") from None
    finally:
        if current.credentials != before:  # refreshed on the way: the old token is spent
            store_credentials(channel, current.credentials)
            db.session.commit()
    return found


def owned(channel_id: Any, user: User | None) -> Channel:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    number = payload.whole_number(channel_id)
    channel = db.session.get(Channel, number) if number is not None else None
    if channel is None or channel.user_id != user.id:
        raise ServiceError(404, "Channel not found.")
    return channel


def disconnect(channel_id: Any, user: User | None) -> None:
    """Its past deliveries stay (they say what happened); queued ones fail as disconnected."""
    channel = owned(channel_id, user)
    db.session.delete(channel)
    db.session.commit()


def needs_reconnect(channel: Channel, reason: str) -> None:
    channel.status = NEEDS_RECONNECT
    channel.status_reason = reason
    channel.busy_until = None


def pause(channel: Channel, seconds: float) -> None:
    """A platform's rate limit applies to the whole account, so every delivery waits."""
    until = utcnow() + timedelta(seconds=seconds)
    if channel.paused_until is None or channel.paused_until < until:
        channel.paused_until = until
