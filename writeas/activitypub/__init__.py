"""The fediverse's edge: WebFinger, host-meta and NodeInfo, each blog's actor and its
collections, the inboxes, and the content negotiation that answers an ActivityPub
`Accept` on the blog, post and API routes that already exist.

May import: every layer below the edges (core, text, reads, services, federation, http,
settings); never `writeas.api` or `writeas.web`.
"""

from writeas.activitypub.routes import bp, negotiate, vary_on_accept

__all__ = ["bp", "negotiate", "vary_on_accept"]
