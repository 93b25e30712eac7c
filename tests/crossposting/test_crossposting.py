"""Crossposting end to end through our HTTP API: channels, per-target results, limits
refused up front, scheduling, rate limits, reconnects, cancelling, idempotency, media.

Deliveries run through the real engine and the real Mastodon adapter against the local
Mastodon server (tests/platform_servers/mastodon.py); huey runs in immediate mode."""

import io
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from calls import Api, iso, mastodon_channel
from deliveries import delivery_row, time_passes
from pages import login, submit
from PIL import Image
from platform_servers import mastodon, running
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import Channel, Delivery, MediaFile
from writeas.crossposting import delivery as engine
from writeas.services import media_store
from writeas.services.media import fit


@pytest.fixture
def fake():
    state = mastodon.State()
    with running(mastodon.create(state)) as base_url:
        yield state, base_url


def connect(api, token, base_url, access_token="x"):
    """Connect a Mastodon channel @alice at `base_url`."""
    return api.call(
        "POST",
        "/api/me/channels",
        token=token,
        json=mastodon_channel(base_url, access_token),
    )


def crosspost(api, token, post_id, channel_id):
    """Crosspost the post to the one channel, now, through the API."""
    body = {"targets": [{"channel": channel_id}]}
    return api.call("POST", f"/api/posts/{post_id}/crossposts", token=token, json=body)


@pytest.fixture
def channel(api, alice, fake):
    state, base_url = fake
    response = connect(api, alice, base_url, state.access_token)
    assert response.status_code == 201, response.json
    return response.json["data"]


def png(size=(64, 64), noise=False) -> bytes:
    image = Image.effect_noise(size, 100).convert("RGB") if noise else Image.new("RGB", size, "red")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_connect_lists_and_disconnects_without_revealing_credentials(
    api, alice, bob, channel, app, fake
):
    state, _ = fake
    assert channel["platform"] == "mastodon" and channel["handle"] == "alice"
    assert channel["account_id"] == state.account["id"] and channel["status"] == "active"
    listed = api.call("GET", "/api/me/channels", token=alice)
    assert [c["id"] for c in listed.json["data"]] == [channel["id"]]
    assert state.access_token not in listed.get_data(as_text=True)
    with app.app_context():
        sealed = db.session.scalar(select(Channel.credentials))
        assert state.access_token not in sealed and sealed.startswith("v1:")
    assert api.call("GET", "/api/me/channels", token=bob).json["data"] == []
    assert api.call("DELETE", f"/api/me/channels/{channel['id']}", token=bob).status_code == 404
    assert api.call("DELETE", f"/api/me/channels/{channel['id']}", token=alice).status_code == 204
    assert api.call("GET", "/api/me/channels", token=alice).json["data"] == []


def test_connect_refusals(api, alice, fake):
    _, base_url = fake

    def connect(**body):
        return api.call("POST", "/api/me/channels", token=alice, json=body)

    bad = connect(
        platform="mastodon",
        handle="alice",
        base_url=base_url,
        credentials={"access_token": "wrong"},
    )
    assert bad.status_code == 400 and bad.json["error_msg"].startswith("mastodon: ")
    assert connect(platform="myspace", handle="a", credentials={"t": "x"}).status_code == 400
    assert connect(platform="mastodon", handle="a", credentials="token").status_code == 400
    assert (
        connect(
            platform="mastodon", handle="a", base_url="ftp://x", credentials={"access_token": "x"}
        ).status_code
        == 400
    )
    assert api.call("POST", "/api/me/channels", json={"platform": "mastodon"}).status_code == 401


def test_private_addresses_are_refused_unless_allowed(make_app, fake):

    state, base_url = fake
    api = Api(make_app(ALLOW_PRIVATE_NETWORK_TARGETS=False).test_client())
    token = api.signup("guarded")
    response = connect(api, token, base_url, state.access_token)
    assert response.status_code == 400 and "base_url" in response.json["error_msg"]
    for local in ("https://127.0.0.1:9", "https://localhost:9"):
        refused = connect(api, token, local)
        assert refused.status_code == 502
        assert "not a public internet address" in refused.json["error_msg"]
    # Refused without telling what the name resolves to.
    assert "127.0.0.1" not in refused.json["error_msg"] and "::1" not in refused.json["error_msg"]
    assert state.requests == []


