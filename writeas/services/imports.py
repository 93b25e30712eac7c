"""Import jobs: what a user uploads is kept in the media store and a job row is written in
the request; the worker reads the files, writes the posts and records, for every file and
every post, what became of it. One bad file or post is its own failed result, never the
end of the import.

Re-importing: every imported post carries an import key (`import_sources.key_for`: the
source's own post id, else a digest of the post), unique per owner. A post whose key the
user already has is skipped, so importing the same export twice, or resuming a job a
worker died in, adds nothing twice. Keys from ids survive the source editing a post in
between (it is still the same post); slug+created matching would not, and would wrongly
merge two posts that share a slug across blogs.
"""

import io
import tempfile
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import PurePosixPath
from typing import IO

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from writeas import settings
from writeas.core import tokens
from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import Collection, ImportJob, ImportResult, Post, User
from writeas.services import blogs, media_store, payload, posts
from writeas.services.import_sources import (
    SUFFIXES,
    TEXT_SUFFIXES,
    Budget,
    SourcePost,
    Unreadable,
    check_zip,
    json_posts,
    text_post,
    zip_posts,
)

QUEUED, RUNNING, DONE = "queued", "running", "done"
IMPORTED, SKIPPED, FAILED = "imported", "skipped", "failed"
MAX_FILES_PER_UPLOAD = 100
_LEASE = timedelta(minutes=10)
_NOT_FOUND = "Import not found."


def max_request_bytes() -> int:
    """The largest request an import may be: its files, and the multipart form around them."""
    return settings.current().import_max_bytes + 64 * 1024


def _budget() -> Budget:
    current = settings.current()
    return Budget(files=current.import_max_files,
                  expanded_bytes=current.import_max_expanded_bytes)


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _checked_name(name: str | None) -> str:
    base = PurePosixPath((name or "").replace("\\", "/")).name
    if not base.lower().endswith(SUFFIXES):
        raise ServiceError(
            400, f"{base or 'A file'}: import .json, .zip, .md or .txt files only."
        )
    return base[:200]


def start(user: User | None, uploads: list[tuple[str | None, IO[bytes]]],
          fields: Mapping) -> ImportJob:
    """A queued job for these uploads: into the user's blog `collection` when the form
    names one, every post into no blog with `no_blog`, else where the source had it. Anything
    the request itself can tell is wrong (no file, a wrong kind, too large, a ZIP that
    would expand past the budget, someone else's blog) is a 400/403/404 here, and nothing is
    stored."""
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    alias = payload.text(fields, "collection", max_length=200) or None
    no_blog = payload.flag(fields, "no_blog") or False
    if alias and no_blog:
        raise ServiceError(400, "Choose a blog (`collection`) or `no_blog`, not both.")
    collection = blogs.owned(alias, user) if alias else None
    uploads = [(name, stream) for name, stream in uploads if name]
    if not uploads:
        raise ServiceError(400, "Parameter `file` is required: one or more files to import.")
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise ServiceError(400, f"At most {MAX_FILES_PER_UPLOAD} files can be imported at once.")
    most = settings.current().import_max_bytes
    budget = _budget()
    names, total = [], 0
    for name, stream in uploads:
        name = _checked_name(name)
        total += _size(stream)
        if total > most:
            raise ServiceError(400, f"{name}: the files are larger than the {most} bytes "
                               "an import may be.")
        if name.lower().endswith(".zip"):
            try:
                check_zip(stream, budget)
            except ValueError as error:
                raise ServiceError(400, f"{name}: {error}.") from None
            stream.seek(0)
        names.append(name)
    job = ImportJob(id=tokens.new_uid(), user_id=user.id, files=names, status=QUEUED,
                    collection_id=collection.id if collection else None, no_blog=no_blog)
    store = media_store.current()
    for index, (_name, stream) in enumerate(uploads):
        store.put(_file_key(job, index), stream, "application/octet-stream")
    db.session.add(job)
    db.session.commit()
    return job


def _file_key(job: ImportJob, index: int) -> str:
    return f"imports/{job.id}/{index}"


def find(job_id: str, user: User | None) -> ImportJob:
    if user is None:
        raise ServiceError(401, "You must be authenticated to do that.")
    job = db.session.get(ImportJob, job_id) if isinstance(job_id, str) else None
    if job is None or job.user_id != user.id:
        raise ServiceError(404, _NOT_FOUND)
    return job


def of_user(user: User, limit: int = 20) -> list[ImportJob]:
    return list(db.session.scalars(
        select(ImportJob).where(ImportJob.user_id == user.id)
        .order_by(ImportJob.created.desc(), ImportJob.id).limit(limit)
    ))


def _claim(job_id: str) -> ImportJob | None:
    """The job, held for this worker; None when it is finished or another worker holds it."""
    job = db.session.get(ImportJob, job_id)
    now = utcnow()
    if job is None or job.status == DONE:
        return None
    if job.status == RUNNING and job.locked_until and job.locked_until > now:
        return None
    job.status, job.locked_until, job.updated = RUNNING, now + _LEASE, now
    job.attempts += 1
    db.session.commit()
    return job


