"""What our ActivityPub and discovery routes answer, for anyone who asks.

Only blogs that federate (public or unlisted) exist here: a private or protected blog,
and its posts, are "not found" by exactly the words the rest of the site uses, so no
answer tells them apart from a blog that doesn't exist. A post the fediverse was told
is gone (deleted, unpublished, moved, or its blog closed) answers 410 with a Tombstone.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from writeas.core.clock import utcnow
from writeas.core.db import db
from writeas.core.enums import Visibility
from writeas.core.errors import ServiceError
from writeas.core.models import (
    NEWEST_FIRST,
    Activity,
    Collection,
    FederatedObject,
    Follower,
    Post,
    RetiredAlias,
    User,
)
from writeas.federation import documents, ids, keys, remote, signatures
from writeas.federation.outbox import FEDERATED_BLOGS, shareable
from writeas.http.urls import site_url
from writeas.services import instance
from writeas.services.visibility import ANONYMOUS, NOT_FOUND, POST_NOT_FOUND, published_filter

OUTBOX_PAGE = 20
SOFTWARE = "writeas-py"
VERSION = "0.1.0"
NODEINFO_PROFILE = "http://nodeinfo.diaspora.software/ns/schema/{version}"


def host() -> str:
    """The host (and port, when it has one) of the site's address: the `acct:` domain."""
    return site_url().split("://", 1)[-1].split("/", 1)[0]


def federated_blog(alias: str) -> Collection:
    blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
    if blog is None or blog.owner_suspended or blog.visibility not in FEDERATED_BLOGS or (
        not instance.current().federation
    ):
        raise ServiceError(404, NOT_FOUND)
    return blog


@dataclass(frozen=True)
class SignedRequest:
    method: str
    target: str
    headers: Mapping[str, str]


def actor(alias: str, request: "SignedRequest | None" = None) -> dict:
    """The blog's actor. A blog that doesn't federate is nobody's actor, with one exception:
    the server we owe a Reject of its Follow to may fetch the key that signs the Reject
    (with a signed GET, for an hour), and gets only that key — the blog's name, words and
    posts stay hidden, and nobody else learns the blog exists."""
    try:
        return documents.blog_actor(federated_blog(alias), site_url())
    except ServiceError:
        blog = db.session.scalar(select(Collection).where(Collection.alias == alias))
        if blog is None or request is None or not _owed_a_reject(blog, request):
            raise
        return documents.key_only_actor(blog, site_url())


def retired_actor(alias: str) -> dict | None:
    """The Tombstone of an actor whose account was deleted (its alias is never reused)."""
    if not instance.current().federation:
        return None
    retired = db.session.get(RetiredAlias, alias)
    if retired is None:
        return None
    return documents.tombstone(ids.actor(alias, site_url()), "Person", deleted=retired.retired)


REJECT_WINDOW = timedelta(hours=1)


def _owed_a_reject(blog: Collection, request: SignedRequest) -> bool:
    if not (request.headers.get("Signature") or request.headers.get("Signature-Input")):
        return False
    since = utcnow() - REJECT_WINDOW
    inboxes = db.session.scalars(
        select(Activity.target_inbox).where(
            Activity.collection_id == blog.id, Activity.kind == "Reject", Activity.created >= since
        )
    ).all()
    owed = {remote.host(inbox) for inbox in inboxes if inbox}
    if not owed:
        return False
    signer: dict[str, str] = {}

    def resolve(key_id: str, refresh: bool):
        try:
            found = remote.by_key(key_id, refresh=refresh)
        except remote.FetchError:
            return None
        signer["host"] = remote.host(found.uri)
        return remote.public_key(found)

    try:
        signatures.verify(request.method, request.target, request.headers, b"", resolve)
    except signatures.SignatureError:
        return False
    return signer.get("host") in owed


def site_actor() -> dict:
    return documents.site_actor(keys.site_actor().public_key_pem, site_url(),
                                instance.current().site_name)


def post_object(post_id: str, epoch: int | None = None) -> tuple[int, dict]:
    """(200, the object) or (410, its Tombstone); 404 for what never federated."""
    told = db.session.get(FederatedObject, post_id)
    post = db.session.get(Post, post_id)
    blog = shareable(post)
    if blog is not None and post.created > utcnow():
        blog = None  # scheduled: not yet anybody's business
    if epoch is None and told is not None:
        epoch = told.epoch
    if blog is not None and told is not None and told.state == "created" and epoch == told.epoch:
        return 200, documents.post_object(post, blog, told.epoch, site_url())
    if blog is not None and told is None and epoch in (None, 0):
        return 200, documents.post_object(post, blog, 0, site_url())  # before federation
    if told is not None and epoch is not None and epoch <= told.epoch:
        return 410, documents.tombstone(ids.post_object(post_id, epoch), deleted=told.updated)
    raise ServiceError(404, POST_NOT_FOUND)


def post_by_slug(alias: str, slug: str) -> tuple[int, dict]:
    blog = federated_blog(alias)
    post_id = db.session.scalar(
        select(Post.id).where(Post.collection_id == blog.id, Post.slug == slug)
    )
    if post_id is None:
        raise ServiceError(404, POST_NOT_FOUND)
    return post_object(post_id)


def _live(blog: Collection):
    return select(Post).where(Post.collection_id == blog.id, published_filter(ANONYMOUS, blog))


