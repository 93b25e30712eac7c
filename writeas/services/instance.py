"""The instance's settings that an admin changes live (/admin, `flask admin settings`):
the environment gives each its default, a row in `instance_settings` overrides it.

They are read once per request or task (kept on `flask.g`), never cached for the life of
a process: with several workers, a change made through one is seen by the others on
their next request. Reading them is one primary-key scan of a table of a few rows.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from flask import g, has_app_context
from sqlalchemy import select
from sqlalchemy import update as sql_update

from writeas import settings
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, InstanceSetting, Post
from writeas.reads.content_versions import bump_blogs
from writeas.services import payload

REGISTRATION = ("open", "invite", "closed")
# A blog made password-protected needs a password, which a new blog doesn't have.
NEW_BLOG_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE)
PAGES = ("about", "privacy", "contact")
TEXT_MAX = 200
PAGE_MAX = 100_000
BLOGS_MAX = 10_000
_CACHED = "instance_settings"


@dataclass(frozen=True)
class Instance:
    site_name: str
    site_description: str
    registration: str
    max_blogs: int
    default_visibility: str
    public_reader: bool
    federation: bool
    user_invites: bool
    about: str = ""
    privacy: str = ""
    contact: str = ""


def defaults() -> Instance:
    env = settings.current()
    return Instance(
        site_name=env.site_name,
        site_description=env.site_description,
        registration=env.registration if env.registration in REGISTRATION else "open",
        max_blogs=env.max_collections_per_user,
        default_visibility=(
            env.default_visibility
            if env.default_visibility in NEW_BLOG_VISIBILITIES
            else Visibility.PUBLIC
        ),
        public_reader=env.public_reader,
        federation=env.federation,
        user_invites=env.user_invites,
    )


_KINDS = {f.name: f.type for f in fields(Instance)}


def _decoded(name: str, raw: str) -> Any:
    kind = _KINDS[name]
    if kind in (bool, "bool"):
        return raw == "1"
    if kind in (int, "int"):
        return int(raw)
    return raw


def _encoded(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def current() -> Instance:
    """The settings in force for this request or task."""
    cached = g.get(_CACHED) if has_app_context() else None
    if cached is not None:
        return cached
    stored = {
        row.name: _decoded(row.name, row.value)
        for row in db.session.scalars(select(InstanceSetting))
        if row.name in _KINDS
    }
    found = replace(defaults(), **stored)
    if has_app_context():
        setattr(g, _CACHED, found)
    return found


def _choice(data, name: str, allowed) -> str | None:
    value = payload.text(data, name, max_length=40)
    if value is None:
        return None
    if value not in allowed:
        raise ServiceError(400, f"Parameter `{name}` must be one of: {', '.join(allowed)}.")
    return value


def _flag(data, name: str) -> bool | None:
    value = payload.text(data, name, max_length=10)
    if value is None:
        return None
    if value.lower() not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
        raise ServiceError(400, f"Parameter `{name}` must be on or off.")
    return value.lower() in ("1", "true", "on", "yes")


def _changes(data: Any) -> dict[str, Any]:
    """What a settings form or a CLI call changes; a name it doesn't carry stays as it
    is. Checkboxes send nothing when unticked, so a form names them in `flags`."""
    data = payload.require_mapping(data)
    changes: dict[str, Any] = {}
    for name in ("site_name", "site_description"):
        value = payload.text(data, name, max_length=TEXT_MAX * 4)
        if value is not None:
            value = value.strip()
            if len(value) > TEXT_MAX:
                raise ServiceError(
                    400, f"Parameter `{name}` must be at most {TEXT_MAX} characters."
                )
            if name == "site_name" and not value:
                raise ServiceError(400, "Parameter `site_name` can't be empty.")
            changes[name] = value
    registration = _choice(data, "registration", REGISTRATION)
    if registration is not None:
        changes["registration"] = registration
    visibility = _choice(data, "default_visibility", [str(v) for v in NEW_BLOG_VISIBILITIES])
    if visibility is not None:
        changes["default_visibility"] = visibility
    if data.get("max_blogs") not in (None, ""):
        number = payload.whole_number(data.get("max_blogs"))
        if number is None or not 1 <= number <= BLOGS_MAX:
            raise ServiceError(
                400, f"Parameter `max_blogs` must be a number from 1 to {BLOGS_MAX}."
            )
        changes["max_blogs"] = number
    flags = payload.text(data, "flags", max_length=200)
    for name in ("public_reader", "federation", "user_invites"):
        value = _flag(data, name)
        if value is None and flags and name in flags.split(","):
            value = False  # an unticked checkbox of a form that shows it
        if value is not None:
            changes[name] = value
    for name in PAGES:
        value = payload.text(data, name, max_length=PAGE_MAX)
        if value is not None:
            changes[name] = value.strip()
    return changes


def update(data: Any) -> Instance:
    """Apply the changes in `data`, all or none."""
    changes = _changes(data)
    now = utcnow()
    for name, value in changes.items():
        row = db.session.get(InstanceSetting, name)
        if row is None:
            db.session.add(InstanceSetting(name=name, value=_encoded(value), updated=now))
        else:
            row.value, row.updated = _encoded(value), now
    if "site_name" in changes:  # pages show it: none may stay cached (a rare, whole-site write)
        db.session.execute(sql_update(Post).values(content_version=Post.content_version + 1))
        bump_blogs(db.session, set(db.session.scalars(select(Collection.id))))
    db.session.commit()
    if has_app_context():
        g.pop(_CACHED, None)
    return current()


def page(name: str) -> str:
    """An instance page's Markdown (About, Privacy, Contact); 404 while it is empty."""
    text = getattr(current(), name, "") if name in PAGES else ""
    if not text:
        raise ServiceError(404, "Page not found.")
    return text
