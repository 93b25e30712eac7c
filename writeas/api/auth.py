"""/api/auth: sign up, log in, log out."""

from flask import Blueprint

from writeas.api import shapes
from writeas.api.authentication import require_user
from writeas.api.openapi import operation
from writeas.http import request_body
from writeas.http.auth_header import bearer_token
from writeas.http.envelope import no_content, ok
from writeas.http.ratelimits import login_limit
from writeas.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/signup")
@operation(
    id="signup", summary="Sign up; creates the blog of the same alias.", tag="Users",
    answer=shapes.SignedUp, status=201, errors=(400, 403, 404, 409, 410),
    body=shapes.SignupRequest,
)
def signup():
    user, token = accounts.signup(*accounts.signup_fields(request_body.read()))
    return ok(shapes.signed_up_json(user, token), 201)


@login_limit
@operation(
    id="login", summary="Log in: a new access token.", tag="Users",
    answer=shapes.LoggedIn, errors=(400, 401, 403, 404), body=shapes.Credentials,
)
def login():
    user, token = accounts.login(*accounts.login_fields(request_body.read()))
    return ok(shapes.logged_in_json(user, token))


bp.add_url_rule("/login", view_func=login, methods=["POST"])


@bp.delete("/me")
@operation(id="logout", summary="Log out this token only.", tag="Users", auth=True)
def logout():
    require_user()
    accounts.revoke_token(bearer_token())
    return no_content()