def outbox(alias: str, page: int | None) -> dict:
    blog = federated_blog(alias)
    base = site_url()
    outbox_id = ids.blog_endpoint(alias, "outbox", base)
    total = db.session.scalar(select(func.count()).select_from(_live(blog).subquery()))
    if page is None:
        return documents.ordered_collection(outbox_id, total, first=f"{outbox_id}?page=1")
    posts = list(
        db.session.scalars(
            _live(blog).order_by(*NEWEST_FIRST)
            .limit(OUTBOX_PAGE).offset((page - 1) * OUTBOX_PAGE)
        )
    )
    told = {
        row.post_id: row
        for row in db.session.scalars(
            select(FederatedObject).where(FederatedObject.post_id.in_([p.id for p in posts]))
        )
    }
    creates = {
        (row.post_id, row.epoch): row.id
        for row in db.session.execute(
            select(Activity.post_id, Activity.epoch, Activity.id).where(
                Activity.post_id.in_([p.id for p in posts]), Activity.kind == "Create"
            )
        )
    }
    items = []
    for post in posts:
        epoch = told[post.id].epoch if post.id in told else 0
        obj = documents.post_object(post, blog, epoch, base)
        obj.pop("@context")
        made = creates.get((post.id, epoch))
        activity_id = ids.activity(made, base) if made else f"{obj['id']}#create"
        item = documents.activity("Create", activity_id, obj["attributedTo"], obj,
                                  to=obj["to"], cc=obj["cc"])
        item.pop("@context")
        items.append(item)
    more = page * OUTBOX_PAGE < total
    return documents.collection_page(
        f"{outbox_id}?page={page}", outbox_id, items,
        f"{outbox_id}?page={page + 1}" if more else None,
        f"{outbox_id}?page={page - 1}" if page > 1 else None,
    )


def followers(alias: str) -> dict:
    """Only the count: who follows a blog is theirs to tell."""
    blog = federated_blog(alias)
    total = db.session.scalar(
        select(func.count()).select_from(Follower).where(Follower.collection_id == blog.id)
    )
    return documents.ordered_collection(ids.blog_endpoint(alias, "followers"), total)


def following(alias: str) -> dict:
    federated_blog(alias)
    return documents.ordered_collection(ids.blog_endpoint(alias, "following"), 0, items=[])


def featured(alias: str) -> dict:
    blog = federated_blog(alias)
    base = site_url()
    pins = db.session.scalars(
        _live(blog).where(Post.pinned_position.is_not(None)).order_by(Post.pinned_position)
    ).all()
    items = []
    for post in pins:
        told = db.session.get(FederatedObject, post.id)
        obj = documents.post_object(post, blog, told.epoch if told else 0, base)
        obj.pop("@context")
        items.append(obj)
    return documents.ordered_collection(ids.blog_endpoint(alias, "featured"), len(items),
                                        items=items)


def activity(activity_id: str) -> dict:
    """An activity we sent, for servers that look one up: only Accepts, Rejects and
    Deletes are kept as sent; the rest are answered by their object's own id."""
    found = db.session.get(Activity, activity_id)
    if found is None or found.document is None:
        raise ServiceError(404, "Activity not found.")
    if found.collection_id is not None:
        federated_blog(db.session.get(Collection, found.collection_id).alias)
    return found.document


def webfinger(resource: str | None) -> dict:
    if not resource:
        raise ServiceError(400, "Parameter `resource` is required.")
    base = site_url()
    alias = _alias_of(resource.strip(), base)
    if alias is None:
        raise ServiceError(404, "No such account here.")
    if alias == host():
        subject, href, page = f"acct:{alias}@{host()}", ids.site_actor(base), f"{base}/"
    else:
        try:
            blog = federated_blog(alias)
        except ServiceError:
            raise ServiceError(404, "No such account here.") from None
        subject = f"acct:{blog.alias}@{host()}"
        href, page = ids.actor(blog.alias, base), f"{base}/{blog.alias}/"
    return {
        "subject": subject,
        "aliases": [href, page],
        "links": [
            {"rel": "self", "type": documents.ACTIVITY_JSON, "href": href},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
            {"rel": "http://ostatus.org/schema/1.0/subscribe",
             "template": f"{base}/interact?uri={{uri}}"},
        ],
    }


def _alias_of(resource: str, base: str) -> str | None:
    if resource.startswith("acct:"):
        resource = resource[5:]
    if resource.startswith(("https://", "http://")):
        for prefix in (ids.actor("", base), f"{base}/"):
            if resource.startswith(prefix):
                return resource[len(prefix):].rstrip("/") or None
        return host() if resource.rstrip("/") == ids.site_actor(base) else None
    name, at, domain = resource.lstrip("@").rpartition("@")
    if not at or domain.lower() != host().lower() or not name:
        return None
    return name


def host_meta() -> str:
    base = site_url()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" '
        f'template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )


def nodeinfo_links() -> dict:
    base = site_url()
    return {
        "links": [
            {"rel": NODEINFO_PROFILE.format(version=version), "href": f"{base}/nodeinfo/{version}"}
            for version in ("2.0", "2.1")
        ]
    }


def nodeinfo(version: str) -> dict:
    users = db.session.scalar(select(func.count()).select_from(User))
    visible = (
        select(func.count())
        .select_from(Post)
        .outerjoin(Collection, Post.collection_id == Collection.id)
        .where(
            Post.body != "",
            Post.created <= utcnow(),
            (Post.collection_id.is_(None)) | Collection.visibility.in_(
                [Visibility.PUBLIC, Visibility.UNLISTED]
            ),
        )
    )
    return {
        "version": version,
        "software": {"name": SOFTWARE, "version": VERSION},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {"users": {"total": users}, "localPosts": db.session.scalar(visible)},
        "metadata": {"nodeName": instance.current().site_name},
    }
