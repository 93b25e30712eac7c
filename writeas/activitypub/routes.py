"""Routes: thin, as everywhere — read the request, ask `federation`, shape the answer."""

import json

from flask import Blueprint, current_app, render_template, request
from werkzeug.exceptions import NotFound

from writeas.core.errors import ServiceError
from writeas.federation import documents, inbox, serving
from writeas.http import negotiation
from writeas.services import payload

bp = Blueprint("activitypub", __name__)

JRD = "application/jrd+json"
XRD = "application/xrd+xml"


def _document(data, status: int = 200, content_type: str = documents.ACTIVITY_JSON):
    response = current_app.response_class(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=content_type,
    )
    response.vary.add(negotiation.AP_VARY)
    return response


def negotiate():
    """Before the view: an ActivityPub `Accept` on a negotiated route gets the actor or
    the object; anything else goes on to the view, which answers what it always has.
    Never cached with the page: the page cache sits inside the views."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in negotiation.NEGOTIATED:
        return None
    if not negotiation.wants_activitypub(request.headers.get("Accept")):
        return None
    args = request.view_args or {}
    if request.endpoint in ("api.collections.retrieve", "blogs.home"):
        gone = serving.retired_actor(args["alias"])
        if gone is not None:
            return _document(gone, 410)
        signed = serving.SignedRequest(request.method, _target(), request.headers)
        return _document(serving.actor(args["alias"], signed))
    if request.endpoint == "blogs.post":
        status, found = serving.post_by_slug(args["alias"], args["slug"])
    else:
        status, found = serving.post_object(args["post_id"])
    return _document(found, status)


def vary_on_accept(response):
    """What the negotiated routes answer depends on `Accept`: caches must know."""
    if request.endpoint in negotiation.NEGOTIATED:
        response.vary.add(negotiation.AP_VARY)
    return response


@bp.get("/.well-known/webfinger")
def webfinger():
    response = _document(serving.webfinger(request.args.get("resource")), content_type=JRD)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/host-meta")
def host_meta():
    response = current_app.response_class(serving.host_meta(), content_type=XRD)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links():
    response = _document(serving.nodeinfo_links(), content_type="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/nodeinfo/<version>")
def nodeinfo(version):
    if version not in ("2.0", "2.1"):
        raise NotFound()
    profile = serving.NODEINFO_PROFILE.format(version=version)
    response = _document(
        serving.nodeinfo(version), content_type=f'application/json; profile="{profile}#"'
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/ap/actor")
def site_actor():
    return _document(serving.site_actor())


def _page() -> int | None:
    raw = request.args.get("page")
    if raw is None:
        return None
    page = payload.whole_number(raw)
    if not page or page > 1_000_000:
        raise ServiceError(404, "There's no such page.")
    return page


@bp.get("/ap/blogs/<alias:alias>/outbox")
def outbox(alias):
    return _document(serving.outbox(alias, _page()))


@bp.get("/ap/blogs/<alias:alias>/followers")
def followers(alias):
    return _document(serving.followers(alias))


@bp.get("/ap/blogs/<alias:alias>/following")
def following(alias):
    return _document(serving.following(alias))


@bp.get("/ap/blogs/<alias:alias>/featured")
def featured(alias):
    return _document(serving.featured(alias))


@bp.get("/ap/posts/<post_id>/<int(max=1000000):epoch>")
def post_epoch(post_id, epoch):
    status, found = serving.post_object(post_id, epoch)
    return _document(found, status)


@bp.get("/ap/activities/<activity_id>")
def activity(activity_id):
    return _document(serving.activity(activity_id))


def _target() -> str:
    """The request target as it arrived, which is what the sender signed."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _receive(alias: str | None):
    inbox.receive(alias, request.method, _target(), request.headers, request.get_data())
    return current_app.response_class("", status=202)


@bp.post("/ap/blogs/<alias:alias>/inbox")
def blog_inbox(alias):
    return _receive(alias)


@bp.post("/ap/inbox")
def shared_inbox():
    return _receive(None)


@bp.get("/interact")
def interact():
    """WebFinger's subscribe template, where a remote server sends someone who wants one
    of our accounts to follow theirs: a blog follows no one, so the page says so, and how
    to follow the blog instead."""
    uri = payload.text(request.args, "uri", max_length=2000) or ""
    return render_template("interact.html", uri=uri, host=serving.host())
