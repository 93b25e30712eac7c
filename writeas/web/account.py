"""/me/settings and /me/delete: the account itself — password, email, API tokens,
sessions, and deleting it all. The rules are in `account_settings`, `account_sessions`
and `account_deletion`; a refused form is shown again with the reason and its status."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, logout_user

from writeas.core.errors import ServiceError
from writeas.http.ratelimits import login_limit
from writeas.services import account_deletion, account_sessions, account_settings
from writeas.web import visitor

bp = Blueprint("account", __name__, url_prefix="/me")


def _page(error: str | None = None, status: int = 200, new_token: str | None = None):
    user = visitor.user()
    return render_template(
        "me/settings.html",
        error=error,
        new_token=new_token,
        access_tokens=account_settings.tokens_of(user),
        sessions=account_sessions.of_user(user),
        this_session=visitor.session_id(),
    ), status


def _done(message: str):
    flash(message)
    return redirect(url_for("account.settings"), 303)


@bp.get("/settings")
@login_required
def settings():
    return _page()


def _changed(change, message: str):
    try:
        change()
    except ServiceError as error:
        return _page(error.message, error.status)
    return _done(message)


# Asking for the password again is a place to guess it: wrong answers draw on the log-in
# budget of the address, as failed log-ins do.
@bp.post("/settings/password")
@login_required
@login_limit
def password():
    return _changed(
        lambda: account_settings.change_password(
            visitor.user(), request.form.to_dict(), visitor.session_id()
        ),
        "Password changed. Every other session and every API token was ended.",
    )


@bp.post("/settings/email")
@login_required
def email():
    return _changed(
        lambda: account_settings.change_email(visitor.user(), request.form.to_dict()),
        "Email saved.",
    )


@bp.post("/settings/tokens")
@login_required
def create_token():
    try:
        _row, raw = account_settings.create_token(visitor.user(), request.form.to_dict())
    except ServiceError as error:
        return _page(error.message, error.status)
    return _page(new_token=raw)


@bp.post("/settings/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id):
    return _changed(
        lambda: account_settings.revoke_token(visitor.user(), token_id), "Token revoked."
    )


@bp.post("/settings/sessions/<session_id>/revoke")
@login_required
def revoke_session(session_id):
    return _changed(
        lambda: account_sessions.revoke(visitor.user(), session_id), "Session ended."
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@login_limit
def delete():
    if request.method == "GET":
        return render_template("me/delete_account.html")
    try:
        account_deletion.delete_own_account(visitor.user(), request.form.to_dict())
    except ServiceError as error:
        return render_template("me/delete_account.html", error=error.message), error.status
    logout_user()
    visitor.forget_everything()
    flash("Your account and everything in it were deleted.")
    return redirect(url_for("editor.write"), 303)
