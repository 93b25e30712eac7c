"""/api/auth: sign up, log in, log out."""

from flask import Blueprint

from writeas.api.authentication import require_user
from writeas.api.shapes import collection_json, user_json
from writeas.http import request_body
from writeas.http.auth_header import bearer_token
from writeas.http.envelope import no_content, ok
from writeas.http.ratelimits import login_limit
from writeas.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/signup")
def signup():
    user, token = accounts.signup(*accounts.signup_fields(request_body.read()))
    collections = [collection_json(c, total_posts=0, owner=True) for c in user.collections]
    return ok({"access_token": token, "user": user_json(user), "collections": collections}, 201)


@login_limit
def login():
    user, token = accounts.login(*accounts.login_fields(request_body.read()))
    return ok({"access_token": token, "user": user_json(user)})


bp.add_url_rule("/login", view_func=login, methods=["POST"])


@bp.delete("/me")
def logout():
    require_user()
    accounts.revoke_token(bearer_token())
    return no_content()