def test_publish_with_crosspost_gives_one_result_per_target(api, alice, channel, fake):
    state, _ = fake
    post = api.call(
        "POST",
        "/api/posts",
        token=alice,
        json={
            "body": "Hello #fediverse",
            "title": "Crossposted",
            "crosspost": [{"mastodon": "alice"}, {"tumblr": "not-connected"}],
        },
    ).json["data"]
    batches = api.call("GET", f"/api/posts/{post['id']}/crossposts", token=alice).json["data"]
    assert len(batches) == 1
    batch = batches[0]
    assert batch["status"] == "partial_failed"
    done, missing = batch["results"]
    assert done["status"] == "published" and done["platform"] == "mastodon"
    assert done["post_id"] == state.statuses[0]["id"] and done["url"].endswith(done["post_id"])
    assert missing["status"] == "failed" and missing["platform"] == "tumblr"
    assert "No connected channel" in missing["error"]
    text = state.statuses[0]["text"]
    assert text.startswith("Crossposted\n\nHello #fediverse\n\nhttp://localhost/")
    assert text.endswith(post["id"])


def test_crosspost_existing_post_with_override_and_limits(api, alice, channel, fake):
    state, _ = fake
    post = api.publish(alice, body="Existing post")
    path = f"/api/posts/{post['id']}/crossposts"
    too_long = api.call(
        "POST", path, token=alice, json={"targets": [{"channel": channel["id"], "text": "x" * 501}]}
    )
    assert too_long.status_code == 400
    assert too_long.json["error_msg"] == "Text for mastodon is 501 characters; mastodon allows 500."
    for bad in (
        {},
        {"targets": []},
        {"targets": [{}]},
        {"targets": [{"channel": channel["id"]}] * 26},
    ):
        assert api.call("POST", path, token=alice, json=bad).status_code == 400
    assert state.statuses == []
    response = api.call(
        "POST",
        path,
        token=alice,
        json={"targets": [{"channel": channel["id"], "text": "My own words"}]},
    )
    assert response.status_code == 201
    assert response.json["data"]["status"] == "published"
    assert [s["text"] for s in state.statuses] == ["My own words"]
    again = api.call("POST", path, token=alice, json={"targets": [{"channel": channel["id"]}]})
    assert again.status_code == 409 and len(state.statuses) == 1


def test_only_the_owner_crossposts(api, alice, bob, channel):
    post = api.publish(alice, body="mine")
    path = f"/api/posts/{post['id']}/crossposts"
    body = {"targets": [{"channel": channel["id"]}]}
    assert api.call("POST", path, json=body).status_code == 401
    assert api.call("POST", path, token=bob, json=body).status_code == 403
    assert api.call("GET", path, token=bob).status_code == 404


def test_scheduled_crosspost_waits_then_goes_and_can_be_cancelled(api, alice, channel, fake, app):
    state, _ = fake
    post = api.publish(alice, body="Later")
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    response = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"]}], "scheduled_at": later},
    )
    assert response.status_code == 202
    batch = response.json["data"]
    assert batch["status"] == "queued" and batch["scheduled_at"] == later
    assert batch["results"][0]["status"] == "scheduled"
    with app.app_context():
        assert engine.sweep(lambda _id: None) == 0  # not yet
    assert time_passes(app, batch["results"][0]["id"]) == 1
    assert len(state.statuses) == 1
    listing = api.call("GET", "/api/me/crossposts?status=published", token=alice).json["data"]
    assert [d["id"] for d in listing] == [batch["results"][0]["id"]]
    assert api.call("DELETE", f"/api/crossposts/{batch['id']}", token=alice).status_code == 409


def test_a_dead_workers_delivery_is_queued_by_the_sweep_that_finds_it(api, alice, channel, app):
    """Times are whole seconds: the sweep that takes a delivery back from a dead worker must
    queue it even when its own run crosses into the next second (it did not, and the
    delivery then waited for the next sweep, a minute later)."""
    post = api.publish(alice, body="Worker died")
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    batch = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"]}], "scheduled_at": later},
    ).json["data"]
    delivery_id = batch["results"][0]["id"]
    with app.app_context():
        row = db.session.get(Delivery, delivery_id)
        row.status, row.attempts, row.locked_until = "sending", 1, datetime(2020, 1, 1)
        db.session.commit()
        while datetime.now(UTC).microsecond < 997_000:  # start just before a second ends
            time.sleep(0.0005)
        queued: list[str] = []
        assert engine.sweep(queued.append) == 1
    assert queued == [delivery_id]
    assert delivery_row(app, delivery_id).status == "queued"


