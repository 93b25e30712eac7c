"""Every JSON shape of the API, declared once.

Each shape is a msgspec `Struct`: the builders below fill one in and hand the API its
plain JSON value (fields in the declared order, which is the spec's; a field left `UNSET`
is left out), and `api.openapi` asks msgspec for the same declarations' JSON Schema. So a
field can't be answered without being described, nor described without being answered.
Request shapes are declared here too: the services read and check request bodies
themselves (JSON and forms alike, `services.payload`), and these describe what they take.

msgspec rather than pydantic: a Struct is built and turned into builtins in about a third
of a microsecond, as fast as building the dict by hand, and the reads that answer JSON are
the hottest paths the site has.
"""

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from writeas.core import enums, models
from writeas.core.clock import rfc3339
from writeas.crossposting.requests import LIST_MAX, TARGETS_MAX, batch_status
from writeas.http import conditional
from writeas.http.urls import collection_url, site_url
from writeas.services import media
from writeas.services.accounts import ALIAS_MAX, PASSWORD_MAX, PASSWORD_MIN
from writeas.services.media import ALT_TEXT_MAX

Time = Annotated[
    str, Meta(extra_json_schema={"format": "date-time", "examples": ["2016-07-09T01:43:46Z"]})
]
Count = Annotated[int, Meta(ge=0)]


def _values(enum) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


Appearance = Literal[_values(enums.Appearance)]
Visibility = Literal[_values(enums.Visibility)]
FederateAs = Literal[_values(enums.FederateAs)]
DeliveryStatus = Literal[_values(enums.DeliveryStatus)]
BatchStatus = Literal[_values(enums.BatchStatus)]
PlatformName = Literal[
    "bluesky", "facebook", "instagram", "linkedin", "mastodon", "medium", "pinterest",
    "threads", "tiktok", "tumblr", "writeas", "x", "youtube",
]
MimeType = Literal[tuple(media.EXTENSIONS)]
MediaType = Literal[tuple(media.KINDS)]
AccessToken = Annotated[str, Meta(extra_json_schema={"format": "uuid"})]


class _Shape(Struct, kw_only=True, forbid_unknown_fields=True):
    """Answers are closed objects: a field added without being declared here can't ship."""


def plain(shape: Struct | list):
    """A shape (or a list of them) as the plain JSON value the envelope carries."""
    return msgspec.to_builtins(shape)


# --- answers -------------------------------------------------------------------------------


class Error(_Shape, kw_only=True):
    code: Annotated[int, Meta(ge=400, le=599)]
    error_msg: str
    error_code: (
        Annotated[
            str,
            Meta(
                description="For the errors a client tells apart: `idempotency_conflict`, "
                "`idempotency_in_progress`, `mode_conflict`."
            ),
        ]
        | UnsetType
    ) = UNSET


class User(_Shape, kw_only=True):
    username: str
    email: Annotated[str, Meta(description="Empty when none was given.")]
    created: Time


class CollectionRef(_Shape, kw_only=True):
    alias: str
    title: str
    url: str


class Collection(_Shape, kw_only=True):
    alias: str
    title: str
    description: str
    style_sheet: str
    email: (
        Annotated[
            str,
            Meta(description="Write.as's post-by-email address; always empty here, owner only."),
        ]
        | UnsetType
    ) = UNSET
    visibility: Visibility
    public: bool
    private: bool
    total_posts: Count
    url: str


class Post(_Shape, kw_only=True):
    id: Annotated[str, Meta(description="13 random lowercase letters and digits.")]
    slug: Annotated[str | None, Meta(description="Null for posts in no blog.")]
    token: (
        Annotated[str, Meta(description="The modify token; only when publishing.")] | UnsetType
    ) = UNSET
    appearance: Appearance
    language: Annotated[str, Meta(description="ISO 639-1 code, or empty.")]
    rtl: bool
    created: Time
    updated: Time
    title: str
    body: str
    tags: list[str]
    views: Annotated[Count, Meta(description="On reads; not when publishing.")] | UnsetType = UNSET
    collection: CollectionRef | UnsetType = UNSET
    pinned_position: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class CollectionWithPosts(Collection, kw_only=True):
    posts: list[Post]
    pinned: list[Post]


