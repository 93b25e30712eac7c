"""PostgreSQL's content generation: one counter that every committing write moves.

SQLite has one built in (its WAL-index header, `data_version`), and the kept answers of
the hottest reads (`front`) hold only while it holds. PostgreSQL has none that is strict:
`pg_current_wal_lsn()` moves at a commit's WAL record, before the commit is visible, so an
answer made in between would be kept under the new value with the old content. This one
is a row, `content_generation`, that a deferred trigger on every table updates in the
writing transaction itself, so it becomes visible exactly when the write does. A reader
reads it first, in its own statement: if the write was not yet visible to that read, the
answer made next is kept under the old value, which the write's commit has already left
behind.

The trigger is deferred to the commit, and only its first firing in a transaction updates
the row (a transaction-local setting remembers it), so a writer takes the row's lock last,
once, for the instant its commit lasts, holding it while it waits on nothing else: the
counter orders commits without adding a deadlock. Triggers go on every table there is
(`install` reads the catalogue), so a migration that adds a table calls it again, and a
test checks that no table lacks one.
"""

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

TABLE = "content_generation"
TRIGGER = "writeas_content_generation"
READ = f"SELECT n FROM {TABLE}"  # noqa: S608 - a constant
_UNWATCHED = (TABLE, "alembic_version")

_COUNTER = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id integer PRIMARY KEY CHECK (id = 1),
    n bigint NOT NULL
);
INSERT INTO {TABLE} (id, n) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('writeas.generation_moved', true) IS DISTINCT FROM
            txid_current()::text THEN
        UPDATE {TABLE} SET n = n + 1;
        PERFORM set_config('writeas.generation_moved', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$;
"""  # noqa: S608 - names of our own, no input

_WATCH = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON "{{table}}";
CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{{table}}"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""

_TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
    "AND tablename <> ALL(:unwatched) ORDER BY tablename"
)
_WATCHED = text(
    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE t.tgname = :name AND c.relnamespace = current_schema()::regnamespace"
)


def install(connection: Connection) -> None:
    """The counter, its function, and its trigger on every table of the schema; safe to run
    again. Nothing on other databases."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(_COUNTER)
    for table in tables(connection):
        connection.exec_driver_sql(_WATCH.format(table=table))


def uninstall(connection: Connection) -> None:
    """Undo `install` (a downgrade past it): the triggers, the function, the counter."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables(connection):
        connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")


def unwatched_tables(connection: Connection) -> list[str]:
    """The schema's tables that a write to would not move the counter."""
    watched = set(connection.execute(_WATCHED, {"name": TRIGGER}).scalars())
    return [table for table in tables(connection) if table not in watched]


def tables(connection: Connection) -> list[str]:
    return list(connection.execute(_TABLES, {"unwatched": list(_UNWATCHED)}).scalars())


def schema_comparison_includes(name, type_, _parent_names) -> bool:
    """Alembic's `include_name`: the counter is made by `install`, not by the models, so
    comparing the models with a database leaves it out."""
    return not (type_ == "table" and name == TABLE)


def watch(metadata) -> None:
    """`create_all` installs it too, as the migrations do."""

    @event.listens_for(metadata, "after_create")
    def _installed(_metadata, connection, **_kw):
        install(connection)
