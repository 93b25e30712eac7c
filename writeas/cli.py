"""The operator's commands: `flask --app app user create ALIAS` makes an account (first
admin, tests); `crossposts sweep` and `federation …` move and moderate deliveries."""

import click
from flask.cli import AppGroup

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.crossposting import delivery
from writeas.federation import blocks
from writeas.federation import delivery as federation_delivery
from writeas.services import accounts

user_cli = AppGroup("user", help="Manage user accounts.")


@user_cli.command("create")
@click.argument("alias")
@click.option("--email", default=None, help="The user's email address (optional).")
@click.password_option("--password", help="Asked for when not given.")
def create_user(alias: str, email: str | None, password: str) -> None:
    """Create a user ALIAS and their first blog."""
    try:
        user = accounts.create_user(alias, password, email)
        db.session.commit()
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created user {user.username}.")


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