class SignedUp(_Shape, kw_only=True):
    access_token: AccessToken
    user: User
    collections: list[Collection]


class LoggedIn(_Shape, kw_only=True):
    access_token: AccessToken
    user: User


class ClaimResult(_Shape, kw_only=True):
    """One item of a claim: the post on success, `error_msg` otherwise."""

    id: str | UnsetType = UNSET
    code: int
    error_msg: str | UnsetType = UNSET
    post: Post | UnsetType = UNSET


class CollectResult(_Shape, kw_only=True):
    """One item moved into a blog: the post on success, `error_msg` otherwise."""

    code: int
    error_msg: str | UnsetType = UNSET
    post: Post | UnsetType = UNSET


class PinResult(_Shape, kw_only=True):
    id: str | None
    code: int
    error_msg: str | UnsetType = UNSET


class Channel(_Shape, kw_only=True):
    """Never the credentials, not even sealed."""

    id: int
    platform: PlatformName
    handle: str
    account_id: str
    base_url: str
    status: Literal["active", "needs_reconnect"]
    status_reason: str | None
    created: Time


class Media(_Shape, kw_only=True):
    id: str
    type: MediaType
    mime_type: MimeType
    url: Annotated[
        str, Meta(description="The file's public address (unguessable; gone once deleted).")
    ]
    width: Annotated[int, Meta(ge=1)]
    height: Annotated[int, Meta(ge=1)]
    size: Annotated[int, Meta(ge=1, description="Bytes.")]
    duration: Annotated[float, Meta(ge=0, description="Seconds; 0 for an image.")]
    video_codec: Annotated[str | None, Meta(description="A video's (`h264`, `vp9`, …).")]
    audio_codec: Annotated[str | None, Meta(description="Null without sound, or for an image.")]
    frame_rate: Annotated[float | None, Meta(description="A video's, per second.")]
    alt_text: str
    created: Time


class FirstCommentResult(_Shape, kw_only=True):
    status: Literal["published", "failed", "skipped"]
    id: str | None | UnsetType = UNSET
    url: str | None | UnsetType = UNSET
    error: str | None | UnsetType = UNSET


class CrosspostResult(_Shape, kw_only=True):
    id: str
    channel: Annotated[int | None, Meta(description="Null when no channel matched.")]
    platform: str
    handle: str
    status: DeliveryStatus
    success: Annotated[
        bool, Meta(description="Seed 001's flag: true exactly when `status` is published.")
    ]
    post_id: Annotated[str | None, Meta(description="The post's id on the other platform.")]
    url: str | None
    uri: Annotated[
        str | None,
        Meta(description="The post's own identifier where the platform has one (an AT URI, "
             "an ActivityPub id, a URN)."),
    ]
    error: Annotated[
        str | None,
        Meta(description="Why it failed, or (`unconfirmed`) why it can't be known whether it "
             "was posted."),
    ]
    published_at: Time | None
    attempts: Count
    cid: Annotated[str | None, Meta(description="Bluesky only.")] | UnsetType = UNSET
    first_comment: FirstCommentResult | UnsetType = UNSET


class MyCrosspostResult(CrosspostResult, kw_only=True):
    post: Annotated[
        str | None, Meta(description="The crossposted post's id; null for a standalone post.")
    ]
    batch: Annotated[str, Meta(description="The crosspost request it belongs to.")]


class CrosspostBatch(_Shape, kw_only=True):
    id: str
    post: Annotated[str | None, Meta(description="Null for a standalone social post.")]
    status: BatchStatus
    created: Time
    scheduled_at: Time | UnsetType = UNSET
    results: list[CrosspostResult]


# --- builders ------------------------------------------------------------------------------


