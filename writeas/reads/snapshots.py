"""Read-only snapshots of posts and blogs, for the paths that only show them.

Loading a post through the ORM (identity map, instance state, relationship loaders) costs
several times what reading its row does, and reading a post — its page, its raw text,
`GET /api/posts/{id}` — is what the site does most. Those paths read one row, joined with
its blog's facts, into a frozen snapshot instead. Attribute names match `Post` and
`Collection`, so the visibility rules, the JSON shapes and the templates take either; a
snapshot can't be changed or saved, so nothing written can go through one by mistake.
"""

import contextlib
import itertools
import os
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from writeas.core import content_generation
from writeas.core.models import Collection, Post
from writeas.reads.wal_index import WalIndex


@dataclass(frozen=True, slots=True)
class BlogSnapshot:
    id: int
    uid: str
    lock_version: int
    alias: str
    title: str
    description: str
    style_sheet: str
    visibility: str
    password_hash: str | None
    owner_id: int
    content_version: int
    updated: datetime
    owner_suspended: bool | None


@dataclass(frozen=True, slots=True)
class PostSnapshot:
    id: str
    slug: str | None
    owner_id: int | None
    appearance: str
    language: str
    rtl: bool
    title: str
    body: str
    display_title: str
    excerpt: str
    tags: list
    views: int
    pinned_position: int | None
    created: datetime
    updated: datetime
    content_version: int
    owner_suspended: bool | None
    collection: BlogSnapshot | None

    @property
    def unpublished(self) -> bool:
        return self.body == ""


class _Prepared:
    """A statement compiled once per database and run on the driver's own cursor, its
    columns converted by their types' own result processors: what Core does on every
    execution (cache-key generation, execution context, result metadata) done once, which
    is most of a one-row read's cost."""

    def __init__(self, statement):
        self._statement = statement
        self._compiled: dict = {}

    def _for(self, engine):
        prepared = self._compiled.get(engine)
        if prepared is None:
            dialect = engine.dialect
            compiled = self._statement.compile(dialect=dialect)
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self._statement.selected_columns
            ]
            converting = [(i, convert) for i, convert in enumerate(processors) if convert]
            order = compiled.positiontup if compiled.positional else None
            prepared = self._compiled[engine] = (str(compiled), order, converting)
        return prepared

    def first(self, engine: Engine, **params) -> list | None:
        sql, order, converting = self._for(engine)
        arguments = [params[name] for name in order] if order else params
        try:
            row = _run(engine, sql, arguments)
        except engine.dialect.loaded_dbapi.Error:
            # The held connection may have been closed by the server since the last read.
            row = _run(engine, sql, arguments)
        if row is None:
            return None
        values = list(row)
        for index, convert in converting:
            if values[index] is not None:
                values[index] = convert(values[index])
        return values


class _Held(threading.local):
    """One autocommit connection per thread for these reads, outside the pool.

    A pool checkout and its rollback on return cost as much as the one-row read itself.
    Autocommit means a held connection never holds a transaction (nor locks, nor an old
    snapshot) between reads. It is dropped on any driver error.
    """

    engine = None
    connection = None  # the driver's own connection
    serial = 0  # which connection it is: `generation`s of different ones don't compare
    wal_index: WalIndex | None = None  # its database's, while it is open in WAL mode
    looked_for_index = 0  # the serial of the connection `wal_index` was last looked for
    uncounted = None  # a PostgreSQL engine whose schema has no content generation


_held = _Held()
_UNDEFINED_TABLE = "42P01"
_inherited: list = []
_serials = itertools.count(1)


def _run(engine, sql: str, arguments) -> tuple | None:
    if _held.engine is not engine:
        _discard()
        pooled = engine.raw_connection()
        pooled.detach()
        engine.dialect.set_isolation_level(pooled.dbapi_connection, "AUTOCOMMIT")
        _held.engine, _held.connection = engine, pooled.dbapi_connection
        _held.serial = next(_serials)
    try:
        cursor = _held.connection.cursor()
        cursor.execute(sql, arguments)
        row = cursor.fetchone()
        cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        _discard()
        raise
    return row


def _discard() -> None:
    connection, _held.connection, _held.engine = _held.connection, None, None
    index, _held.wal_index = _held.wal_index, None
    if index is not None:
        index.close()
    if connection is not None:
        with contextlib.suppress(Exception):  # already broken; it is being thrown away
            connection.close()


