"""Tables. Secrets (passwords, access tokens, modify tokens) are stored only as hashes."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .db import db


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

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

    user: Mapped[User] = relationship()


class Collection(db.Model):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    style_sheet: Mapped[str] = mapped_column(Text, nullable=False, default="")
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="public")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    owner: Mapped[User] = relationship(back_populates="collections")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("collection_id", "slug", name="uq_posts_collection_slug"),
        Index("ix_posts_owner_created", "owner_id", "created"),
        Index("ix_posts_collection_created", "collection_id", "created"),
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

    owner: Mapped[User | None] = relationship()
    collection: Mapped[Collection | None] = relationship()
    tag_rows: Mapped[list["PostTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def unpublished(self) -> bool:
        return self.body == ""


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