def _user(user: models.User) -> User:
    return User(username=user.username, email=user.email or "", created=rfc3339(user.created))


def user_json(user: models.User) -> dict:
    return plain(_user(user))


def collection_shape(collection: models.Collection, *, total_posts: int, owner: bool = False):
    """`email` (Write.as's post-by-email address) only for the owner; this server has no
    mail gateway, so it is empty."""
    return Collection(
        alias=collection.alias,
        title=collection.title,
        description=collection.description,
        style_sheet=collection.style_sheet,
        email="" if owner else UNSET,
        visibility=collection.visibility,
        public=collection.visibility == "public",
        private=collection.visibility == "private",
        total_posts=total_posts,
        url=collection_url(collection.alias),
    )


def collection_json(
    collection: models.Collection, *, total_posts: int, owner: bool = False
) -> dict:
    return plain(collection_shape(collection, total_posts=total_posts, owner=owner))


def collection_with_posts_json(
    collection: models.Collection, *, total_posts: int, owner: bool, posts: list, pinned: list
) -> dict:
    """`posts` and `pinned` are `post_shape`s."""
    base = collection_shape(collection, total_posts=total_posts, owner=owner)
    fields = {name: getattr(base, name) for name in base.__struct_fields__}
    return plain(CollectionWithPosts(**fields, posts=posts, pinned=pinned))


def post_shape(post: models.Post, *, token: str | None = None, views: int | None = None) -> Post:
    """`token` only on publish, `views` everywhere else."""
    blog = post.collection
    return Post(
        id=post.id,
        slug=post.slug,
        token=UNSET if token is None else token,
        appearance=post.appearance,
        language=post.language,
        rtl=post.rtl,
        created=rfc3339(post.created),
        updated=rfc3339(post.updated),
        title=post.title,
        body=post.body,
        tags=list(post.tags or []),
        views=UNSET if views is None else views,
        collection=(
            UNSET
            if blog is None
            else CollectionRef(alias=blog.alias, title=blog.title, url=collection_url(blog.alias))
        ),
        pinned_position=(
            post.pinned_position if blog is not None and post.pinned_position is not None else UNSET
        ),
    )


def post_json(post: models.Post, *, token: str | None = None, views: int | None = None) -> dict:
    return plain(post_shape(post, token=token, views=views))


def post_etag(post, url_root: str) -> str:
    """The ETag of `post_json`'s answer: the post's version and, for a blog's post, the
    blog's and the host its absolute URL is made from. Views are left out (see
    `http.conditional`)."""
    blog = post.collection
    where = (blog.uid, blog.content_version, url_root) if blog is not None else None
    return conditional.etag("api-post", post.id, post.content_version, where)


def signed_up_json(user: models.User, token: str) -> dict:
    collections = [collection_shape(c, total_posts=0, owner=True) for c in user.collections]
    return plain(SignedUp(access_token=token, user=_user(user), collections=collections))


def logged_in_json(user: models.User, token: str) -> dict:
    return plain(LoggedIn(access_token=token, user=_user(user)))


def claim_results_json(results: list, views) -> list:
    """The service's `(result, post)` pairs; `views(post)` counts a claimed post's views."""
    return plain(
        [
            ClaimResult(**result, post=post_shape(post, views=views(post)) if post else UNSET)
            for result, post in results
        ]
    )


def collect_results_json(results: list) -> list:
    return plain(
        [
            CollectResult(**result, post=post_shape(post) if post else UNSET)
            for result, post in results
        ]
    )


def pin_results_json(results: list[dict]) -> list:
    return plain([PinResult(**result) for result in results])


def channel_json(channel) -> dict:
    return plain(
        Channel(
            id=channel.id,
            platform=channel.platform,
            handle=channel.handle,
            account_id=channel.account_id,
            base_url=channel.base_url,
            status=channel.status,
            status_reason=channel.status_reason or None,
            created=rfc3339(channel.created),
        )
    )