def test_cancel_a_scheduled_crosspost(api, alice, bob, channel, fake):
    state, _ = fake
    post = api.publish(alice, body="Maybe not")
    batch = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={
            "targets": [{"channel": channel["id"]}],
            "scheduled_at": iso(datetime.now(UTC) + timedelta(days=1)),
        },
    ).json["data"]
    assert api.call("DELETE", f"/api/crossposts/{batch['id']}", token=bob).status_code == 404
    assert api.call("DELETE", f"/api/crossposts/{batch['id']}", token=alice).status_code == 204
    result = api.call("GET", f"/api/posts/{post['id']}/crossposts", token=alice).json["data"][0]
    assert result["status"] == "failed" and result["results"][0]["status"] == "cancelled"
    assert api.call("DELETE", "/api/crossposts/nothing", token=alice).status_code == 404
    assert state.statuses == []


def test_scheduled_post_is_crossposted_when_it_goes_live(api, alice, channel, fake, app):
    state, _ = fake
    post = api.call(
        "POST",
        "/api/collections/alice/posts",
        token=alice,
        json={
            "body": "From the future",
            "created": iso(datetime.now(UTC) + timedelta(hours=2)),
            "crosspost": [{"mastodon": "alice"}],
        },
    ).json["data"]
    [batch] = api.call("GET", f"/api/posts/{post['id']}/crossposts", token=alice).json["data"]
    assert batch["results"][0]["status"] == "scheduled" and state.statuses == []
    time_passes(app, batch["results"][0]["id"])
    assert len(state.statuses) == 1
    assert state.statuses[0]["text"].endswith("/alice/from-the-future")


