"""Reading what people bring: a Write.as or WriteFreely JSON export, a ZIP, `.md`/`.txt`
files, each turned into source posts (or one error per thing that can't be read).

The formats read:
- The full JSON export of WriteFreely and Write.as (`/me/export.json`, and ours, which
  has the same shape): an object with `collections`, each with its settings and `posts`,
  and `posts`, the ones in no blog.
- Their posts export (`/me/posts/export.json`): an array of posts, each naming its blog as
  `collection.alias`; and the array of `{title, slug, body, font, lang, rtl, created}`
  WriteFreely documents for moving in from elsewhere.
- Markdown or text, alone or in a ZIP: YAML front matter (ours; Jekyll's and Hugo's
  `title`, `slug`, `date` too) when the file starts with `---`; else WriteFreely's own ZIP
  export, `# Title` then the body, named `alias/slug_id.txt`, dated by the ZIP entry.

Nothing here writes. ZIPs are read within the budget `imports` passes on: an entry that
inflates past its declared size or the bytes left is an error of its own, whatever its
header claims.
"""

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import IO, Any

from writeas.core.lazy_imports import lazy

yaml = lazy("yaml")  # for Markdown files' front matter only

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
SUFFIXES = (".json", ".zip", *TEXT_SUFFIXES)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING_TITLE = re.compile(r"\A# +([^\n]+)\n(?:[ \t]*\n)+")
# WriteFreely's ZIP names each post `slug_id.txt` (`id.txt` without a slug).
_WRITEFREELY_NAME = re.compile(r"(?:([a-z0-9-]+)_)?([a-z0-9]{10,13})")
_BLOG_FIELDS = ("title", "description", "style_sheet", "visibility", "public", "federate_as")


class Unreadable(Exception):
    """One file, entry or post that can't be imported; the message says why."""


@dataclass
class SourcePost:
    """One post as the source has it. `key` identifies it across imports (see `key_for`)."""

    source: str
    body: str
    title: str = ""
    slug: str | None = None
    created: str | None = None
    updated: str | None = None
    font: str | None = None
    lang: str | None = None
    rtl: Any = None
    source_id: str | None = None
    blog: str | None = None
    blog_settings: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return key_for(self)


def key_for(post: SourcePost) -> str:
    """The source's own post id when it has one (WriteFreely's, Write.as's and ours are
    stable for a post's life, across edits); else a digest of what the file says, so the
    same file imported twice is found again, whatever it is named or whenever it comes."""
    if post.source_id:
        return f"id:{post.source_id}"[:64]
    digest = hashlib.sha256(
        json.dumps([post.title, post.slug, post.created, post.body]).encode()
    ).hexdigest()
    return f"sha256:{digest[:48]}"


def _text_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, str):
        return value
    raise Unreadable(f"a field holds {type(value).__name__}, not text")


def _from_mapping(item: Any, source: str, blog: str | None = None, settings=None) -> SourcePost:
    """A post object of any of the JSON formats, or a file's front matter."""
    if not isinstance(item, Mapping):
        raise Unreadable("not a post object")
    body = item.get("body", item.get("content"))
    if not isinstance(body, str) or not body.strip():
        raise Unreadable("it has no body")
    collection = item.get("collection")
    if blog is None and isinstance(collection, Mapping):
        blog = _text_value(collection.get("alias"))
    elif blog is None and isinstance(item.get("blog"), str):
        blog = item["blog"]
    source_id = _text_value(item.get("id"))
    return SourcePost(
        source=source,
        body=body,
        title=_text_value(item.get("title")) or "",
        slug=_text_value(item.get("slug")),
        created=_text_value(item.get("created", item.get("date"))),
        updated=_text_value(item.get("updated")),
        font=_text_value(item.get("appearance", item.get("font"))),
        lang=_text_value(item.get("language", item.get("lang"))),
        rtl=item.get("rtl"),
        source_id=source_id if source_id and re.fullmatch(r"[A-Za-z0-9_-]{1,60}", source_id)
        else None,
        blog=blog or None,
        blog_settings=dict(settings or {}),
    )


def _label(source: str, item: Any, index: int) -> str:
    name = item.get("slug") or item.get("id") if isinstance(item, Mapping) else None
    return f"{source}: {name}" if isinstance(name, str) and name else f"{source}: post {index + 1}"


