"""The database handle, and the SQLite settings that let several workers share one file."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

from writeas.core import content_generation


class Base(DeclarativeBase):
    # Named constraints let future migrations alter them, SQLite's batch mode included.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
content_generation.watch(db.metadata)

# Posts written with a plain INSERT, which no flush sees: noted on the session, so the
# layers that react to a transaction's posts (federation) find them before it commits.
INSERTED_POSTS = "inserted_posts"


def note_inserted(session, post) -> None:
    session.info.setdefault(INSERTED_POSTS, []).append(post)


# What the layers note on a session for after its commit (mail to send, posts to federate
# or colour): a transaction that rolls back wrote none of it, so its notes go with it.
_NOTES: set[str] = set()


def forget_on_rollback(*keys: str) -> None:
    """Drop these `session.info` keys whenever a transaction rolls back (one listener, once
    per process, however many apps or layers ask)."""
    _NOTES.update(keys)
    if not event.contains(Session, "after_rollback", _forget_notes):
        event.listen(Session, "after_rollback", _forget_notes)


def _forget_notes(session: Session) -> None:
    for key in _NOTES:
        session.info.pop(key, None)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL lets readers run beside one writer; the busy timeout makes writers queue instead of
    failing with "database is locked"; foreign keys are off by default in SQLite."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
