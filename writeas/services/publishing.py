"""Publishing a post: the one function the API and the pages both call.

A post published with `crosspost` targets (the spec's `[{"mastodon": "handle"}, …]`) is
committed in the same transaction as its deliveries, so neither exists without the other;
the queue is told only after the commit, and the sweep finds anything it never heard of.
This is the only service that reaches into crossposting.
"""

from typing import Any

from writeas.core.db import db
from writeas.core.models import Post, User
from writeas.crossposting import requests as crossposts
from writeas.services import blogs, posts


def publish(data: Any, user: User | None, alias: str | None = None) -> tuple[Post, str]:
    """The new post and its modify token; into the user's blog `alias` when given."""
    collection = blogs.owned(alias, user) if alias is not None else None
    post, token = posts.prepare(data, user, collection)
    batch = None
    if post.crosspost:
        db.session.add(post)
        batch = crossposts.plan_from_spec(post, user, post.crosspost)
    posts.commit_new(post, *([batch] if batch is not None else []))
    if batch is not None:
        crossposts.dispatch(batch)
    return post, token
