"""Tables. Secrets (passwords, access tokens, modify tokens) are stored only as hashes.

Tables whose integer id goes into a session, a cache key or a URL (users, blogs, channels)
never reuse one: SQLite hands a deleted row's id to the next row unless the table says
AUTOINCREMENT, and a new blog must never inherit a deleted blog's cached pages or unlocks.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import FederateAs, Visibility
from writeas.core.tokens import new_uid

NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Every browser session carries the generation it was made in; logging out advances
    # it, which ends every session of the account, copied cookies included.
    session_generation: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    # The instance's administration (migration 0011): admins reach /admin; a suspended
    # account can't log in or publish, and nothing of it is shown or sent anywhere.
    is_admin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    suspended: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    collections: Mapped[list["Collection"]] = relationship(
        back_populates="owner", order_by="Collection.id"
    )

    # Flask-Login's contract for the web session.
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class AccessToken(db.Model):
    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Given on /me/settings; tokens from log-in have none.
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="", server_default="")

    user: Mapped[User] = relationship()


# --- accounts people own: browser sessions and retired aliases ---------------------------


class UserSession(db.Model):
    """One logged-in browser: the session cookie carries its id, so each can be listed
    and revoked alone, and the request that loads the user reads this row by its key."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_agent: Mapped[str] = mapped_column(
        String(300), nullable=False, default="", server_default=""
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Written at most every few minutes (see `account_sessions.SEEN_EVERY`).
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class RetiredAlias(db.Model):
    """An alias whose account was deleted. It is never given out again: the fediverse has
    cached its actor and key, and links to it must not lead to someone else's writing."""

    __tablename__ = "retired_aliases"

    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    retired: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Collection(db.Model):
    __tablename__ = "collections"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique to this blog's life, even across a restored backup or a reused id: what
    # cached pages, unlocks and password-attempt counts are keyed by.
    uid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_uid)
    # Advanced whenever the password or the visibility changes: an unlock made before
    # no longer matches (see `visibility.unlock_stamp`).
    lock_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    alias: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    style_sheet: Mapped[str] = mapped_column(Text, nullable=False, default="")
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default=Visibility.PUBLIC)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Bumped in the same transaction as any write that changes what the blog shows
    # (see `content_versions`), so pages cached under it are never served stale.
    content_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    # Moved with `content_version`: the `Last-Modified` of the blog's pages and feeds.
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # The blog's ActivityPub key pair (RSA-2048), made with the blog; the private half is
    # sealed (secretbox) and never leaves the server.
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    private_key_sealed: Mapped[str | None] = mapped_column(Text)
    # How titled posts federate: `auto` (Article), `article`, or `note` (the whole post
    # in Mastodon's timeline).
    federate_as: Mapped[str] = mapped_column(
        String(8), nullable=False, default=FederateAs.AUTO, server_default=FederateAs.AUTO
    )

    owner: Mapped[User] = relationship(back_populates="collections")


