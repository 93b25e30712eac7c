"""Forgotten passwords: the page that asks for a link, and the page the link opens."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.http.ratelimits import spend_password_reset
from writeas.services import mail, password_reset

bp = Blueprint("password_reset", __name__)

SENT = (
    "If an account here has that address, a link to reset its password is on its way. "
    "It works once, within the hour."
)


@bp.route("/reset", methods=["GET", "POST"])
def forgot():
    if request.method == "GET":
        return render_template("accounts/forgot.html", configured=mail.configured())
    address = request.form.get("email", "")
    try:
        spend_password_reset(address)
        password_reset.request_reset(request.form.to_dict())
        db.session.commit()
    except ServiceError as error:
        return render_template(
            "accounts/forgot.html", configured=mail.configured(), error=error.message,
            email=address,
        ), error.status
    return render_template("accounts/forgot.html", configured=mail.configured(), sent=SENT)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def choose(token: str):
    """The link's secret is in the path: the page's form (its CSRF token) makes it
    `private, no-store`, and other sites get only our origin as the Referer."""
    try:
        user = password_reset.check(token)
        if request.method == "POST":
            password_reset.reset_password(token, request.form.to_dict())
            db.session.commit()
            flash("Your password is changed, and every session and token is signed out.")
            return redirect(url_for("sessions.login"), 303)
    except ServiceError as error:
        valid = error.message != password_reset.INVALID
        return render_template(
            "accounts/reset.html", token=token if valid else None, error=error.message,
            username=None,
        ), error.status
    return render_template("accounts/reset.html", token=token, username=user.username)
