"""Log in, sign up, log out — the browser side of `accounts`."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .. import accounts
from ..db import db
from ..errors import ServiceError
from ..ratelimits import login_limit

bp = Blueprint("sessions", __name__)


def _safe_next(default: str) -> str:
    """Only same-site paths, so the login form can't be used as an open redirect."""
    target = request.values.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    try:
        user = accounts.check_credentials(*accounts.login_fields(request.form.to_dict()))
    except ServiceError as error:
        return render_template(
            "login.html",
            error=error.message,
            alias=request.form.get("alias", ""),
            next=request.form.get("next", ""),
        ), error.status
    login_user(user)
    return redirect(_safe_next(url_for("dashboard.home")), 303)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return render_template("signup.html")
    form = request.form
    try:
        user = accounts.create_user(*accounts.signup_fields(form.to_dict()))
        db.session.commit()
    except ServiceError as error:
        return render_template(
            "signup.html",
            error=error.message,
            alias=form.get("alias", ""),
            email=form.get("email", ""),
        ), error.status
    login_user(user)
    flash(f"Welcome, {user.username}! Your blog is at /{user.username}/.")
    return redirect(url_for("dashboard.home"), 303)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("editor.write"), 303)