def json_posts(name: str, data: bytes) -> Iterator[SourcePost | Unreadable]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        yield Unreadable(f"{name}: not a JSON file")
        return
    if isinstance(document, list):
        groups = [(None, {}, document, name)]
    elif isinstance(document, Mapping) and ("collections" in document or "posts" in document):
        groups = []
        for blog in document.get("collections") or []:
            if not isinstance(blog, Mapping) or not isinstance(blog.get("alias"), str):
                yield Unreadable(f"{name}: a blog without an alias")
                continue
            settings = {k: blog[k] for k in _BLOG_FIELDS if k in blog}
            groups.append((blog["alias"], settings, blog.get("posts") or [], blog["alias"]))
        groups.append((None, {}, document.get("posts") or [], name))
    else:
        yield Unreadable(f"{name}: not a Write.as or WriteFreely export")
        return
    for alias, settings, items, label in groups:
        if not isinstance(items, list):
            yield Unreadable(f"{label}: `posts` is not a list")
            continue
        for index, item in enumerate(items):
            where = _label(label, item, index)
            try:
                yield _from_mapping(item, where, alias, settings)
            except Unreadable as error:
                yield Unreadable(f"{where}: {error}")


def text_post(name: str, data: bytes, modified: datetime | None = None) -> SourcePost:
    """One Markdown or text file (`name` as in its ZIP, folders included)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    if "\x00" in text:
        raise Unreadable("not a text file")
    front = _FRONT_MATTER.match(text)
    if front:
        try:
            fields = yaml.safe_load(front.group(1)) or {}
        except yaml.YAMLError as error:
            raise Unreadable(f"its front matter is not YAML ({error.__class__.__name__})") from None
        if not isinstance(fields, Mapping):
            raise Unreadable("its front matter is not a mapping")
        body = text[front.end():].lstrip("\r\n")
        return _from_mapping({**fields, "body": body}, name)
    title = ""
    heading = _HEADING_TITLE.match(text)
    if heading:
        title, text = heading.group(1).strip(), text[heading.end():]
    path = PurePosixPath(name)
    slug = source_id = None
    named = _WRITEFREELY_NAME.fullmatch(path.stem)
    if named and len(path.parts) <= 2:
        slug, source_id = named.groups()
    return _from_mapping(
        {
            "body": text, "title": title, "slug": slug, "id": source_id,
            "created": modified, "updated": modified,
        },
        name,
    )


@dataclass
class Budget:
    """What one import may still expand its ZIPs to: entries and bytes, shared by all the
    ZIPs of the upload and spent as they are checked (declared sizes) or read (real ones)."""

    files: int
    expanded_bytes: int


def check_zip(stream: IO[bytes], budget: Budget) -> None:
    """What a ZIP declares, checked before anything is inflated, and taken from `budget`.
    A lying header is caught while reading."""
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError):
        return  # not a ZIP: the worker reports it as this file's own error
    if len(entries) > budget.files:
        raise ValueError(f"the ZIPs hold {len(entries)} files or more; at most "
                         f"{budget.files} more can be read")
    declared = sum(info.file_size for info in entries)
    if declared > budget.expanded_bytes:
        raise ValueError(
            f"the ZIPs expand to {declared} bytes or more; at most {budget.expanded_bytes} "
            "more can be read"
        )
    budget.files -= len(entries)
    budget.expanded_bytes -= declared


def _bounded_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    most = min(info.file_size, budget)
    with archive.open(info) as entry:
        data = entry.read(most + 1)
    if len(data) > most:
        raise Unreadable("it expands past its declared size or the import's limit")
    return data


def _ignored(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def zip_posts(name: str, stream: IO[bytes], budget: Budget) -> Iterator[SourcePost | Unreadable]:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        yield Unreadable(f"{name}: not a ZIP file")
        return
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir() and not _ignored(i.filename)]
        if len(entries) > budget.files:
            yield Unreadable(f"{name}: {len(entries) - budget.files} files past the import's "
                             "limit of files were left out")
        for info in entries[: max(budget.files, 0)]:
            budget.files -= 1
            where = f"{name}: {info.filename}"
            if not info.filename.lower().endswith(TEXT_SUFFIXES):
                yield Unreadable(f"{where}: not a .md or .txt file")
                continue
            try:
                data = _bounded_read(archive, info, budget.expanded_bytes)
                budget.expanded_bytes -= len(data)
                modified = datetime(*info.date_time)
                post = text_post(info.filename, data, modified)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as error:
                yield Unreadable(f"{where}: can't be read ({error.__class__.__name__})")
                continue
            except Unreadable as error:
                yield Unreadable(f"{where}: {error}")
                continue
            post.source = where
            yield post
