"""`flask --app app user create ALIAS`: make an account from the shell (first admin, tests)."""

import click
from flask.cli import AppGroup

from writeas.core.db import db
from writeas.core.errors import ServiceError
from writeas.crossposting import delivery
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
