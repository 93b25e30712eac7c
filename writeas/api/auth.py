"""/api/auth: sign up, log in, log out."""

from flask import Blueprint

from .. import accounts, payload
from ..ratelimits import login_limit
from ..representations import collection_json, user_json
from . import request_body
from .authentication import bearer_token, require_user
from .envelope import no_content, ok

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/signup")
def signup():
    data = payload.require_mapping(request_body.read())
    user, token = accounts.signup(
        payload.required_text(data, "alias", max_length=accounts.ALIAS_MAX * 4),
        payload.required_text(data, "pass", max_length=accounts.PASSWORD_MAX * 4),
        payload.text(data, "email", max_length=1000),
    )
    collections = [collection_json(c, total_posts=0, owner=True) for c in user.collections]
    return ok({"access_token": token, "user": user_json(user), "collections": collections}, 201)


@login_limit
def login():
    data = payload.require_mapping(request_body.read())
    user, token = accounts.login(
        payload.required_text(data, "alias", max_length=1000),
        payload.required_text(data, "pass", max_length=accounts.PASSWORD_MAX * 4),
    )
    return ok({"access_token": token, "user": user_json(user)})


bp.add_url_rule("/login", view_func=login, methods=["POST"])


@bp.delete("/me")
def logout():
    require_user()
    accounts.revoke_token(bearer_token())
    return no_content()
