"""A user's writing, out: JSON, CSV, or a ZIP of Markdown files with front matter.

Each format is a generator of byte chunks, read from the database a batch of posts at a
time, so an account with tens of thousands of posts never sits whole in memory; the edge
streams the chunks as they come. Only the user's own blogs and posts are read, and
unpublished posts (an empty body) are left out: they have nothing to move.

The JSON is WriteFreely's and Write.as's full-export shape (`collections`, each with its
`posts`, and `posts` for those in no blog), with our own settings beside theirs, so the
same file imports here, into WriteFreely, or back into Write.as tools.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import select

from writeas.core.clock import rfc3339, utcnow
from writeas.core.db import db
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.lazy_imports import lazy
from writeas.core.models import Collection, Post, User
from writeas.services import blogs

yaml = lazy("yaml")  # for ZIP exports' front matter only

FORMATS = ("json", "csv", "zip")
NO_BLOG_FOLDER = "_no_blog"  # "_" can't start an alias, so no blog's folder can clash
CSV_COLUMNS = (
    "id", "blog", "slug", "title", "created", "updated", "appearance", "language", "rtl",
    "tags", "body",
)
_BATCH = 200
_CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


def check_format(value: str | None) -> str:
    chosen = (value or "json").strip().lower()
    if chosen not in FORMATS:
        raise ServiceError(400, "Parameter `format` must be one of: json, csv, zip.")
    return chosen


def content_type(chosen: str) -> str:
    return _CONTENT_TYPES[chosen]


def filename(user: User, chosen: str) -> str:
    """`alias-YYYYMMDDHHMM.ext`, as WriteFreely names its exports."""
    return f"{user.username}-{utcnow().strftime('%Y%m%d%H%M')}.{chosen}"


def chunks(user: User, chosen: str) -> Iterator[bytes]:
    return {"json": _json, "csv": _csv, "zip": _zip}[chosen](user)


def _posts(user: User, collection_id: int | None | bool = False) -> Iterator[Post]:
    """The user's published posts, oldest first, fetched a batch at a time; only those in
    `collection_id` when given (None: those in no blog)."""
    query = select(Post).where(Post.owner_id == user.id, Post.body != "")
    if collection_id is None:
        query = query.where(Post.collection_id.is_(None))
    elif collection_id is not False:
        query = query.where(Post.collection_id == collection_id)
    query = query.order_by(Post.created, Post.seq).execution_options(yield_per=_BATCH)
    yield from db.session.scalars(query)


def post_fields(post: Post) -> dict:
    return {
        "id": post.id,
        "slug": post.slug,
        "appearance": post.appearance,
        "language": post.language,
        "rtl": post.rtl,
        "created": rfc3339(post.created),
        "updated": rfc3339(post.updated),
        "title": post.title,
        "body": post.body,
        "tags": list(post.tags),
    }


def blog_fields(blog: Collection) -> dict:
    return {
        "alias": blog.alias,
        "title": blog.title,
        "description": blog.description,
        "style_sheet": blog.style_sheet,
        "public": blog.visibility == Visibility.PUBLIC,
        "visibility": blog.visibility,
        "federate_as": blog.federate_as,
        "created": rfc3339(blog.created),
    }


def _json_list(items: Iterable[dict]) -> Iterator[bytes]:
    yield b"["
    for index, item in enumerate(items):
        yield (b"," if index else b"") + json.dumps(item, ensure_ascii=False).encode()
    yield b"]"


def _open_object(fields: dict, last_key: str) -> bytes:
    """`{…fields…, "last_key": ` : an object left open for a list streamed after it."""
    head = json.dumps(fields, ensure_ascii=False)[:-1]
    return (head + (", " if fields else "") + json.dumps(last_key) + ": ").encode()


def _json(user: User) -> Iterator[bytes]:
    yield _open_object(
        {
            "username": user.username,
            "email": user.email or "",
            "created": rfc3339(user.created),
            "exported": rfc3339(utcnow()),
        },
        "collections",
    )
    yield b"["
    for index, blog in enumerate(blogs.of_user(user)):
        yield (b"," if index else b"") + _open_object(blog_fields(blog), "posts")
        yield from _json_list(post_fields(p) for p in _posts(user, blog.id))
        yield b"}"
    yield b'], "posts": '
    yield from _json_list(post_fields(p) for p in _posts(user, None))
    yield b"}"


def _aliases(user: User) -> dict[int | None, str]:
    return {blog.id: blog.alias for blog in blogs.of_user(user)}


def _csv(user: User) -> Iterator[bytes]:
    aliases = _aliases(user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for post in _posts(user):
        fields = post_fields(post)
        fields["blog"] = aliases.get(post.collection_id, "")
        fields["rtl"] = "true" if post.rtl else "false"
        fields["tags"] = " ".join(post.tags)
        writer.writerow([fields[name] if fields[name] is not None else "" for name in CSV_COLUMNS])
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue().encode()


def markdown_file(post: Post, alias: str | None) -> str:
    """The post as Markdown with YAML front matter: everything the import reads back."""
    fields = post_fields(post)
    body = fields.pop("body")
    fields["blog"] = alias
    fields = {key: value for key, value in fields.items() if value not in (None, "", [])}
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, default_style=None)
    return f"---\n{front}---\n\n{body}\n"


class _Pipe(io.RawIOBase):
    """A write-only, unseekable file that `zipfile` writes into and the generator empties:
    unseekable, so zipfile writes each entry's sizes after its data and never goes back."""

    def __init__(self):
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _zip(user: User) -> Iterator[bytes]:
    aliases = _aliases(user)
    pipe = _Pipe()
    used: set[str] = set()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for post in _posts(user):
            alias = aliases.get(post.collection_id)
            folder = alias or NO_BLOG_FOLDER
            name = f"{folder}/{post.slug or post.id}.md"
            if name in used:  # a slug can't repeat within a blog, but be sure
                name = f"{folder}/{post.slug}-{post.id}.md"
            used.add(name)
            stamp = post.created.replace(tzinfo=UTC)
            info = zipfile.ZipInfo(name, date_time=_zip_time(stamp))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, markdown_file(post, alias))
            yield pipe.take()
    yield pipe.take()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP can't date anything before 1980."""
    moment = max(moment, datetime(1980, 1, 1, tzinfo=UTC))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
