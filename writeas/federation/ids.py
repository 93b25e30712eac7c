"""Our ActivityPub ids, each built in one place, and read back from incoming ones.

A blog's actor is `/api/collections/{alias}`, the address WriteFreely uses, which answers
the actor or the Write.as JSON by the `Accept` header. A post's object is
`/api/posts/{id}` until it is deleted from the fediverse; published again, it becomes
`/ap/posts/{id}/{epoch}`, because servers refuse to bring back a tombstoned id.
Activities get ids of their own, never the object's.
"""

import re

from writeas.http.urls import site_url

CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def actor(alias: str, base: str = "") -> str:
    return f"{site_url(base)}/api/collections/{alias}"


def key(alias: str, base: str = "") -> str:
    return actor(alias, base) + "#main-key"


def blog_endpoint(alias: str, name: str, base: str = "") -> str:
    """inbox, outbox, followers, following, featured."""
    return f"{site_url(base)}/ap/blogs/{alias}/{name}"


def shared_inbox(base: str = "") -> str:
    return f"{site_url(base)}/ap/inbox"


def site_actor(base: str = "") -> str:
    return f"{site_url(base)}/ap/actor"


def site_key(base: str = "") -> str:
    return site_actor(base) + "#main-key"


def post_object(post_id: str, epoch: int, base: str = "") -> str:
    if epoch == 0:
        return f"{site_url(base)}/api/posts/{post_id}"
    return f"{site_url(base)}/ap/posts/{post_id}/{epoch}"


def activity(activity_id: str, base: str = "") -> str:
    return f"{site_url(base)}/ap/activities/{activity_id}"


_POST = re.compile(
    r"/(?:api/posts/(?P<plain>[A-Za-z0-9]+)|ap/posts/(?P<id>[A-Za-z0-9]+)/(?P<n>\d+))"
)


def post_of(object_id: object, base: str = "") -> tuple[str, int] | None:
    """(post id, epoch) when `object_id` is one of our objects' ids."""
    root = site_url(base)
    if not isinstance(object_id, str) or not object_id.startswith(root + "/"):
        return None
    found = _POST.fullmatch(object_id[len(root) :])
    if found is None:
        return None
    if found["plain"]:
        return found["plain"], 0
    return found["id"], int(found["n"])