def test_rate_limit_pauses_the_account_and_retries_later(api, alice, channel, fake, app):
    state, _ = fake
    state.rate_limited = True
    post = api.publish(alice, body="Busy day")
    response = crosspost(api, alice, post["id"], channel["id"])
    result = response.json["data"]["results"][0]
    assert response.json["data"]["status"] == "queued" and result["status"] == "queued"
    assert "Too many requests" in result["error"]
    with app.app_context():
        row = db.session.get(Delivery, result["id"])
        wait = (row.next_attempt_at - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
        assert 20 <= wait <= 31  # the platform's own reset time, not our backoff
        paused = db.session.get(Channel, channel["id"]).paused_until
        assert paused is not None and paused >= row.next_attempt_at - timedelta(seconds=1)
    state.rate_limited = False  # the limit is over
    time_passes(app, result["id"])
    assert delivery_row(app, result["id"]).status == "published"
    assert len(state.statuses) == 1


def test_rejected_token_marks_the_channel_for_reconnecting(api, alice, channel, fake):
    state, _ = fake
    state.expire_token = True
    post = api.publish(alice, body="Auth trouble")
    result = crosspost(api, alice, post["id"], channel["id"]).json["data"]["results"][0]
    assert result["status"] == "failed" and "Reconnect" in result["error"]
    [listed] = api.call("GET", "/api/me/channels", token=alice).json["data"]
    assert listed["status"] == "needs_reconnect" and "invalid" in listed["status_reason"]
    # Reconnecting with a working token makes it active again, and Retry sends it.
    state.expire_token = False
    state.access_token = "fresh-token"
    api.call(
        "POST",
        "/api/me/channels",
        token=alice,
        json=mastodon_channel(listed["base_url"], "fresh-token"),
    )
    assert api.call("GET", "/api/me/channels", token=alice).json["data"][0]["status"] == "active"


def test_unknown_outcome_is_resent_with_the_same_key_and_posts_once(api, alice, channel, fake, app):
    state, _ = fake
    post = api.publish(alice, body="Timeout after send")
    state.slow_seconds = 2
    settings = app.extensions["writeas.settings"]
    app.extensions["writeas.settings"] = replace(settings, outbound_timeout_seconds=1.0)
    result = crosspost(api, alice, post["id"], channel["id"]).json["data"]["results"][0]
    assert result["status"] == "queued" and "No answer" in result["error"]
    assert len(state.statuses) == 1  # it did arrive
    state.slow_seconds = 0
    time_passes(app, result["id"])
    row = delivery_row(app, result["id"])
    assert row.status == "published" and row.remote_id == state.statuses[0]["id"]
    assert len(state.statuses) == 1


def test_replayed_idempotency_key_creates_no_new_crosspost(api, alice, channel, fake, app):
    state, _ = fake
    post = api.publish(alice, body="Once")
    headers = {"Idempotency-Key": "xp-1"}
    body = {"targets": [{"channel": channel["id"]}]}
    first = api.call(
        "POST", f"/api/posts/{post['id']}/crossposts", token=alice, json=body, headers=headers
    )
    second = api.call(
        "POST", f"/api/posts/{post['id']}/crossposts", token=alice, json=body, headers=headers
    )
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert len(state.statuses) == 1
    with app.app_context():
        assert len(db.session.scalars(select(Delivery)).all()) == 1


def test_media_upload_and_crosspost_with_alt_text(api, alice, channel, fake):
    state, _ = fake
    upload = api.call(
        "POST",
        "/api/media",
        token=alice,
        data={"file": (io.BytesIO(png()), "red.png"), "alt_text": "A red square"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    item = upload.json["data"]
    assert (item["mime_type"], item["width"], item["alt_text"]) == ("image/png", 64, "A red square")
    assert [m["id"] for m in api.call("GET", "/api/media", token=alice).json["data"]] == [
        item["id"]
    ]
    post = api.publish(alice, body="With a picture")
    result = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"], "media": [item["id"]]}]},
    ).json["data"]
    assert result["status"] == "published"
    [stored] = state.media.values()
    assert stored["description"] == "A red square"
    assert state.statuses[0]["media_ids"] == [stored["id"]]


def test_media_upload_is_idempotent_and_takes_large_images(api, alice, app):
    big = png((1400, 1400), noise=True)
    assert len(big) > 2 * 1024 * 1024  # over the ordinary request-body limit
    uploads = [
        api.call(
            "POST",
            "/api/media",
            token=alice,
            headers={"Idempotency-Key": "img-1"},
            data={"file": (io.BytesIO(big), "noise.png"), "alt_text": "Static"},
            content_type="multipart/form-data",
        )
        for _ in range(2)
    ]
    assert [u.status_code for u in uploads] == [201, 201]
    assert uploads[0].json == uploads[1].json
    assert uploads[1].headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert len(db.session.scalars(select(MediaFile)).all()) == 1
    different = api.call(
        "POST",
        "/api/media",
        token=alice,
        headers={"Idempotency-Key": "img-1"},
        data={"file": (io.BytesIO(png()), "red.png")},
        content_type="multipart/form-data",
    )
    assert different.status_code == 409


def test_media_refusals(api, alice, bob, channel):
    not_image = api.call(
        "POST",
        "/api/media",
        token=alice,
        data={"file": (io.BytesIO(b"not an image"), "x.png")},
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 400
    assert api.call("POST", "/api/media", token=alice, data={}).status_code == 400
    assert (
        api.call(
            "POST",
            "/api/media",
            data={"file": (io.BytesIO(png()), "x.png")},
            content_type="multipart/form-data",
        ).status_code
        == 401
    )
    ids = []
    for alt in ("a", "b", "c", "d", "e"):
        ids.append(
            api.call(
                "POST",
                "/api/media",
                token=alice,
                data={"file": (io.BytesIO(png()), "x.png"), "alt_text": alt},
                content_type="multipart/form-data",
            ).json["data"]["id"]
        )
    post = api.publish(alice, body="Too many pictures")
    response = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"], "media": ids}]},
    )
    assert response.status_code == 400
    assert response.json["error_msg"] == "mastodon accepts at most 4 images per post."
    theirs = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"], "media": ["nope"]}]},
    )
    assert theirs.status_code == 404
    assert api.call("DELETE", f"/api/media/{ids[0]}", token=bob).status_code == 404
    assert api.call("DELETE", f"/api/media/{ids[0]}", token=alice).status_code == 204


def test_images_are_resized_to_fit_a_platform_byte_limit(app):
    original = png((800, 800), noise=True)
    assert len(original) > 1_000_000
    item = MediaFile(
        id="m",
        user_id=1,
        mime_type="image/png",
        alt_text="",
        width=800,
        height=800,
        size=len(original),
        storage_key="m/m.png",
    )
    with app.app_context():
        media_store.current().put(item.storage_key, io.BytesIO(original), item.mime_type)
        data, mime_type = fit(item, 200_000)
        assert len(data) <= 200_000 and mime_type == "image/jpeg"
        assert Image.open(io.BytesIO(data)).width < 800
        assert fit(item, 10_000_000) == (original, "image/png")


# --- the dashboard's Channels and Crossposts pages -----------------------------------------


def test_channels_page_connects_and_disconnects(app, api, alice, fake):
    state, base_url = fake
    browser = login(app.test_client(), "alice")
    assert browser.get("/me/channels").status_code == 200
    wrong = submit(
        browser,
        "/me/channels",
        {"platform": "mastodon", "handle": "alice", "base_url": base_url, "access_token": "nope"},
        "/me/channels",
    )
    assert wrong.status_code == 303
    assert "mastodon: The access token is invalid" in browser.get("/me/channels").get_data(
        as_text=True
    )
    submit(
        browser,
        "/me/channels",
        {
            "platform": "mastodon",
            "handle": "alice",
            "base_url": base_url,
            "access_token": state.access_token,
        },
        "/me/channels",
    )
    page = browser.get("/me/channels").get_data(as_text=True)
    assert "Connected mastodon @alice." in page and "active" in page
    assert state.access_token not in page
    [channel] = api.call("GET", "/api/me/channels", token=alice).json["data"]
    submit(browser, f"/me/channels/{channel['id']}/delete", {}, "/me/channels")
    assert api.call("GET", "/api/me/channels", token=alice).json["data"] == []
    assert app.test_client().get("/me/channels").status_code == 302  # log in first


def test_crossposts_page_sends_shows_results_and_retries(app, api, alice, channel, fake):
    state, _ = fake
    post = api.publish(alice, body="From the dashboard", title="Dashboard post")
    browser = login(app.test_client(), "alice")
    state.fail_next = 422  # Mastodon refuses the first attempt for good
    sent = submit(
        browser, "/me/crossposts", {"post": post["id"], "channel": channel["id"]}, "/me/crossposts"
    )
    assert sent.status_code == 303
    page = browser.get("/me/crossposts").get_data(as_text=True)
    assert "Dashboard post" in page and "failed" in page
    assert "Something went wrong on our end." in page  # the platform's words
    [delivery] = api.call("GET", "/api/me/crossposts", token=alice).json["data"]
    submit(browser, f"/me/crossposts/{delivery['id']}/retry", {}, "/me/crossposts")
    page = browser.get("/me/crossposts").get_data(as_text=True)
    assert "published" in page and state.statuses[0]["id"] in page
    assert len(state.statuses) == 1


def test_a_paused_or_busy_account_holds_every_delivery_to_it(api, alice, channel, fake, app):
    state, _ = fake
    first, second = (api.publish(alice, body=f"Post {n}") for n in (1, 2))
    state.rate_limited = True
    crosspost(api, alice, first["id"], channel["id"])
    state.rate_limited = False
    sent_before = len(state.requests)
    # The account is paused by the first delivery's 429: the sibling waits, unsent.
    sibling = crosspost(api, alice, second["id"], channel["id"]).json["data"]["results"][0]
    assert sibling["status"] == "queued" and sibling["attempts"] == 0
    assert len(state.requests) == sent_before
    with app.app_context():
        row = db.session.get(Delivery, sibling["id"])
        paused = db.session.get(Channel, channel["id"]).paused_until
        assert row.next_attempt_at >= paused - timedelta(seconds=1)
        # Another worker is publishing to this account right now: it waits its turn too.
        account = db.session.get(Channel, channel["id"])
        account.paused_until = None
        account.busy_until = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
        row.next_attempt_at = datetime(2020, 1, 1)
        db.session.commit()
        attempt = engine.run(sibling["id"])  # back in the queue, not sent
        assert attempt.again_in is not None and not attempt.held_account
        assert db.session.get(Delivery, sibling["id"]).status == "queued"
    assert len(state.requests) == sent_before
    with app.app_context():
        db.session.get(Channel, channel["id"]).busy_until = None
        db.session.commit()
    time_passes(app, sibling["id"])
    assert delivery_row(app, sibling["id"]).status == "published"


# --- the security review's crossposting and media findings -------------------------------


def crosspost_in_an_hour(api, token, post_id, channel_id) -> str:
    """The id of the one delivery of a crosspost scheduled an hour from now."""
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    batch = api.call(
        "POST",
        f"/api/posts/{post_id}/crossposts",
        token=token,
        json={"targets": [{"channel": channel_id}], "scheduled_at": later},
    ).json["data"]
    return batch["results"][0]["id"]


def upload(api, token, image: bytes):
    return api.call(
        "POST",
        "/api/media",
        token=token,
        data={"file": (io.BytesIO(image), "x.png")},
        content_type="multipart/form-data",
    )


def test_a_scheduled_crosspost_of_a_post_unpublished_meanwhile_is_never_sent(
    api, alice, channel, fake, app
):
    state, _ = fake
    post = api.publish(alice, body="Soon to be taken back")
    delivery_id = crosspost_in_an_hour(api, alice, post["id"], channel["id"])
    taken_back = api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": ""})
    assert taken_back.status_code == 410
    time_passes(app, delivery_id)
    row = delivery_row(app, delivery_id)
    assert row.status == "failed" and "unpublished" in row.error
    assert state.statuses == []


@pytest.mark.parametrize(("visibility", "word"), [("private", "private"), ("password", "password")])
def test_a_scheduled_crosspost_of_a_blog_closed_meanwhile_is_never_sent(
    api, alice, channel, fake, app, visibility, word
):
    state, _ = fake
    post = api.call(
        "POST", "/api/collections/alice/posts", token=alice, json={"body": "Blog words"}
    ).json["data"]
    delivery_id = crosspost_in_an_hour(api, alice, post["id"], channel["id"])
    settings = {"visibility": visibility, "password": "a blog password"}
    assert api.call("POST", "/api/collections/alice", token=alice, json=settings).status_code == 200
    time_passes(app, delivery_id)
    row = delivery_row(app, delivery_id)
    assert row.status == "failed" and word in row.error
    assert state.statuses == []
    refused = crosspost(api, alice, post["id"], channel["id"])
    assert refused.status_code == 400 and word in refused.json["error_msg"]


@pytest.mark.parametrize(
    "base_url",
    ["https://0177.0.0.1:48900", "https://127.0.0.1:99999", "https://[::1:48900", "https://a b/"],
)
def test_base_urls_the_http_client_cant_parse_are_400(api, alice, base_url):
    response = connect(api, alice, base_url)
    assert response.status_code == 400 and "base_url" in response.json["error_msg"]


def test_images_over_25_megapixels_are_refused_before_decoding(api, alice):
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")  # a few kilobytes, 49 megapixels
    response = upload(api, alice, out.getvalue())
    assert response.status_code == 400 and "25 megapixels" in response.json["error_msg"]


def test_uploads_are_limited_per_account(make_app):

    api = Api(make_app(MEDIA_UPLOAD_RATE_LIMIT="2 per hour").test_client())
    alice, bob = api.signup("alice"), api.signup("bob")
    assert [upload(api, alice, png()).status_code for _ in range(2)] == [201, 201]
    refused = upload(api, alice, png())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert upload(api, bob, png()).status_code == 201


def test_a_target_text_far_over_any_limit_is_refused_before_it_is_measured(api, alice, channel):
    post = api.publish(alice, body="Short")
    response = api.call(
        "POST",
        f"/api/posts/{post['id']}/crossposts",
        token=alice,
        json={"targets": [{"channel": channel["id"], "text": "é" * 20_000}]},
    )
    assert response.status_code == 400
    assert response.json["error_msg"] == (
        "Text for mastodon is over 10000 characters; mastodon allows 500."
    )
