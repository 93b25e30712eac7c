"""/admin: the instance's users, settings, pages and invites, for admins only (everyone
else gets the site's 404 page: the address doesn't say it exists); /me/invites, for users
when the instance lets them invite; and the instance pages /about, /privacy, /contact."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from writeas.core.errors import ServiceError
from writeas.services import admin, instance, invites, payload
from writeas.text.rendering import render_markdown
from writeas.web import visitor

bp = Blueprint("admin", __name__)


def _admin():
    return admin.require_admin(visitor.user())


@bp.get("/admin/")
def home():
    _admin()
    return render_template("admin/settings.html", site=instance.current(),
                           registration=instance.REGISTRATION,
                           visibilities=instance.NEW_BLOG_VISIBILITIES, pages=instance.PAGES)


@bp.post("/admin/settings")
def settings():
    _admin()
    instance.update(request.form.to_dict())
    flash("Settings saved.")
    return redirect(url_for("admin.home"), 303)


@bp.get("/admin/users")
def users():
    _admin()
    query = request.args.get("q", "")
    page = payload.whole_number(request.args.get("page")) or 1
    found, pages = admin.users(query, page)
    return render_template("admin/users.html", users=found, q=query,
                           page=min(page, pages), pages=pages)


@bp.post("/admin/users/<alias>/suspend")
def suspend(alias: str):
    _suspend(alias, True)
    flash(f"{alias} is suspended.")
    return redirect(url_for("admin.users", q=request.form.get("q", "")), 303)


@bp.post("/admin/users/<alias>/unsuspend")
def unsuspend(alias: str):
    _suspend(alias, False)
    flash(f"{alias} is no longer suspended.")
    return redirect(url_for("admin.users", q=request.form.get("q", "")), 303)


@bp.post("/admin/users/<alias>/reset")
def send_reset(alias: str):
    _admin()
    user = admin.send_reset(alias)
    flash(f"A password-reset link is on its way to {user.username}'s email address.")
    return redirect(url_for("admin.users", q=request.form.get("q", "")), 303)


@bp.post("/admin/users/<alias>/delete")
def delete_user(alias: str):
    admin.delete_user(alias, request.form.get("confirm", ""), by=_admin())
    flash(f"{alias} and everything of theirs is deleted.")
    return redirect(url_for("admin.users"), 303)


def _suspend(alias: str, suspended: bool) -> None:
    admin.set_suspended(alias, suspended, by=_admin())


@bp.get("/admin/invites")
def admin_invites():
    _admin()
    return _invites_page(None)


@bp.get("/me/invites")
@login_required
def my_invites():
    user = visitor.user()
    if not invites.may_invite(user):
        raise ServiceError(404, "Page not found.")
    return _invites_page(user)


def _invites_page(creator):
    listed = [(invite, invites.used_by(invite)) for invite in invites.listed(creator)]
    return render_template("admin/invites.html", invites=listed,
                           new=request.args.get("new"), mine=creator is not None)


@bp.post("/invites")
@login_required
def create_invite():
    user = visitor.user()
    invite = invites.create(user, request.form.to_dict())
    target = "admin.admin_invites" if user.is_admin else "admin.my_invites"
    return redirect(url_for(target, new=invite.code), 303)


@bp.post("/invites/<code>/delete")
@login_required
def delete_invite(code: str):
    user = visitor.user()
    invites.revoke(code, user)
    flash("Invite link deleted.")
    return redirect(url_for("admin.admin_invites" if user.is_admin else "admin.my_invites"), 303)


@bp.get("/about")
@bp.get("/privacy")
@bp.get("/contact")
def page():
    name = request.path.strip("/")
    html = render_markdown(instance.page(name))
    return render_template("admin/page.html", name=name, html=html)