def media_json(item) -> dict:
    is_video = item.kind == media.VIDEO
    return plain(
        Media(
            id=item.id,
            type=item.kind.upper(),
            mime_type=item.mime_type,
            url=site_url() + media.public_path(item),
            width=item.width,
            height=item.height,
            size=item.size,
            duration=item.duration,
            video_codec=item.video_codec if is_video else None,
            audio_codec=(item.audio_codec or None) if is_video else None,
            frame_rate=item.frame_rate if is_video else None,
            alt_text=item.alt_text,
            created=rfc3339(item.created),
        )
    )


def _result_fields(delivery) -> dict:
    fields = {
        "id": delivery.id,
        "channel": delivery.channel_id,
        "platform": delivery.platform,
        "handle": delivery.handle,
        "status": delivery.status,
        "success": delivery.status == enums.DeliveryStatus.PUBLISHED,
        "post_id": delivery.remote_id,
        "url": delivery.url,
        "uri": delivery.uri,
        "error": delivery.error,
        "published_at": rfc3339(delivery.published_at),
        "attempts": delivery.attempts,
    }
    if delivery.platform == "bluesky":
        fields["cid"] = delivery.cid
    comment = (delivery.platform_state or {}).get("first_comment")
    if comment:
        fields["first_comment"] = msgspec.convert(comment, FirstCommentResult)
    return fields


def batch_json(batch) -> dict:
    return plain(
        CrosspostBatch(
            id=batch.id,
            post=batch.post_id,
            status=batch_status(batch.deliveries),
            created=rfc3339(batch.created),
            scheduled_at=UNSET if batch.scheduled_at is None else rfc3339(batch.scheduled_at),
            results=[CrosspostResult(**_result_fields(d)) for d in batch.deliveries],
        )
    )


def result_json(delivery) -> dict:
    return plain(CrosspostResult(**_result_fields(delivery)))


def my_results_json(deliveries: list) -> list:
    return plain(
        [
            MyCrosspostResult(**_result_fields(d), post=d.post_id, batch=d.batch_id)
            for d in deliveries
        ]
    )


# --- requests (described; read and checked by the services) -------------------------------


class _Request(Struct, kw_only=True):
    """Request bodies are open: keys the endpoint doesn't read are ignored."""


Language = Annotated[
    str,
    Meta(
        max_length=16,
        pattern="^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?)?$",
        description="ISO 639-1 code, optionally with a region; empty clears it.",
    ),
]
Font = Annotated[
    str,
    Meta(
        description="sans, serif (or norm), wrap, mono or code; anything else is serif.",
        examples=["serif"],
    ),
]
CrosspostSpec = Annotated[
    list[Annotated[dict[str, str], Meta(min_length=1, max_length=1)]],
    Meta(description='Authenticated only: [{"mastodon": "handle"}, …], one pair an item.'),
]


