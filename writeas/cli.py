"""The operator's commands: `flask --app app user create ALIAS` makes an account (first
admin, tests), whatever the registration setting; `admin …` does what /admin does;
`crossposts sweep` and `federation …` move and moderate deliveries; `db …` are
Flask-Migrate's migration commands."""

import click
from flask import Flask
from flask.cli import AppGroup

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.crossposting import delivery
from writeas.federation import blocks
from writeas.federation import delivery as federation_delivery
from writeas.services import accounts, admin, instance, invites
from writeas.settings import PROJECT_ROOT


def enable_migrations(app: Flask) -> None:
    """Flask-Migrate on `app`, with its `flask db …` commands. Done when a `db` command is
    named (and by tests that migrate in-process), never by the factory: Alembic and Mako are
    about 20 MB that a web worker would carry for nothing."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"))


class AppCommands(AppGroup):
    """The app's `flask` commands, Flask-Migrate's `db` group added when it is named."""

    def __init__(self, app: Flask):
        super().__init__(app.name)
        self._app = app

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "db":
            enable_migrations(self._app)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "db"})

user_cli = AppGroup("user", help="Manage user accounts.")


@user_cli.command("create")
@click.argument("alias")
@click.option("--email", default=None, help="The user's email address (optional).")
@click.password_option("--password", help="Asked for when not given.")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user an admin of the instance.")
def create_user(alias: str, email: str | None, password: str, is_admin: bool) -> None:
    """Create a user ALIAS and their first blog."""
    try:
        user = accounts.create_user(alias, password, email)
        user.is_admin = is_admin
        db.session.commit()
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {'admin' if is_admin else 'user'} {user.username}.")


@user_cli.command("admin")
@click.argument("alias")
@click.option("--revoke", is_flag=True, help="Take the admin role away instead.")
def promote(alias: str, revoke: bool) -> None:
    """Make ALIAS an admin (or, with --revoke, no longer one)."""
    user = _run(admin.set_admin, alias, not revoke)
    click.echo(f"{user.username} is {'no longer' if revoke else 'now'} an admin.")


def _run(action, *args):
    try:
        return action(*args)
    except ServiceError as error:
        raise click.ClickException(error.message) from None


admin_cli = AppGroup("admin", help="The instance: users, settings, invites (what /admin does).")


@admin_cli.command("users")
@click.option("--search", default="", help="Only those whose alias or email holds this.")
@click.option("--page", default=1, type=int)
def list_users(search: str, page: int) -> None:
    """List accounts, newest first."""
    found, pages = admin.users(search, page)
    for user in found:
        roles = (("admin", user.is_admin), ("suspended", user.suspended))
        flags = [name for name, on in roles if on]
        click.echo(f"{user.username}\t{user.email or '-'}\t{','.join(flags) or '-'}")
    click.echo(f"(page {min(max(page, 1), pages)} of {pages})")


@admin_cli.command("suspend")
@click.argument("alias")
def suspend(alias: str) -> None:
    """Suspend ALIAS: no log-in, no publishing, their blogs and posts answer 404."""
    click.echo(f"Suspended {_run(admin.set_suspended, alias, True).username}.")


@admin_cli.command("unsuspend")
@click.argument("alias")
def unsuspend(alias: str) -> None:
    """Lift the suspension of ALIAS."""
    click.echo(f"{_run(admin.set_suspended, alias, False).username} is no longer suspended.")


@admin_cli.command("reset")
@click.argument("alias")
def send_reset(alias: str) -> None:
    """Email ALIAS a password-reset link (the worker sends it)."""
    click.echo(f"A reset link to {_run(admin.send_reset, alias).username} is queued.")


@admin_cli.command("delete")
@click.argument("alias")
@click.confirmation_option(prompt="Delete this user and everything of theirs, for good?")
def delete_user(alias: str) -> None:
    """Delete ALIAS with every post, blog, image and channel of theirs."""
    click.echo(f"Deleted {_run(admin.delete_user, alias, alias)}.")


@admin_cli.command("settings")
@click.argument("changes", nargs=-1)
def instance_settings(changes: tuple[str, ...]) -> None:
    """Show the instance settings, or change them: `registration=invite max_blogs=5`.
    Pages: `about=…`, `privacy=…`, `contact=…` (Markdown; empty removes the page)."""
    values = {}
    for change in changes:
        name, equals, value = change.partition("=")
        if not equals:
            raise click.ClickException(f"Expected NAME=VALUE, got {change!r}.")
        if name.strip() not in vars(instance.current()):
            raise click.ClickException(f"No setting named {name.strip()!r}.")
        values[name.strip()] = value
    current = _run(instance.update, values) if values else instance.current()
    for name, value in vars(current).items():
        shown = value if name not in instance.PAGES else f"{len(value)} characters"
        click.echo(f"{name}={shown}")


@admin_cli.command("invite")
@click.option("--by", "alias", required=True, help="The admin the invite is made in the name of.")
@click.option("--max-uses", default="", help="Empty: no limit.")
@click.option("--expires-days", default="", help="Empty: never.")
def make_invite(alias: str, max_uses: str, expires_days: str) -> None:
    """Make an invite link; prints its path (/invite/{code})."""
    creator = _run(admin.user_named, alias)
    invite = _run(invites.create, creator, {"max_uses": max_uses, "expires_days": expires_days})
    click.echo(f"/invite/{invite.code}")


crosspost_cli = AppGroup("crossposts", help="Crosspost deliveries.")


@crosspost_cli.command("sweep")
def sweep() -> None:
    """Queue every delivery that is due, and recover those whose worker died (the worker
    also does this every minute)."""
    from writeas.crossposting.queue import enqueue_delivery

    click.echo(f"Queued {delivery.sweep(enqueue_delivery)} deliveries.")


federation_cli = AppGroup("federation", help="Federation (ActivityPub): blocks and deliveries.")


@federation_cli.command("block")
@click.argument("target")
def block(target: str) -> None:
    """Block TARGET: a remote actor's id (https://…) or a whole domain."""
    try:
        blocked, removed = blocks.add(target)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Blocked {blocked}; removed {removed} follower, reply and reaction rows.")


@federation_cli.command("unblock")
@click.argument("target")
def unblock(target: str) -> None:
    """Lift the block on TARGET."""
    try:
        lifted = blocks.remove(target)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Unblocked {target}." if lifted else f"{target} was not blocked.")


@federation_cli.command("blocks")
def list_blocks() -> None:
    """List the blocked actors and domains."""
    for target in blocks.listed():
        click.echo(target)


@federation_cli.command("sweep")
def federation_sweep() -> None:
    """Fan out due activities, take back deliveries whose worker died, and queue those that
    are due (the worker also does this every minute)."""
    from writeas.crossposting.queue import current

    queue = current()
    moved = federation_delivery.sweep(queue.enqueue_fan_out, queue.enqueue_federation)
    click.echo(f"Queued {moved} activities and deliveries.")
