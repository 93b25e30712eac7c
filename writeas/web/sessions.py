"""Log in, sign up, log out — the browser side of `accounts`."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.http.ratelimits import login_limit
from writeas.services import accounts, instance, invites
from writeas.web import visitor
from writeas.web.redirects import local_path

bp = Blueprint("sessions", __name__)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    if request.method == "GET":
        return render_template("accounts/login.html", next=local_path(request.args.get("next"), ""))
    try:
        user = accounts.check_credentials(*accounts.login_fields(request.form.to_dict()))
    except ServiceError as error:
        return render_template(
            "accounts/login.html",
            error=error.message,
            alias=request.form.get("alias", ""),
            next=local_path(request.form.get("next"), ""),
        ), error.status
    visitor.log_in(user)
    return redirect(local_path(request.form.get("next"), url_for("dashboard.home")), 303)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Also the page an invite link (/invite/{code}) shows, its code in the form."""
    if request.method == "GET":
        return _signup_page(None)
    form = request.form
    try:
        user = accounts.register(*accounts.signup_fields(form.to_dict()))
        db.session.commit()
    except ServiceError as error:
        return render_template(
            "accounts/signup.html",
            error=error.message,
            alias=form.get("alias", ""),
            email=form.get("email", ""),
            invite=form.get("invite", ""),
            registration=instance.current().registration,
        ), error.status
    visitor.log_in(user)
    flash(f"Welcome, {user.username}! Your blog is at /{user.username}/.")
    return redirect(url_for("dashboard.home"), 303)


def _signup_page(invite: str | None):
    """The form, or why there is none: registration closed, or by invite without one."""
    try:
        invites.check_open(invite)
    except ServiceError as error:
        return render_template("accounts/signup.html", closed=error.message), error.status
    return render_template(
        "accounts/signup.html", invite=invite or "", registration=instance.current().registration
    )


@bp.get("/invite/<code>")
def invite(code: str):
    return _signup_page(code)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """A link leads here and the page asks to confirm: pages that carry a blog's own CSS
    hold no form with a CSRF token, which that CSS could read out with attribute
    selectors. Logging out ends every session of the account (see `visitor.log_out`)."""
    if request.method == "GET":
        if visitor.user() is None:
            return redirect(url_for("editor.write"), 303)
        return render_template("accounts/logout.html")
    visitor.log_out()
    return redirect(url_for("editor.write"), 303)
