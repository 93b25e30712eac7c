"""What the browser session knows about the person: who they are (Flask-Login), which
protected blogs they unlocked, and the modify tokens of posts they wrote anonymously in
this session (so they can edit them even without JavaScript)."""

from flask import session
from flask_login import current_user

from ..models import User
from ..visibility import Reader

_TOKENS_KEPT = 30


def user() -> User | None:
    return current_user if current_user.is_authenticated else None


def reader() -> Reader:
    return Reader(user=user(), unlocked=frozenset(session.get("unlocked", ())))


def unlock(collection_id: int) -> None:
    unlocked = [i for i in session.get("unlocked", []) if i != collection_id]
    session["unlocked"] = [*unlocked, collection_id][-_TOKENS_KEPT:]


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