def _after_fork() -> None:
    """A forked child must not use its parent's connection, nor close it (closing would
    end the parent's session too): it is kept, unused, for the child's lifetime."""
    if _held.connection is not None:
        _inherited.append(_held.connection)
    _held.engine = _held.connection = _held.wal_index = None


os.register_at_fork(after_in_child=_after_fork)


def generation(engine: Engine) -> tuple | None:
    """A value that moves whenever anything commits to the database, from any connection
    of any process, so an answer made under it can be given again, without reading its
    rows, for as long as it holds. With which held connection it was read (values of
    different ones don't compare), and then: on SQLite in WAL mode, the WAL-index header
    (`wal_index`), which costs no system call; else SQLite's `data_version` on the held
    connection (it counts every other connection's commits, and the held one never
    writes); on PostgreSQL, the counter every write's commit moves
    (`core.content_generation`), read in a statement of its own before anything the answer
    shows. None when there is no such value to trust: a schema without the counter, or a
    writer half-way through the WAL-index header."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return _counted(engine)
    if dialect != "sqlite":
        return None
    index = _held.wal_index
    if index is not None and _held.engine is engine:
        header = index.header()
        return None if header is None else (_held.serial, header)
    try:
        row = _run(engine, "PRAGMA data_version", ())
        if _held.looked_for_index != _held.serial:
            _held.looked_for_index = _held.serial
            _held.wal_index = _wal_index(engine)
    except engine.dialect.loaded_dbapi.Error:
        return None
    return _held.serial, row[0]


def _counted(engine: Engine) -> tuple | None:
    if _held.uncounted is engine:
        return None
    try:
        row = _run(engine, content_generation.READ, ())
    except engine.dialect.loaded_dbapi.Error as error:
        if getattr(error, "sqlstate", None) == _UNDEFINED_TABLE:
            _held.uncounted = engine  # not migrated yet: asked again after a restart
        return None
    return None if row is None else (_held.serial, row[0])


def _wal_index(engine: Engine) -> WalIndex | None:
    """The held connection's WAL-index, mapped while the connection is open: an open
    connection keeps its database's `-shm` file from being removed or replaced. None
    unless the database is a file in WAL mode (nothing else can change that while a
    connection is open)."""
    mode = _run(engine, "PRAGMA journal_mode", ())
    path = _run(engine, "PRAGMA database_list", ())
    if mode is None or mode[0].lower() != "wal" or path is None or not path[2]:
        return None
    try:
        return WalIndex(path[2])
    except (OSError, ValueError):
        return None


_BLOG_COLUMNS = [getattr(Collection, name) for name in BlogSnapshot.__slots__]
_POST_COLUMNS = [getattr(Post, name) for name in PostSnapshot.__slots__ if name != "collection"]
_POST_FIELDS = len(_POST_COLUMNS)

_POST_BY_ID = _Prepared(
    select(*_POST_COLUMNS, *_BLOG_COLUMNS)
    .outerjoin(Collection, Collection.id == Post.collection_id)
    .where(Post.id == bindparam("key"))
)
_POST_BY_SLUG = _Prepared(
    select(*_POST_COLUMNS, *_BLOG_COLUMNS)
    .join(Collection, Collection.id == Post.collection_id)
    .where(Post.collection_id == bindparam("blog"), Post.slug == bindparam("key"))
)
_BLOG_BY_ALIAS = _Prepared(select(*_BLOG_COLUMNS).where(Collection.alias == bindparam("key")))
_BODY_HTML = _Prepared(select(Post.body_html).where(Post.id == bindparam("key")))


def _post(row) -> PostSnapshot:
    blog = BlogSnapshot(*row[_POST_FIELDS:]) if row[_POST_FIELDS] is not None else None
    return PostSnapshot(*row[:_POST_FIELDS], blog)


def post(post_id: str, engine: Engine) -> PostSnapshot | None:
    row = _POST_BY_ID.first(engine, key=post_id)
    return _post(row) if row is not None else None


def post_by_slug(collection_id: int, slug: str, engine: Engine) -> PostSnapshot | None:
    row = _POST_BY_SLUG.first(engine, blog=collection_id, key=slug)
    return _post(row) if row is not None else None


def blog(alias: str, engine: Engine) -> BlogSnapshot | None:
    row = _BLOG_BY_ALIAS.first(engine, key=alias)
    return BlogSnapshot(*row) if row is not None else None


def body_html(post_id: str, engine: Engine) -> str:
    """The rendered body, read only when a page isn't already cached."""
    row = _BODY_HTML.first(engine, key=post_id)
    return row[0] if row is not None else ""
