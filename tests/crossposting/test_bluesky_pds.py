"""The Bluesky adapter against the reference PDS itself (`@atproto/pds`, with a PLC
directory from `@did-plc/server`), end to end through our HTTP API and the delivery engine:
connecting with an app password, link facets at the right byte offsets, images with alt
text and aspect ratios, the external link card, a create whose answer is lost and which
is replayed at its record key, and a real 429 with its reset time. Every record is read
back from the PDS's repository, so it is the PDS that says what was posted.

The PDS runs with its rate limits on, as bsky.social does; each test makes its own account,
so none runs into another's limits. The servers are started once for the module
(tests/support/atproto) and must not have tried to reach anything off loopback.
"""

import io
import os
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import atproto
import httpx
import pytest
from calls import Api, blog_post
from deliveries import delivery_row, time_passes
from PIL import Image

from writeas.core.db import db
from writeas.core.models import Channel
from writeas.crossposting import channels

IMAGES = "app.bsky.embed.images"


@pytest.fixture(scope="module")
def pds():
    missing = atproto.available()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The reference PDS must run in CI: {missing}")
        pytest.skip(missing)
    with atproto.ReferencePDS(rate_limits=True) as servers:
        yield servers
        assert servers.network_violations() == []


@pytest.fixture
def user(pds):
    return pds.create_user(f"alice{secrets.token_hex(4)}")


def connect(api, token, user, base_url, app_password=None):
    body = {
        "platform": "bluesky",
        "handle": user.handle,
        "base_url": base_url,
        "credentials": {"app_password": app_password or user.app_password},
    }
    return api.call("POST", "/api/me/channels", token=token, json=body)


