"""Mastodon-API servers other than Mastodon, end to end through our HTTP API: the server's
own limits read at connect, a server that ignores `Idempotency-Key` (a lookup decides,
never a blind resend), a plain-text 400 for a bad token, a server without the v2 instance
endpoint, and Mastodon's options and first comment.

The local server (tests/support/platform_servers/mastodon.py) is switched into each kind
of server; deliveries run through the real engine, huey in immediate mode."""

from dataclasses import replace

import pytest
from calls import mastodon_channel
from deliveries import delivery_row, time_passes
from platform_servers import mastodon, running
from sqlalchemy import select

from writeas.core.db import db
from writeas.core.models import Channel


@pytest.fixture
def server():
    state = mastodon.State()
    with running(mastodon.create(state)) as base_url:
        yield state, base_url


def connect(api, token, server):
    state, base_url = server
    response = api.call(
        "POST", "/api/me/channels", token=token,
        json=mastodon_channel(base_url, state.access_token),
    )
    assert response.status_code == 201, response.json
    return response.json["data"]


def crosspost(api, token, post_id, target):
    body = {"targets": [target]}
    return api.call("POST", f"/api/posts/{post_id}/crossposts", token=token, json=body)


def details(app, channel_id):
    with app.app_context():
        return db.session.get(Channel, channel_id).details


def slow_answers(app, state):
    """The next status is made, but its answer comes after our timeout."""
    state.slow_seconds = 2
    settings = app.extensions["writeas.settings"]
    app.extensions["writeas.settings"] = replace(settings, outbound_timeout_seconds=1.0)


def test_connect_reads_the_servers_limits_and_version(api, alice, server, app):
    channel = connect(api, alice, server)
    found = details(app, channel["id"])
    assert found["version"] == "4.3.2" and found["idempotency"] is True
    assert found["max_characters"] == 500 and found["characters_reserved_per_url"] == 23
    assert found["max_media_attachments"] == 4 and found["image_size_limit"] == 16 << 20


def test_without_v2_the_v1_instance_is_read_and_other_software_is_not_trusted_with_keys(
    api, alice, server, app
):
    state, _ = server
    state.has_v2_instance = False
    state.version = "2.7.2 (compatible; Pleroma 2.6.0)"
    state.max_characters = 5000
    channel = connect(api, alice, server)
    found = details(app, channel["id"])
    assert found["idempotency"] is False and found["max_characters"] == 5000
    paths = [r["path"] for r in state.requests]
    assert paths.index("/api/v2/instance") < paths.index("/api/v1/instance")


def test_a_server_that_describes_itself_nowhere_gets_mastodons_defaults(
    api, alice, server, app
):
    state, _ = server
    state.has_v2_instance = state.has_v1_instance = False
    channel = connect(api, alice, server)
    assert details(app, channel["id"]) == {}
    post = api.publish(alice, body="Plain")
    result = crosspost(api, alice, post["id"], {"channel": channel["id"]}).json["data"]
    assert result["results"][0]["status"] == "published"


def test_the_servers_own_character_limit_shapes_and_checks_the_text(api, alice, server, app):
    state, _ = server
    state.max_characters = 1000
    channel = connect(api, alice, server)
    title = ("A long title " * 50).strip()  # 649 characters: cut at 500, whole at 1000
    post = api.publish(alice, body="The body.")
    target = {"channel": channel["id"], "title": title}
    result = crosspost(api, alice, post["id"], target).json["data"]
    assert result["results"][0]["status"] == "published"
    sent = state.statuses[-1]["text"]
    assert sent.startswith(title + "\n\n") and len(sent) <= 1000
    other = api.publish(alice, body="Another")
    over = crosspost(api, alice, other["id"], {"channel": channel["id"], "text": "x" * 1001})
    assert over.status_code == 400 and "mastodon allows 1000" in over.json["error_msg"]
    fits = crosspost(api, alice, other["id"], {"channel": channel["id"], "text": "y" * 900})
    assert fits.json["data"]["results"][0]["status"] == "published"


def test_a_server_ignoring_the_key_is_looked_up_after_a_timeout_and_posts_once(
    api, alice, server, app
):
    state, _ = server
    state.version = "0.17.3+git-7d5c4a1"  # GoToSocial: no Idempotency-Key
    state.ignores_idempotency_key = True
    channel = connect(api, alice, server)
    post = api.publish(alice, body="Timeout after send")
    slow_answers(app, state)
    result = crosspost(api, alice, post["id"], {"channel": channel["id"]}).json["data"]
    delivery = result["results"][0]
    assert delivery["status"] == "queued" and "No answer" in delivery["error"]
    assert len(state.statuses) == 1  # it did arrive
    state.slow_seconds = 0
    time_passes(app, delivery["id"])
    row = delivery_row(app, delivery["id"])
    assert row.status == "published" and row.remote_id == state.statuses[0]["id"]
    assert len(state.statuses) == 1  # found by the lookup, not sent again
    looked = [r for r in state.requests if r["path"].endswith("/statuses") and r["method"] == "GET"]
    assert len(looked) == 1