def _spooled(key: str) -> IO[bytes]:
    """A stored upload as a seekable file (ZIP needs one; an S3 body isn't)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned)
    with media_store.current().open(key) as source:
        while chunk := source.read(1024 * 1024):
            spool.write(chunk)
    spool.seek(0)
    return spool


def _items(job: ImportJob) -> Iterator[SourcePost | Unreadable]:
    budget = _budget()
    for index, name in enumerate(job.files):
        try:
            stream = _spooled(_file_key(job, index))
        except media_store.MissingFile:
            yield Unreadable(f"{name}: the uploaded file is gone")
            continue
        with stream:
            lowered = name.lower()
            if lowered.endswith(".zip"):
                yield from zip_posts(name, stream, budget)
            elif lowered.endswith(".json"):
                yield from json_posts(name, stream.read())
            elif lowered.endswith(TEXT_SUFFIXES):
                try:
                    yield text_post(name, stream.read())
                except Unreadable as error:
                    yield Unreadable(f"{name}: {error}")


def run(job_id: str) -> None:
    """Import what the job's files hold. Results are written in a fixed order, so a job
    resumed after a crash skips the results it already has and goes on from there."""
    job = _claim(job_id)
    if job is None:
        return
    user = db.session.get(User, job.user_id)
    items = list(_items(job))
    job.total = len(items)
    db.session.commit()
    target = db.session.get(Collection, job.collection_id) if job.collection_id else None
    blogs_by_alias: dict[str, tuple[Collection | None, str]] = {}
    for position, item in enumerate(items):
        if position < job.done:
            continue
        if isinstance(item, Unreadable):
            source, _colon, why = str(item).rpartition(": ")
            _record(job, position, source, FAILED, None, why)
            continue
        try:
            chosen = job.collection_id or job.no_blog
            collection, note = (target, "") if chosen else _blog_for(user, item, blogs_by_alias)
            status, post_id, message = _import_one(user, item, collection)
        except ServiceError as error:
            db.session.rollback()
            status, post_id, message = FAILED, None, error.message
        else:
            message = "; ".join(part for part in (note, message) if part)
        _record(job, position, item.source, status, post_id, message)
    job.status, job.locked_until, job.updated = DONE, None, utcnow()
    db.session.commit()
    for index in range(len(job.files)):
        media_store.current().delete(_file_key(job, index))


def _record(job, position, source, status, post_id, message) -> None:
    db.session.add(ImportResult(job_id=job.id, position=position, source=source[:1000],
                                status=status, post_id=post_id, message=message))
    job.done = position + 1
    job.imported += status == IMPORTED
    job.skipped += status == SKIPPED
    job.failed += status == FAILED
    job.updated = utcnow()
    job.locked_until = job.updated + _LEASE
    db.session.commit()


def _blog_for(user: User, item: SourcePost, known: dict) -> tuple[Collection | None, str]:
    """For an import without a chosen blog: the source post's own blog, found among the
    user's blogs by alias or made with the source's settings; when its alias belongs to
    someone else (or the user has all the blogs allowed), the user's first blog."""
    if not item.blog:
        return None, ""
    if item.blog not in known:
        known[item.blog] = _made_blog(user, item)
    collection_id, note = known[item.blog]
    return (db.session.get(Collection, collection_id) if collection_id else None), note


def _made_blog(user: User, item: SourcePost) -> tuple[int | None, str]:
    mine = {blog.alias: blog for blog in blogs.of_user(user)}
    if item.blog in mine:
        return mine[item.blog].id, ""
    wanted = item.blog_settings
    title = wanted.get("title") if isinstance(wanted.get("title"), str) else ""
    try:
        blog = blogs.create({"alias": item.blog, "title": title.strip() or item.blog}, user)
    except ServiceError as error:
        fallback = next(iter(mine.values()), None)
        where = f"/{fallback.alias}/" if fallback else "no blog"
        return (fallback.id if fallback else None), (
            f"blog {item.blog!r} couldn't be made ({error.message}); imported into {where}"
        )
    changes = {key: wanted[key] for key in ("description", "style_sheet", "federate_as")
               if isinstance(wanted.get(key), str)}
    visibility = wanted.get("visibility")
    if visibility == Visibility.PASSWORD or (visibility is None and wanted.get("public") is False):
        visibility = Visibility.PRIVATE  # its password didn't come with it: hide, never expose
    if isinstance(visibility, str):
        changes["visibility"] = visibility
    try:
        blogs.update(blog.alias, changes, user)
    except ServiceError:
        db.session.rollback()  # the blog stays as made; its posts still come
    return blog.id, ""


def _import_one(user: User, item: SourcePost, collection: Collection | None):
    key = item.key
    # A post of this account under the source's id is the post the export came from:
    # an account's own export imported back into it brings nothing twice either.
    same = Post.import_key == key
    if item.source_id:
        same = or_(same, Post.id == item.source_id)
    existing = db.session.scalar(select(Post.id).where(Post.owner_id == user.id, same))
    if existing:
        return SKIPPED, existing, "already imported"
    data = {"body": item.body, "title": item.title, "created": item.created,
            "font": item.font, "lang": item.lang, "rtl": item.rtl}
    data = {name: value for name, value in data.items() if value not in (None, "")}
    post, _token = posts.prepare(data, user, collection, slug=item.slug)
    post.import_key = key
    updated = payload.timestamp({"updated": item.updated}, "updated") if item.updated else None
    post.updated = max(updated or post.created, post.created)
    try:
        posts.commit_new(post)
    except IntegrityError:  # the same key written by a concurrent run of this job
        db.session.rollback()
        return SKIPPED, None, "already imported"
    moved = collection and item.slug and post.slug != item.slug
    return IMPORTED, post.id, (f"slug {item.slug!r} was taken; now {post.slug!r}" if moved else "")


def pending() -> list[str]:
    """Jobs no worker holds that aren't done: never heard of by the queue, or whose worker died."""
    now = utcnow()
    return list(db.session.scalars(
        select(ImportJob.id).where(
            ImportJob.status != DONE,
            (ImportJob.locked_until.is_(None)) | (ImportJob.locked_until < now),
        ).limit(100)
    ))
