"""What an admin does to accounts: find them, suspend and unsuspend them, make and unmake
admins. The /admin pages and `flask admin …` both call these.

Suspending ends the account's sessions (its session generation moves on) and moves the
content version of its blogs, so no cached page, feed or ETag of theirs outlives it;
everything else (404s, refused tokens and log-ins, no federation or crossposts) follows
from `User.suspended`, which the visibility rules and the delivery engines read.
"""

from sqlalchemy import func, select

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, User
from writeas.reads.content_versions import bump_blogs
from writeas.services import account_deletion, accounts, password_reset

PAGE_SIZE = 50
QUERY_MAX = 100


def user_named(alias: str) -> User:
    user = accounts.find_user(alias) if alias and len(alias) <= QUERY_MAX else None
    if user is None:
        raise ServiceError(404, "User doesn't exist.")
    return user


def users(query: str = "", page: int = 1) -> tuple[list[User], int]:
    """One page of accounts, newest first, whose alias or email holds `query`; and the
    number of pages."""
    query = (query or "").strip()[:QUERY_MAX]
    found = select(User)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = found.where(
            User.username.ilike(pattern, escape="\\") | User.email.ilike(pattern, escape="\\")
        )
    total = db.session.scalar(select(func.count()).select_from(found.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        found.order_by(User.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return list(rows), pages


def set_suspended(alias: str, suspended: bool, by: User | None = None) -> User:
    user = user_named(alias)
    if by is not None and user.id == by.id:
        raise ServiceError(400, "You can't suspend yourself.")
    if user.suspended != suspended:
        user.suspended = suspended
        user.session_generation += 1
        blogs = set(db.session.scalars(select(Collection.id).where(Collection.owner_id == user.id)))
        bump_blogs(db.session, blogs)
        db.session.commit()
    return user


def set_admin(alias: str, admin: bool, by: User | None = None) -> User:
    user = user_named(alias)
    if by is not None and user.id == by.id and not admin:
        raise ServiceError(400, "You can't remove your own admin role.")
    user.is_admin = admin
    db.session.commit()
    return user


def delete_user(alias: str, confirm: str, by: User | None = None) -> str:
    """Everything of the account goes, as when its owner deletes it (`account_deletion`).
    The alias is typed again: a slip of the mouse on a list of users mustn't do this."""
    user = user_named(alias)
    if by is not None and user.id == by.id:
        raise ServiceError(400, "Delete your own account from your settings.")
    if (confirm or "").strip() != user.username:
        raise ServiceError(400, f"Type {user.username} to confirm the deletion.")
    account_deletion.delete_account(user)
    return alias


def send_reset(alias: str) -> User:
    """A reset link to the address the account gave; sent by the worker after the commit."""
    user = user_named(alias)
    password_reset.send_password_reset(user)
    db.session.commit()
    return user


def require_admin(user: User | None) -> User:
    """Pages of /admin answer 404 to everyone else: they don't say they exist."""
    if user is None or not user.is_admin or user.suspended:
        raise ServiceError(404, "Page not found.")
    return user