class Credentials(_Request, kw_only=True, rename={"password": "pass"}):
    alias: Annotated[str, Meta(min_length=1, max_length=ALIAS_MAX)]
    # `pass` is a Python keyword: the JSON name comes from `rename`.
    password: Annotated[str, Meta(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class SignupRequest(Credentials, kw_only=True):
    email: Annotated[str, Meta(extra_json_schema={"format": "email"})] | UnsetType = UNSET
    # An invite link's code: needed while the instance's registration is `invite`.
    invite: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET


class PostFields(_Request, kw_only=True):
    title: Annotated[str, Meta(max_length=1000)] | UnsetType = UNSET
    font: Font | UnsetType = UNSET
    lang: Language | UnsetType = UNSET
    rtl: bool | UnsetType = UNSET


class PublishRequest(PostFields, kw_only=True):
    body: Annotated[str, Meta(min_length=1)]
    crosspost: CrosspostSpec | UnsetType = UNSET
    created: Time | UnsetType = UNSET


class UpdateRequest(PostFields, kw_only=True):
    body: str | UnsetType = UNSET
    token: str | UnsetType = UNSET


class TokenRequest(_Request, kw_only=True):
    token: str | UnsetType = UNSET


class PostToken(_Request, kw_only=True):
    id: str
    token: str | UnsetType = UNSET


class CollectionCreate(_Request, kw_only=True):
    title: Annotated[str, Meta(min_length=1, max_length=255)]
    alias: Annotated[str, Meta(max_length=ALIAS_MAX)] | UnsetType = UNSET


class CollectionUpdate(_Request, kw_only=True):
    title: Annotated[str, Meta(min_length=1, max_length=255)] | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=5000)] | UnsetType = UNSET
    style_sheet: Annotated[str, Meta(max_length=100_000)] | UnsetType = UNSET
    visibility: (
        Annotated[
            Visibility | Literal[0, 1, 2, 4],
            Meta(description="A name, or WriteFreely's number (1, 0, 2, 4)."),
        ]
        | UnsetType
    ) = UNSET
    password: Annotated[str, Meta(max_length=PASSWORD_MAX)] | UnsetType = UNSET
    federate_as: (
        Annotated[
            FederateAs,
            Meta(description="What titled posts become on the fediverse (untitled: Notes)."),
        ]
        | UnsetType
    ) = UNSET


class PinItem(_Request, kw_only=True):
    id: str
    position: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class PostId(_Request, kw_only=True):
    id: str


class ChannelConnect(_Request, kw_only=True):
    platform: PlatformName
    handle: Annotated[str, Meta(min_length=1, max_length=255)]
    base_url: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET
    credentials: Annotated[
        dict[str, Annotated[str, Meta(min_length=1, max_length=4096)]],
        Meta(min_length=1, max_length=10),
    ]


class ChannelByHandle(_Request, kw_only=True):
    platform: str | UnsetType = UNSET
    handle: str | UnsetType = UNSET


class CrosspostTarget(_Request, kw_only=True):
    channel: Annotated[
        int | str | ChannelByHandle, Meta(description="A channel id, or {platform, handle}.")
    ]
    text: Annotated[str, Meta(max_length=100_000)] | UnsetType = UNSET
    media: Annotated[list[str], Meta(description="Media ids.")] | UnsetType = UNSET
    title: Annotated[str, Meta(max_length=1000)] | UnsetType = UNSET
    link: (
        Annotated[str, Meta(max_length=2000, pattern="^https?://", description="A pin's or "
                            "a link post's destination; the permalink when not given.")]
        | UnsetType
    ) = UNSET
    board_id: (
        Annotated[str, Meta(max_length=200, description="Pinterest: the board (required).")]
        | UnsetType
    ) = UNSET
    options: (
        Annotated[
            dict[str, str | bool | int | list[str]],
            Meta(description="The platform's own options (see the README): Mastodon "
                 "`visibility`, `spoiler_text`, `sensitive`; Instagram `format`; TikTok "
                 "`privacy_level`; YouTube `privacy_status`; Pinterest `board_section_id`. "
                 "Unknown options are refused."),
        ]
        | UnsetType
    ) = UNSET


class CrosspostRequest(_Request, kw_only=True):
    """One shape for crossposting a blog post and for a standalone social post
    (`POST /api/crossposts`, seed 002's), where every target needs text or media."""

    targets: Annotated[list[CrosspostTarget], Meta(min_length=1, max_length=TARGETS_MAX)]
    text: (
        Annotated[str, Meta(max_length=100_000, description="For targets without their own.")]
        | UnsetType
    ) = UNSET
    media: (
        Annotated[list[str], Meta(description="For targets without their own.")] | UnsetType
    ) = UNSET
    first_comment: (
        Annotated[str, Meta(max_length=10_000, description="Posted as a reply (Bluesky, "
                            "Mastodon, Threads) or a comment (Instagram, Facebook, YouTube).")]
        | UnsetType
    ) = UNSET
    publish_now: (
        Annotated[bool, Meta(description="With `scheduled_at`: 400 `mode_conflict`.")]
        | UnsetType
    ) = UNSET
    scheduled_at: Time | UnsetType = UNSET


