"""The JSON-LD documents we publish: actors, objects, activities and collections.

Each builder takes the row it describes and the site's base address (a worker has no
request to ask), so the same post always becomes the same object wherever it is built.
Content is the post's sanitised HTML with its links made absolute, since a remote server
shows it far from our pages.
"""

import html
import mimetypes
import re
from collections.abc import Iterable
from datetime import datetime

from writeas.core.clock import rfc3339
from writeas.core.enums import FederateAs
from writeas.core.models import Collection, Post
from writeas.federation import ids
from writeas.text.rendering import render_markdown, sanitize

ACTIVITY_JSON = "application/activity+json"
LD_JSON = f'application/ld+json; profile="{ids.CONTEXT}"'
_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
_IMAGE = re.compile(r'<img\s[^>]*?src="(?P<src>[^"]+)"[^>]*>')
_ALT = re.compile(r'\salt="(?P<alt>[^"]*)"')
_CONTEXT = [ids.CONTEXT, ids.SECURITY, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}]


def with_context(document: dict) -> dict:
    return {"@context": _CONTEXT, **document}


def blog_actor(blog: Collection, base: str) -> dict:
    alias = blog.alias
    actor_id = ids.actor(alias, base)
    page = f"{base}/{alias}/"
    return with_context(
        {
            "id": actor_id,
            "type": "Person",
            "preferredUsername": alias,
            "name": blog.title or alias,
            "summary": render_markdown(blog.description) if blog.description else "",
            "url": page,
            "inbox": ids.blog_endpoint(alias, "inbox", base),
            "outbox": ids.blog_endpoint(alias, "outbox", base),
            "followers": ids.blog_endpoint(alias, "followers", base),
            "following": ids.blog_endpoint(alias, "following", base),
            "featured": ids.blog_endpoint(alias, "featured", base),
            "endpoints": {"sharedInbox": ids.shared_inbox(base)},
            "publicKey": {
                "id": ids.key(alias, base),
                "owner": actor_id,
                "publicKeyPem": blog.public_key_pem,
            },
            "manuallyApprovesFollowers": False,
            "discoverable": True,
            "indexable": True,
            "published": rfc3339(blog.created),
            "attachment": [],
            "tag": [],
        }
    )


def key_only_actor(blog: Collection, base: str) -> dict:
    """What a blog that doesn't federate shows the one server it sends a Reject: enough to
    check the Reject's signature, nothing of the blog."""
    actor_id = ids.actor(blog.alias, base)
    return with_context(
        {
            "id": actor_id,
            "type": "Person",
            "preferredUsername": blog.alias,
            "inbox": ids.blog_endpoint(blog.alias, "inbox", base),
            "publicKey": {
                "id": ids.key(blog.alias, base),
                "owner": actor_id,
                "publicKeyPem": blog.public_key_pem,
            },
        }
    )


def site_actor(public_key_pem: str, base: str, site_name: str) -> dict:
    actor_id = ids.site_actor(base)
    host = base.split("://", 1)[-1]
    return with_context(
        {
            "id": actor_id,
            "type": "Application",
            "preferredUsername": host,
            "name": site_name,
            "url": f"{base}/",
            "inbox": ids.shared_inbox(base),
            "outbox": f"{actor_id}/outbox",
            "endpoints": {"sharedInbox": ids.shared_inbox(base)},
            "publicKey": {
                "id": ids.site_key(base), "owner": actor_id, "publicKeyPem": public_key_pem
            },
            "manuallyApprovesFollowers": True,
            "discoverable": False,
        }
    )


def absolute(markup: str, base: str) -> str:
    return _RELATIVE.sub(rf'\1{base}/', markup)


def _attachments(content: str) -> list[dict]:
    found = []
    for match in _IMAGE.finditer(content):
        src = html.unescape(match["src"])
        alt = _ALT.search(match.group(0))
        kind = mimetypes.guess_type(src.split("?", 1)[0])[0] or "image/jpeg"
        found.append(
            {
                "type": "Image",
                "mediaType": kind,
                "url": src,
                "name": html.unescape(alt["alt"]) if alt else "",
            }
        )
    return found


def post_url(post: Post, base: str) -> str:
    return f"{base}/{post.collection.alias}/{post.slug}"


def object_type(post: Post, blog: Collection) -> str:
    if not post.title.strip() or blog.federate_as == FederateAs.NOTE:
        return "Note"
    return "Article"


def post_object(
    post: Post, blog: Collection, epoch: int, base: str, edited: datetime | None = None
) -> dict:
    """An `Article` for a titled post (unless the blog asks for Notes), else a `Note`.
    `edited`: when an Update is about an edit (servers apply an edit only with `updated`,
    and an edit in the post's first second leaves `post.updated` equal to `created`)."""
    alias = blog.alias
    content = absolute(post.body_html, base)
    kind = object_type(post, blog)
    url = post_url(post, base)
    document = {
        "id": ids.post_object(post.id, epoch, base),
        "type": kind,
        "attributedTo": ids.actor(alias, base),
        "to": [ids.PUBLIC],
        "cc": [ids.blog_endpoint(alias, "followers", base)],
        "url": url,
        "published": rfc3339(post.created),
        "content": content,
        "mediaType": "text/html",
        "tag": [
            {"type": "Hashtag", "href": f"{base}/{alias}/tag:{tag}", "name": f"#{tag}"}
            for tag in post.tags
        ],
        "attachment": _attachments(content),
        "sensitive": False,
    }
    if post.language:
        document["contentMap"] = {post.language: content}
    if kind == "Article":
        document["name"] = post.title.strip()
        document["summary"] = html.escape(post.excerpt) if post.excerpt else None
    elif post.title.strip():
        # A titled post sent as a Note: its title leads, so the timeline shows all of it.
        title = html.escape(post.title.strip())
        document["content"] = sanitize(f"<p><strong>{title}</strong></p>") + content
    if edited is not None or post.updated > post.created:
        document["updated"] = rfc3339(max(post.updated, edited or post.updated))
    return with_context(document)


def tombstone(object_id: str, former_type: str = "Note", deleted=None) -> dict:
    document = {"id": object_id, "type": "Tombstone", "formerType": former_type}
    if deleted is not None:
        document["deleted"] = rfc3339(deleted)
    return with_context(document)


def activity(
    kind: str, activity_id: str, actor: str, obj, *, to: Iterable[str] = (), cc: Iterable[str] = ()
) -> dict:
    document = {"id": activity_id, "type": kind, "actor": actor, "object": obj}
    if to:
        document["to"] = list(to)
    if cc:
        document["cc"] = list(cc)
    if isinstance(obj, dict) and "published" in obj and kind == "Create":
        document["published"] = obj["published"]
    return with_context(document)


def ordered_collection(collection_id: str, total: int, *, first: str | None = None,
                       items: list | None = None) -> dict:
    document: dict = {"id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first is not None:
        document["first"] = first
    if items is not None:
        document["orderedItems"] = items
    return with_context(document)


def collection_page(page_id: str, part_of: str, items: list, next_page: str | None,
                    prev_page: str | None) -> dict:
    document: dict = {
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    }
    if next_page:
        document["next"] = next_page
    if prev_page:
        document["prev"] = prev_page
    return with_context(document)
