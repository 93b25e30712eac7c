"""What the browser session knows about the person: who they are (Flask-Login), which
protected blogs they unlocked, and the modify tokens of posts they wrote anonymously in
this session (so they can edit them even without JavaScript).

A session is only as good as its account's session generation and its own row
(`account_sessions`): logging out advances the generation and ends every row, so a copied
cookie stops working on every device at once; /me/settings ends single rows."""

from flask import request, session
from flask_login import current_user, login_user, logout_user

from writeas.core.db import db
from writeas.core.models import Collection, User
from writeas.extensions import login_manager
from writeas.services import account_sessions, payload
from writeas.services.visibility import Reader, unlock_stamp

_TOKENS_KEPT = 30
GENERATION = "generation"
SESSION_ID = "sid"


def user() -> User | None:
    return current_user if current_user.is_authenticated else None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """A session from before the account's last log-out, or of a suspended account, is
    no session at all."""
    number = payload.whole_number(user_id)
    session_id = session.get(SESSION_ID)
    if number is None or not isinstance(session_id, str):
        return None
    found = account_sessions.load(number, session_id)
    if found is None or session.get(GENERATION) != found.session_generation:
        return None
    if found.suspended:
        return None
    return found


def log_in(found: User) -> None:
    login_user(found)
    session[GENERATION] = found.session_generation
    session[SESSION_ID] = account_sessions.start(found, request.headers.get("User-Agent"))


def session_id() -> str | None:
    return session.get(SESSION_ID)


def log_out() -> None:
    """Ends every session of the account, and leaves this browser's session empty."""
    found = user()
    if found is not None:
        found.session_generation += 1
        account_sessions.end_all(found)
        db.session.commit()
    logout_user()
    session.clear()


def forget_everything() -> None:
    """This browser's session after its account is gone."""
    session.clear()


def reader() -> Reader:
    return Reader(user=user(), unlocked=frozenset(session.get("unlocked", ())))


def unlock(collection: Collection) -> None:
    stamp = unlock_stamp(collection)
    unlocked = [s for s in session.get("unlocked", []) if s != stamp]
    session["unlocked"] = [*unlocked, stamp][-_TOKENS_KEPT:]


def remember_token(post_id: str, token: str) -> None:
    tokens = dict(session.get("post_tokens", {}))
    tokens.pop(post_id, None)
    tokens[post_id] = token
    session["post_tokens"] = dict(list(tokens.items())[-_TOKENS_KEPT:])


def token_for(post_id: str) -> str | None:
    return session.get("post_tokens", {}).get(post_id)


def forget_token(post_id: str) -> None:
    tokens = dict(session.get("post_tokens", {}))
    if tokens.pop(post_id, None) is not None:
        session["post_tokens"] = tokens


def remembered_tokens() -> dict[str, str]:
    return dict(session.get("post_tokens", {}))