def test_a_server_ignoring_the_key_is_resent_when_the_lookup_proves_nothing_landed(
    api, alice, server, app
):
    state, _ = server
    state.ignores_idempotency_key = True
    state.version = "2.7.2 (compatible; Akkoma 3.13.2)"
    channel = connect(api, alice, server)
    post = api.publish(alice, body="Lost before it was made")
    state.fail_next = 502  # a gateway error: unknown whether it was made (it wasn't)
    delivery = crosspost(api, alice, post["id"], {"channel": channel["id"]}).json["data"][
        "results"
    ][0]
    assert delivery["status"] == "queued" and not state.statuses
    time_passes(app, delivery["id"])
    row = delivery_row(app, delivery["id"])
    assert row.status == "published" and len(state.statuses) == 1


def test_when_the_lookup_cannot_tell_the_delivery_is_unconfirmed_not_resent(
    api, alice, server, app
):
    state, _ = server
    state.ignores_idempotency_key = True
    state.version = "2.7.2 (compatible; Pleroma 2.6.0)"
    channel = connect(api, alice, server)
    post = api.publish(alice, body="Nobody can tell")
    slow_answers(app, state)
    delivery = crosspost(api, alice, post["id"], {"channel": channel["id"]}).json["data"][
        "results"
    ][0]
    state.slow_seconds = 0
    state.fail_next = 500  # the lookup itself fails
    time_passes(app, delivery["id"])
    row = delivery_row(app, delivery["id"])
    assert row.status == "unconfirmed" and "offers no way to resend safely" in row.error
    assert len(state.statuses) == 1
    listed = api.call("GET", "/api/me/crossposts", token=alice).json["data"][0]
    assert listed["status"] == "unconfirmed" and listed["success"] is False
    assert "check the account" in listed["error"]


def test_a_plain_text_400_for_a_bad_token_marks_the_channel_for_reconnecting(
    api, alice, server, app
):
    state, _ = server
    state.bad_token_as_plain_400 = True
    channel = connect(api, alice, server)
    refused = api.call(
        "POST", "/api/me/channels", token=alice, json=mastodon_channel(server[1], "wrong")
    )
    assert refused.status_code == 400 and "token was refused" in refused.json["error_msg"]
    state.access_token = "rotated-elsewhere"
    post = api.publish(alice, body="Revoked")
    delivery = crosspost(api, alice, post["id"], {"channel": channel["id"]}).json["data"][
        "results"
    ][0]
    assert delivery["status"] == "failed" and "rejected the credentials" in delivery["error"]
    listed = api.call("GET", "/api/me/channels", token=alice).json["data"][0]
    assert listed["status"] == "needs_reconnect"
    with app.app_context():
        assert db.session.scalar(select(Channel.status)) == "needs_reconnect"


def test_options_are_sent_and_bad_ones_refused(api, alice, server):
    state, _ = server
    channel = connect(api, alice, server)
    post = api.publish(alice, body="Spoilers ahead")
    options = {"visibility": "unlisted", "spoiler_text": "Film plot", "sensitive": True}
    for bad, message in [
        ({"visibility": "everyone"}, "`visibility` must be one of"),
        ({"sensitive": "yes"}, "`sensitive` must be true or false"),
        ({"langs": ["en"]}, "mastodon has no option `langs`"),
    ]:
        refused = crosspost(api, alice, post["id"], {"channel": channel["id"], "options": bad})
        assert refused.status_code == 400 and message in refused.json["error_msg"], bad
    assert not state.statuses
    sent = crosspost(api, alice, post["id"], {"channel": channel["id"], "options": options})
    assert sent.json["data"]["results"][0]["status"] == "published"
    status = state.statuses[0]
    assert (status["visibility"], status["spoiler_text"], status["sensitive"]) == (
        "unlisted", "Film plot", True
    )


def test_first_comment_is_a_reply_with_its_own_result(api, alice, server):
    state, _ = server
    channel = connect(api, alice, server)
    post = api.publish(alice, body="With a comment")
    body = {"targets": [{"channel": channel["id"]}], "first_comment": "Sources in the thread."}
    result = api.call(
        "POST", f"/api/posts/{post['id']}/crossposts", token=alice, json=body
    ).json["data"]["results"][0]
    assert result["status"] == "published" and result["success"] is True
    first, reply = state.statuses
    assert reply["in_reply_to_id"] == first["id"] and reply["text"] == "Sources in the thread."
    assert result["first_comment"] == {
        "status": "published", "id": reply["id"], "url": result["first_comment"]["url"]
    }


def test_a_failed_first_comment_leaves_the_post_published(api, alice, server):
    state, _ = server
    channel = connect(api, alice, server)
    post = api.publish(alice, body="Comment refused")
    body = {"targets": [{"channel": channel["id"]}], "first_comment": "x" * 600}
    result = api.call(
        "POST", f"/api/posts/{post['id']}/crossposts", token=alice, json=body
    ).json["data"]["results"][0]
    assert result["status"] == "published" and len(state.statuses) == 1
    assert result["first_comment"]["status"] == "failed"
    assert "character limit" in result["first_comment"]["error"]