@pytest.fixture
def channel(api, alice, user, pds):
    response = connect(api, alice, user, pds.base_url)
    assert response.status_code == 201, response.json
    return response.json["data"]


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def upload(api, token, width: int, height: int, alt_text: str = "") -> str:
    form = {"file": (io.BytesIO(png(width, height)), "picture.png"), "alt_text": alt_text}
    response = api.call(
        "POST", "/api/media", token=token, data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.json
    return response.json["data"]["id"]


def crosspost(api, token, body: dict, post_id: str | None = None) -> dict:
    """The one result of a crosspost through the API, standalone or of a post."""
    path = f"/api/posts/{post_id}/crossposts" if post_id else "/api/crossposts"
    response = api.call("POST", path, token=token, json=body)
    assert response.status_code in (201, 202), response.json
    [result] = response.json["data"]["results"]
    return result


def linked(text: str, facets: list[dict]) -> list[tuple[str, dict]]:
    """Each facet's span of the text, cut at its byte offsets as the app view does."""
    raw = text.encode()
    spans = [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    return [(span, facet["features"][0]) for span, facet in zip(spans, facets, strict=True)]


def test_connecting_opens_a_session_with_the_app_password(api, alice, app, user, pds):
    wrong = connect(api, alice, user, pds.base_url, app_password="aaaa-bbbb-cccc-dddd")
    assert wrong.status_code == 400
    assert wrong.json["error_msg"] == "bluesky: Invalid identifier or password"

    response = connect(api, alice, user, pds.base_url)
    assert response.status_code == 201, response.json
    channel = response.json["data"]
    assert (channel["handle"], channel["account_id"]) == (user.handle, user.did)
    assert channel["status"] == "active"
    assert user.app_password not in response.get_data(as_text=True)
    # What we keep is a session the PDS itself accepts, opened with the app password.
    with app.app_context():
        stored = channels.credentials(db.session.get(Channel, channel["id"]))
    session = pds.xrpc("GET", "com.atproto.server.getSession", token=stored["access_jwt"])
    assert (session["handle"], session["did"]) == (user.handle, user.did)
    assert stored["app_password"] == user.app_password


def test_a_post_with_links_and_an_image_with_alt_text(api, alice, channel, user, pds):
    text = "Café ☕ notes → https://example.com/notes?cup=2 then #coffee"
    image = upload(api, alice, 640, 480, alt_text="A cup on a saucer")
    result = crosspost(
        api, alice, {"text": text, "media": [image], "targets": [{"channel": channel["id"]}]}
    )
    assert result["status"] == "published", result

    record = pds.get_record(result["uri"])
    assert result["uri"] == f"at://{user.did}/app.bsky.feed.post/{result['post_id']}"
    post = record["value"]
    assert post["text"] == text
    assert linked(text, post["facets"]) == [
        (
            "https://example.com/notes?cup=2",
            {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/notes?cup=2"},
        ),
        ("#coffee", {"$type": "app.bsky.richtext.facet#tag", "tag": "coffee"}),
    ]
    [picture] = post["embed"]["images"]
    assert post["embed"]["$type"] == IMAGES
    assert picture["alt"] == "A cup on a saucer"
    assert picture["aspectRatio"] == {"width": 640, "height": 480}
    blob = pds.blob(user.did, picture["image"]["ref"]["$link"])
    assert Image.open(io.BytesIO(blob)).size == (640, 480)


def test_a_blog_post_with_several_images(api, alice, channel, user, pds):
    images = [
        upload(api, alice, 800, 450, alt_text="The harbour at dawn"),
        upload(api, alice, 300, 600),
        upload(api, alice, 256, 256, alt_text="Nets drying"),
    ]
    post = blog_post(api, alice, title="Harbour days", body="Boats, nets and gulls.")
    target = {"channel": channel["id"], "media": images}
    result = crosspost(api, alice, {"targets": [target]}, post_id=post["id"])
    assert result["status"] == "published", result

    value = pds.get_record(result["uri"])["value"]
    embed = value["embed"]
    assert embed["$type"] == IMAGES  # a post has one embed: the images, not a card
    assert [(i["alt"], i["aspectRatio"]) for i in embed["images"]] == [
        ("The harbour at dawn", {"width": 800, "height": 450}),
        ("", {"width": 300, "height": 600}),
        ("Nets drying", {"width": 256, "height": 256}),
    ]
    sizes = [
        Image.open(io.BytesIO(pds.blob(user.did, i["image"]["ref"]["$link"]))).size
        for i in embed["images"]
    ]
    assert sizes == [(800, 450), (300, 600), (256, 256)]
    [(span, feature)] = linked(value["text"], value["facets"])
    assert value["text"].endswith(span) and feature["uri"] == span


def test_a_title_and_a_link_get_a_link_card_and_a_first_comment(api, alice, channel, pds):
    post = blog_post(api, alice, title="Seed saving", body="Keep the best pods.")
    body = {"targets": [{"channel": channel["id"]}], "first_comment": "Sources in the post."}
    result = crosspost(api, alice, body, post_id=post["id"])
    assert result["status"] == "published", result

    record = pds.get_record(result["uri"])
    value = record["value"]
    title, excerpt, link = value["text"].split("\n\n")
    assert (title, excerpt) == ("Seed saving", "Keep the best pods.")
    assert link.endswith("/alice/seed-saving")
    assert linked(value["text"], value["facets"]) == [
        (link, {"$type": "app.bsky.richtext.facet#link", "uri": link})
    ]
    assert value["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": link, "title": "Seed saving", "description": "Keep the best pods."},
    }
    assert result["first_comment"]["status"] == "published", result
    reply = pds.get_record(result["uri"].rsplit("/", 1)[0] + "/" + result["first_comment"]["id"])
    assert reply["value"]["text"] == "Sources in the post."
    parent = {"uri": record["uri"], "cid": record["cid"]}
    assert reply["value"]["reply"] == {"root": parent, "parent": parent}


class LosingProxy:
    """A reverse proxy to the PDS on loopback that can lose one answer: it forwards the
    request, so the PDS does what was asked, then keeps the answer to itself until the
    client gives up waiting (its read timeout) and hangs up. A network fault on the test's
    side; our code runs untouched."""

    def __init__(self, target: str):
        self.target = target
        self.lose = ""  # the NSID whose next answer is lost
        self.creates: list[str] = []  # the record key of each createRecord forwarded
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Forward)
        self._server.daemon_threads = True
        self._server.proxy = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> "LosingProxy":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # a client that never hangs up doesn't hold the thread for ever
    _HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}

    def do_GET(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self._HOP_BY_HOP}
        headers["Accept-Encoding"] = "identity"
        answer = httpx.request(
            self.command,
            proxy.target + self.path,
            headers=headers,
            content=body,
            timeout=30.0,
            trust_env=False,
        )
        nsid = self.path.split("?")[0].removeprefix("/xrpc/")
        if nsid == "com.atproto.repo.createRecord":
            proxy.creates.append(httpx.Response(200, content=body).json()["rkey"])
        if nsid == proxy.lose:
            proxy.lose = ""
            self.rfile.read()  # until the client hangs up
            self.close_connection = True
            return
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in self._HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def test_a_create_whose_answer_is_lost_is_replayed_at_its_record_key(make_app, user, pds):
    # Our read timeout, short so the lost answer is given up on soon.
    app = make_app(OUTBOUND_TIMEOUT_SECONDS=2)
    api = Api(app.test_client())
    token = api.signup("alice")
    with LosingProxy(pds.base_url) as proxy:
        connected = connect(api, token, user, proxy.url)
        assert connected.status_code == 201, connected.json
        channel = connected.json["data"]
        proxy.lose = "com.atproto.repo.createRecord"
        body = {"text": "Lost and found", "targets": [{"channel": channel["id"]}]}
        result = crosspost(api, token, body)

        assert result["status"] == "queued", result
        assert result["error"].startswith("No answer after sending")
        [landed] = pds.list_records(user.did)  # the PDS did post it
        rkey = landed["uri"].rsplit("/", 1)[1]
        assert delivery_row(app, result["id"]).platform_state["rkey"] == rkey

        assert time_passes(app, result["id"]) == 1
    row = delivery_row(app, result["id"])
    assert row.status == "published", row.error
    assert (row.remote_id, row.uri, row.cid) == (rkey, landed["uri"], landed["cid"])
    assert proxy.creates == [rkey, rkey]  # sent again at the same key, and refused there
    assert pds.list_records(user.did) == [landed]


def test_a_real_rate_limit_reschedules_the_delivery_to_its_reset(
    api, alice, app, channel, user, pds
):
    last = pds.use_up_writes(user)
    assert last.headers["ratelimit-policy"] == "5000;w=3600"
    assert last.headers["ratelimit-remaining"] == "2"  # not enough for one more create
    reset = datetime.fromtimestamp(int(last.headers["ratelimit-reset"]), UTC).replace(tzinfo=None)

    result = crosspost(api, alice, {"text": "Not yet", "targets": [{"channel": channel["id"]}]})
    assert result["status"] == "queued", result
    assert result["error"] == "Rate Limit Exceeded"
    row = delivery_row(app, result["id"])
    assert row.attempts == 1
    # Waiting for the PDS's own reset, not a backoff of ours; so does the whole account.
    assert abs((row.next_attempt_at - reset).total_seconds()) <= 1
    with app.app_context():
        account = db.session.get(Channel, channel["id"])
        assert abs((account.paused_until - reset).total_seconds()) <= 1
        assert account.status == "active"
    with pytest.raises(atproto.ServerError, match="RecordNotFound"):
        pds.get_record(f"at://{user.did}/app.bsky.feed.post/{row.platform_state['rkey']}")