class Board(_Shape, kw_only=True):
    id: str
    name: str
    privacy: str = ""
    description: str = ""


def boards_json(boards: list[dict]) -> list:
    return plain([msgspec.convert(board, Board) for board in boards])


MEDIA_UPLOAD = {
    "type": "object",
    "properties": {
        "file": {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": "A JPEG, PNG, GIF or WebP image (up to MEDIA_MAX_BYTES), or an MP4, "
            "QuickTime or WebM video (up to VIDEO_MAX_BYTES).",
        },
        "type": {
            "enum": list(media.KINDS),
            "description": "What `file` is; told from its first bytes when not given.",
        },
        "alt_text": {"type": "string", "maxLength": ALT_TEXT_MAX},
    },
    "required": ["file"],
}
LIMIT = {"type": "string", "pattern": f"^[0-9]{{1,{len(str(LIST_MAX))}}}$"}


# --- Export and import (/api/me/export, /api/me/import, /api/me/imports) ---------------

ImportStatus = Literal["queued", "running", "done"]


class ImportItem(_Shape, kw_only=True):
    position: Count
    source: Annotated[str, Meta(description="The file, and the post in it, this is about.")]
    status: Literal["imported", "skipped", "failed"]
    post_id: Annotated[str | None, Meta(description="The post made (or already there).")]
    message: Annotated[str, Meta(description="Why it failed or was skipped; or what changed.")]


class ImportJob(_Shape, kw_only=True):
    id: str
    status: ImportStatus
    blog: Annotated[str | None, Meta(description="The target blog's alias; null: the "
                                     "source's own blogs, or no blog.")]
    no_blog: Annotated[bool, Meta(description="Every post went into no blog.")]
    files: list[str]
    total: Annotated[Count, Meta(description="Posts (and unreadable things) found; 0 until "
                                 "the worker has read the files.")]
    done: Count
    imported: Count
    skipped: Count
    failed: Count
    created: Time
    updated: Time
    results: list[ImportItem] | UnsetType = UNSET


def import_job_json(job: models.ImportJob, *, results: bool = True) -> dict:
    return plain(
        ImportJob(
            id=job.id,
            status=job.status,
            blog=job.collection.alias if job.collection is not None else None,
            no_blog=job.no_blog,
            files=list(job.files),
            total=job.total,
            done=job.done,
            imported=job.imported,
            skipped=job.skipped,
            failed=job.failed,
            created=rfc3339(job.created),
            updated=rfc3339(job.updated),
            results=[
                ImportItem(position=r.position, source=r.source, status=r.status,
                           post_id=r.post_id, message=r.message)
                for r in job.results
            ] if results else UNSET,
        )
    )


IMPORT_UPLOAD = {
    "type": "object",
    "properties": {
        "file": {
            "type": "array",
            "items": {"type": "string", "contentMediaType": "application/octet-stream"},
            "description": "One or more files: a Write.as or WriteFreely JSON export, a ZIP "
            "of .md/.txt files (WriteFreely's ZIP export, or ours), or .md/.txt files.",
        },
        "collection": {
            "type": "string",
            "description": "The alias of one of your blogs to import into; without it (and "
            "without `no_blog`), the blogs the source names (made when missing), or no blog.",
        },
        "no_blog": {
            "enum": ["true", "false", "1", "0", "yes", "no", "on", "off"],
            "description": "Every post into no blog, whatever blog the source had it in.",
        },
    },
    "required": ["file"],
}
EXPORT_FORMATS = {
    "application/json": "`format=json` (the default): the blogs with their settings and "
    "posts, and the posts in no blog, in WriteFreely's full-export shape.",
    "text/csv": "`format=csv`: one row per post.",
    "application/zip": "`format=zip`: Markdown files with YAML front matter, one folder "
    "per blog (`_no_blog` for the others).",
}