LISTED_POSTS = "pinned_position IS NULL AND body <> ''"
PINNED_POSTS = "pinned_position IS NOT NULL AND body <> ''"


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("collection_id", "slug", name="uq_posts_collection_slug"),
        Index("ix_posts_owner_created", "owner_id", "created"),
        Index("ix_posts_collection_created", "collection_id", "created", "seq"),
        Index("ix_posts_seq", "seq"),
        # A blog's stream: a deep page's OFFSET steps over these entries alone. Queries
        # name its terms literally (`visibility.published_filter`), or no planner uses it.
        Index(
            "ix_posts_listed", "collection_id", "created", "seq",
            sqlite_where=text(LISTED_POSTS), postgresql_where=text(LISTED_POSTS),
        ),
        # Its navigation: found, and counted, without walking the blog's every post.
        Index(
            "ix_posts_pinned", "collection_id", "created",
            sqlite_where=text(PINNED_POSTS), postgresql_where=text(PINNED_POSTS),
        ),
        Index(
            "ix_posts_highlight_due", "highlight_due",
            sqlite_where=text("highlight_due"), postgresql_where=text("highlight_due"),
        ),
        UniqueConstraint("owner_id", "import_key", name="uq_posts_owner_import_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )
    slug: Mapped[str | None] = mapped_column(String(255))
    modify_token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    appearance: Mapped[str] = mapped_column(String(8), nullable=False, default="norm")
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    rtl: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Derived at write time so reads never re-run extraction or Markdown.
    display_title: Mapped[str] = mapped_column(Text, nullable=False, default="")
    tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    excerpt: Mapped[str] = mapped_column(Text, nullable=False, default="")
    views: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # 1…n within the blog when the post is pinned to its navigation, else None.
    pinned_position: Mapped[int | None] = mapped_column(Integer)
    # Crosspost targets requested at publish time, in the spec's shape.
    crosspost: Mapped[list | None] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Bumped by every write to the post (see `content_versions`): `updated` has one-second
    # resolution, so it can't tell two edits in one second apart; this can.
    content_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    # Order of writing: `created` has one-second resolution (and imports or the API may
    # give many posts one `created`), so among equal `created` the later-written comes
    # first by this, never by the random id. One more than the largest so far, worked out
    # inside the INSERT: SQLite runs one writer at a time, so that is unique there; on
    # PostgreSQL only overlapping transactions can draw the same number, and for them
    # either order is the order of writing.
    seq: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=text("(SELECT COALESCE(MAX(seq), 0) + 1 FROM posts)")
    )
    # Set on imported posts: the source post's identity (see `services.import_sources`),
    # unique per owner, so importing the same export again finds the post, not a copy.
    import_key: Mapped[str | None] = mapped_column(String(64))
    # A long paste's colours are the worker's job (`services.highlighting`): until it is
    # done, `body_html` holds the paste's numbered lines without them.
    highlight_due: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    owner: Mapped[User | None] = relationship()
    collection: Mapped[Collection | None] = relationship()
    tag_rows: Mapped[list["PostTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def unpublished(self) -> bool:
        return self.body == ""


# How every list of posts is ordered: newest first, and the later-written first within one
# `created` second.
NEWEST_FIRST = (Post.created.desc(), Post.seq.desc())


class PostTag(db.Model):
    """One row per (post, hashtag), casefolded, so tag pages are an index lookup."""

    __tablename__ = "post_tags"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class IdempotencyRecord(db.Model):
    """One `Idempotency-Key` seen from one client: in flight, or its stored response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)


class Channel(db.Model):
    """A connected account on another platform. Its credentials are sealed (secretbox)."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("user_id", "platform", "handle", name="uq_channels_user_platform_handle"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    handle: Mapped[str] = mapped_column(String(255), nullable=False)
    account_id: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    base_url: Mapped[str] = mapped_column(String(500), nullable=False)
    credentials: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Rate limits pause every delivery to this account until then; a lease keeps one
    # publish at a time per account.
    paused_until: Mapped[datetime | None] = mapped_column(DateTime)
    busy_until: Mapped[datetime | None] = mapped_column(DateTime)
    # What the platform told us of the account when it was connected (a Mastodon-API
    # server's version and limits, say): read at connect, never a secret.
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class CrosspostBatch(db.Model):
    """One crosspost request: the deliveries it asked for share its id and status."""

    __tablename__ = "crosspost_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None for a standalone social post (`POST /api/crossposts`), which has no blog post.
    post_id: Mapped[str | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The site's address as the request that asked for the crosspost saw it: the worker
    # that builds permalinks later has no request to ask (SITE_URL, when set, wins).
    site_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="batch", order_by="Delivery.position"
    )


class Delivery(db.Model):
    """One post to one channel: the database row is the truth about it, and at most one
    exists per (post, channel), so a post can't be sent to an account twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", name="uq_deliveries_post_channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    batch_id: Mapped[str] = mapped_column(
        ForeignKey("crosspost_batches.id", ondelete="CASCADE"), nullable=False, index=True
    )
    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    handle: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    text: Mapped[str | None] = mapped_column(Text)  # the user's per-target text, if any
    media_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # The target's own fields beside `text` and `media`: title, link, board_id, options,
    # first_comment.
    target: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # What earlier attempts left for the next one (a media container id, an upload
    # session URI, a publish id, the first comment's outcome), written before the call
    # that could create something, so a retry polls or resumes instead of creating again.
    platform_state: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False)
    remote_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    cid: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    batch: Mapped[CrosspostBatch] = relationship(back_populates="deliveries")
    channel: Mapped[Channel | None] = relationship()
    post: Mapped[Post | None] = relationship()


class MediaFile(db.Model):
    """An image or a video uploaded for crossposting (`POST /api/media`). Its bytes are in
    the media store under `storage_key`, never in the database: videos run to hundreds of
    megabytes, and several hosts may share one bucket."""

    __tablename__ = "media"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(
        String(8), nullable=False, default="image", server_default="image"
    )
    mime_type: Mapped[str] = mapped_column(String(40), nullable=False)
    alt_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # A video's, as PyAV read them; 0 and "" for an image.
    duration: Mapped[float] = mapped_column(Float, nullable=False, default=0.0, server_default="0")
    video_codec: Mapped[str] = mapped_column(
        String(32), nullable=False, default="", server_default=""
    )
    audio_codec: Mapped[str] = mapped_column(
        String(32), nullable=False, default="", server_default=""
    )
    frame_rate: Mapped[float] = mapped_column(
        Float, nullable=False, default=0.0, server_default="0"
    )
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    # The video this one is the H.264/AAC MP4 copy of, made by the worker for a platform
    # that takes nothing else: one copy per original (every platform takes the same), kept
    # for the next delivery, gone with the original, never listed.
    derived_from: Mapped[str | None] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


# Images in posts.


class PostImage(db.Model):
    """One row per (post, uploaded image its body shows), kept by `posts.derive`: the
    page gets the image's size from it, and deleting a post can tell which of its images
    no other post shows any more."""

    __tablename__ = "post_images"

    post_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("media.id", ondelete="CASCADE"), primary_key=True, index=True
    )


Post.image_rows = relationship(PostImage, cascade="all, delete-orphan", passive_deletes=True)


# ActivityPub. Remote ids (actors, objects, activities, inboxes) are URLs, kept as Text.


class SiteActor(db.Model):
    """The instance's own actor (an `Application`), which signs the fetches we make: one row."""

    __tablename__ = "site_actor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    private_key_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class FederatedObject(db.Model):
    """What the fediverse was last told about a post: its object id (a new epoch after a
    Delete, since servers refuse to bring back a tombstoned id) and whether it stands or
    was deleted. Outlives the post, so its id answers 410 with a Tombstone."""

    __tablename__ = "federated_objects"

    post_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    content_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Activity(db.Model):
    """One activity we send: written in the same transaction as the change that caused it,
    fanned out by the worker into one delivery per inbox. Create and Update bodies are
    built when sent, from the post as it is then; the rest are kept as sent."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_pending", "fanned_out", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    object_id: Mapped[str] = mapped_column(Text, nullable=False)
    post_id: Mapped[str | None] = mapped_column(String(32), index=True)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Kept for activities that are not rebuilt at send time (Delete, Accept, Reject…).
    document: Mapped[dict | None] = mapped_column(JSON)
    # One inbox (an Accept to a follower), or None: every follower's.
    target_inbox: Mapped[str | None] = mapped_column(Text)
    # The site's address when the activity was made (SITE_URL, when set, wins).
    site_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    due_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    fanned_out: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # An actor's Delete outlives its blog and followers: it keeps the inboxes it goes to
    # and what signs it ({"key_id", "sealed", "context"}), since neither row remains.
    inboxes: Mapped[list | None] = mapped_column(JSON)
    signer: Mapped[dict | None] = mapped_column(JSON)


class FederationDelivery(db.Model):
    """One activity to one inbox (a shared inbox stands for all its followers there)."""

    __tablename__ = "federation_deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox", name="uq_federation_delivery_inbox"),
        Index("ix_federation_deliveries_due", "status", "next_attempt_at"),
        Index("ix_federation_deliveries_object", "object_id", "inbox", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    activity_id: Mapped[str] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), nullable=False
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    object_id: Mapped[str] = mapped_column(Text, nullable=False)
    inbox: Mapped[str] = mapped_column(Text, nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    activity: Mapped[Activity] = relationship()


class Follower(db.Model):
    __tablename__ = "followers"
    __table_args__ = (
        UniqueConstraint("collection_id", "actor_id", name="uq_followers_blog_actor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor_id: Mapped[str] = mapped_column(Text, nullable=False)
    inbox: Mapped[str] = mapped_column(Text, nullable=False)
    shared_inbox: Mapped[str | None] = mapped_column(Text)
    follow_id: Mapped[str] = mapped_column(Text, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class RemoteActor(db.Model):
    """A remote actor as last fetched: its key verifies what it signs."""

    __tablename__ = "remote_actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(2000), unique=True, nullable=False)
    key_id: Mapped[str] = mapped_column(String(2000), nullable=False, index=True)
    public_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    inbox: Mapped[str] = mapped_column(Text, nullable=False)
    shared_inbox: Mapped[str | None] = mapped_column(Text)
    handle: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    fetched: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class RemoteHost(db.Model):
    """A host we deliver to: one that has failed everything for days is skipped until it
    is heard from again."""

    __tablename__ = "remote_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    unavailable_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_success: Mapped[datetime | None] = mapped_column(DateTime)


class Comment(db.Model):
    """A fediverse reply to one of our posts: held for the author's approval."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    object_id: Mapped[str] = mapped_column(String(2000), unique=True, nullable=False)
    actor_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    author_name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    author_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    content_html: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    published: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Reaction(db.Model):
    """A Like or an Announce (boost) of one of our posts, until its Undo."""

    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    actor_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    activity_id: Mapped[str] = mapped_column(String(2000), unique=True, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Block(db.Model):
    """A remote actor (its id) or a whole domain the operator blocked."""

    __tablename__ = "federation_blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(2000), unique=True, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ImportJob(db.Model):
    """One import a user asked for: its uploaded files wait in the media store (under
    `imports/<id>/`) until the worker reads them, and the row counts its progress."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The user's blog the posts go into; None: the blogs the source names (made when
    # missing), or no blog for posts in none.
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )
    # Every post into no blog, whatever blog the source had it in.
    no_blog: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The uploaded files' names, in the order they were sent (their bytes: the media store).
    files: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    collection: Mapped[Collection | None] = relationship()
    results: Mapped[list["ImportResult"]] = relationship(
        order_by="ImportResult.position", cascade="all, delete-orphan", passive_deletes=True
    )


class ImportResult(db.Model):
    """What became of one file, or of one post in a file: imported (its post), skipped
    (already imported, or nothing in it), or failed (why)."""

    __tablename__ = "import_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")


# --- Outgoing mail and password resets (issue 15, mail) ---


class OutgoingMail(db.Model):
    """One email to one address: the row is the truth about it, and the worker sends it
    (`services/mail_sending.py`). `data_sent` is set, in its own commit, just before the
    message goes to the server: SMTP has no idempotency handle, so a row whose sending
    stopped after that point is `unconfirmed`, never sent again. A newsletter email names
    its post and subscriber, and at most one exists per pair."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_due", "status", "next_attempt_at"),
        UniqueConstraint("post_id", "subscriber_id", name="uq_outgoing_mail_post_subscriber"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_uid)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    to_address: Mapped[str] = mapped_column(String(255), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    html: Mapped[str | None] = mapped_column(Text)
    # Extra headers (List-Unsubscribe, …), name → value.
    headers: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    data_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class PasswordReset(db.Model):
    """A password-reset link, kept only as the digest of its secret: single use, one hour."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class Subscriber(db.Model):
    """An address subscribed to a blog by email. Until `confirmed_at` (the double opt-in)
    it gets nothing but the confirmation message. Ids are never reused: the links in
    emails are signed over them."""

    __tablename__ = "newsletter_subscribers"
    __table_args__ = (
        UniqueConstraint("collection_id", "email", name="uq_newsletter_subscribers_blog_email"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), nullable=False
    )
    email: Mapped[str] = mapped_column(String(255), nullable=False)  # lower-cased
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the last confirmation message was queued: subscribing again within the hour
    # sends none, so the form can't be used to flood an inbox.
    asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    collection: Mapped[Collection] = relationship()


class NewsletterIssue(db.Model):
    """A post that went (or will go) live in a public blog, due to be emailed to its
    subscribers: written in the transaction that made it public, fanned out once into
    one `outgoing_mail` row per confirmed subscriber when due. One per post, so an edit
    or a second publish sends nothing more."""

    __tablename__ = "newsletter_issues"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    # The site's address as the request that published the post saw it (the worker that
    # builds the emails has no request, and SITE_URL may be unset).
    site_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    post: Mapped[Post] = relationship()


# --- The instance's administration (migration 0011) ---


class InstanceSetting(db.Model):
    """One row a setting the admin changed live on /admin; a setting without a row is the
    environment's default (see `services/instance.py`)."""

    __tablename__ = "instance_settings"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class Invite(db.Model):
    """An invite link, /invite/{code}: signing up through it works while registration is
    `invite`, up to `max_uses` times (no limit when null) until `expires` (never, when
    null)."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    creator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    expires: Mapped[datetime | None] = mapped_column(DateTime)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    creator: Mapped[User | None] = relationship()


class InviteUse(db.Model):
    """Who signed up through which invite."""

    __tablename__ = "invite_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invite_code: Mapped[str] = mapped_column(
        ForeignKey("invites.code", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()


# Whether the owner is suspended, read with the row (and into the read snapshots), so every
# visibility check knows without another query. Null for a post without an owner.
Collection.owner_suspended = column_property(
    select(User.suspended).where(User.id == Collection.owner_id).correlate_except(User)
    .scalar_subquery()
)
Post.owner_suspended = column_property(
    select(User.suspended).where(User.id == Post.owner_id).correlate_except(User)
    .scalar_subquery()
)
