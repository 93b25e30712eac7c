"""The federation harness itself, without our server: the fediverse peers (pasture and
bovine-herd, real software from PyPI in subprocesses) start, find each other over
loopback, sign and check each other's requests, keep their state across a restart, and
never leave loopback. If these fail, a federation test failing says nothing about us.

The peers are shared by the module (each start costs a second or two); every test marks
what it sends with ids of its own, so none depends on another's traffic."""

import email.utils
import json
import time
import uuid

import httpx
import pytest
from fediverse import Bovine, Pasture

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture(scope="module")
def pasture(tmp_path_factory):
    with Pasture(workdir=tmp_path_factory.mktemp("pasture")) as peer:
        yield peer


@pytest.fixture(scope="module")
def bovine(tmp_path_factory):
    with Bovine(workdir=tmp_path_factory.mktemp("bovine")) as peer:
        yield peer


@pytest.fixture
def since():
    return time.time()


def offline(since: float, *peers) -> None:
    """Nothing a peer did since the test began needed the internet: no context fetched,
    no foreign socket."""
    for peer in peers:
        assert peer.jsonld_misses(since) == [], peer.name
        assert peer.network_violations(since) == [], peer.name


def marked(activity_id: str):
    return lambda activity: activity.get("id") == activity_id


def test_pasture_actor_resolves_by_webfinger_and_as_an_actor_document(pasture):
    finger = httpx.get(
        f"{pasture.base_url}/.well-known/webfinger",
        params={"resource": pasture.acct},
        trust_env=False,
    )
    assert finger.status_code == 200
    links = [link for link in finger.json()["links"] if link["rel"] == "self"]
    assert links == [{"rel": "self", "type": "application/activity+json", "href": pasture.actor_id}]

    response = httpx.get(
        pasture.actor_id, headers={"Accept": "application/activity+json"}, trust_env=False
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/activity+json")
    actor = response.json()
    assert actor["id"] == pasture.actor_id
    assert actor["inbox"] == pasture.inbox_url
    assert actor["preferredUsername"] == "actor"
    assert actor["publicKey"] == {
        "id": pasture.key_id,
        "owner": pasture.actor_id,
        "publicKeyPem": pasture.public_key_pem,
    }


def test_pasture_inbox_refuses_unsigned_forged_and_stale_posts(pasture):
    def activity(marker):
        return json.dumps(
            {
                "@context": AS,
                "id": f"{pasture.actor_id}/{marker}",
                "type": "Like",
                "actor": pasture.actor_id,
                "object": pasture.actor_id,
            }
        ).encode()

    json_headers = {"Content-Type": "application/activity+json"}
    unsigned = activity(uuid.uuid4().hex)
    assert pasture.send_raw(pasture.inbox_url, unsigned, json_headers) == 401

    marker = uuid.uuid4().hex
    signed_body = activity(marker)
    headers = pasture.signed_headers("POST", pasture.inbox_url, signed_body)
    tampered = signed_body.replace(marker.encode(), uuid.uuid4().hex.encode())  # new id
    assert pasture.send_raw(pasture.inbox_url, tampered, headers) == 401

    elsewhere = pasture.signed_headers("POST", f"{pasture.base_url}/bob/inbox", signed_body)
    assert pasture.send_raw(pasture.inbox_url, signed_body, elsewhere) == 401  # forged

    stale_date = email.utils.formatdate(time.time() - 3600, usegmt=True)
    stale_body = activity(uuid.uuid4().hex)
    stale = pasture.signed_headers("POST", pasture.inbox_url, stale_body, date=stale_date)
    assert pasture.send_raw(pasture.inbox_url, stale_body, stale) == 401

    assert pasture.send_raw(pasture.inbox_url, signed_body, headers) == 202
    accepted = pasture.wait_for_record(
        lambda record: record["activity"]["id"] == json.loads(signed_body)["id"]
    )
    assert accepted["key_id"] == pasture.key_id
    refused = {json.loads(body)["id"] for body in (unsigned, tampered, stale_body)}
    assert not refused & {activity["id"] for activity in pasture.received()}


def test_bovine_follow_reaches_pasture_signed_and_verified(pasture, bovine, since):
    follow_id = bovine.follow(pasture.actor_id)

    record = pasture.wait_for_record(lambda record: record["activity"].get("id") == follow_id)
    follow = record["activity"]
    assert follow["type"] == "Follow"
    assert follow["actor"] == bovine.actor_id
    assert follow["object"] == pasture.actor_id
    # Accepted by an inbox that requires signatures, so pasture checked this one by
    # fetching alice's key from bovine with a signed GET (bovine refuses unsigned ones).
    assert record["key_id"] == bovine.key_id
    assert "(request-target) host date digest" in record["headers"]["Signature"]
    assert record["headers"]["Digest"].startswith("sha-256=")

    assert follow_id in bovine.collection("outbox")
    assert pasture.actor_id not in bovine.following()  # pasture never accepts by itself

    # An Accept (its id on the sender's host, as bovine insists) makes alice a follower.
    accept = {
        "@context": AS,
        "id": f"{pasture.actor_id}/accepts/{uuid.uuid4().hex}",
        "type": "Accept",
        "actor": pasture.actor_id,
        "to": [bovine.actor_id],
        "object": follow_id,
    }
    assert pasture.send(bovine.inbox_url, accept) == 202
    bovine.wait_for(marked(accept["id"]))
    assert pasture.actor_id in bovine.following()

    undo_id = bovine.undo_follow(follow_id)
    undo = pasture.wait_for(marked(undo_id))
    assert undo["type"] == "Undo"
    assert undo["object"] == follow_id  # by id: the receiver must know the Follow
    assert pasture.actor_id not in bovine.following()
    offline(since, pasture, bovine)


def test_pasture_note_reaches_alice_and_her_reply_reaches_pasture(pasture, bovine, since):
    note_id = f"{pasture.actor_id}/notes/{uuid.uuid4().hex}"
    create = {
        "@context": AS,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": pasture.actor_id,
        "to": [bovine.actor_id],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": pasture.actor_id,
            "to": [bovine.actor_id],
            "content": "<p>Hello alice</p>",
        },
    }
    assert pasture.send(bovine.inbox_url, create) == 202

    item = bovine.wait_for(marked(create["id"]))
    assert item["type"] == "Create"
    assert item["object"]["id"] == note_id
    assert item["object"]["content"] == "<p>Hello alice</p>"
    assert item["actor"]["id"] == pasture.actor_id  # bovine resolved the sender

    # bovine resolves remote actors through alice's proxyUrl (a GET signed by her).
    assert bovine.fetch(pasture.actor_id)["inbox"] == pasture.inbox_url
    assert bovine.fetch(pasture.acct)["id"] == pasture.actor_id  # webfinger, over http

    reply_id = bovine.send(bovine.note("Hello back", [pasture.actor_id], in_reply_to=note_id))
    reply = pasture.wait_for(marked(reply_id))
    assert reply["type"] == "Create"
    assert reply["object"]["inReplyTo"] == note_id
    assert reply["object"]["content"] == "Hello back"
    offline(since, pasture, bovine)


def test_verify_actor_reports_on_a_remote_actor(pasture, bovine):
    """pasture's verify_actor against bovine-herd, which requires signed GETs."""
    report = pasture.verify_actor(bovine.actor_id)

    assert report["actors"]["alice"] == {"get_actor": False, "post_inbox": False}  # unsigned
    for name in ("bob", "claire", "emily", "frank"):  # signed; claire's key needs one too
        assert report["actors"][name] == {"get_actor": True, "post_inbox": True}, name
    assert report["webfinger"] is True
    assert report["warnings"] == []
    assert report["steps"]


def test_peers_keep_their_state_across_a_restart(pasture, bovine):
    create = {
        "@context": AS,
        "id": f"{pasture.actor_id}/restart/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": pasture.actor_id,
        "to": [bovine.actor_id],
        "object": {
            "type": "Note",
            "content": "before",
            "attributedTo": pasture.actor_id,
            "id": f"{pasture.actor_id}/restart/{uuid.uuid4().hex}",
        },
    }
    assert pasture.send(bovine.inbox_url, create) == 202
    bovine.wait_for(marked(create["id"]))
    received, key, alice = pasture.received(), pasture.public_key_pem, bovine.actor_id
    port = bovine.port

    pasture.stop()
    bovine.stop()
    try:
        assert not pasture.running and not bovine.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(pasture.actor_id, trust_env=False)
    finally:  # the module's other tests share these peers
        pasture.start()
        bovine.start()

    assert pasture.received() == received
    assert pasture.public_key_pem == key
    assert (bovine.actor_id, bovine.port) == (alice, port)
    assert bovine.wait_for(marked(create["id"]), timeout=1)
    # And they still talk: pasture's key, alice's key and her inbox are the same.
    again = {**create, "id": f"{create['id']}/again"}
    assert pasture.send(bovine.inbox_url, again) == 202
    bovine.wait_for(marked(again["id"]))


def test_offline_guard_records_what_would_have_left_loopback(pasture, bovine):
    """The guard is real: a context nobody vendored is reported, and a connection off
    loopback is refused and reported (192.0.2.1 is TEST-NET-1: nothing answers there)."""
    answer = pasture.deliver("http://192.0.2.1/inbox", {"type": "Like"})
    assert answer["status"] is None
    assert pasture.network_violations()[-1]["address"] == ["192.0.2.1", 80]

    context = f"https://contexts.example/{uuid.uuid4().hex}"
    create = {
        "@context": [AS, context],
        "id": f"{pasture.actor_id}/contexts/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": pasture.actor_id,
        "to": [bovine.actor_id],
        "object": {
            "type": "Note",
            "content": "context",
            "attributedTo": pasture.actor_id,
            "id": f"{pasture.actor_id}/contexts/{uuid.uuid4().hex}",
        },
    }
    assert pasture.send(bovine.inbox_url, create) == 202
    deadline = time.monotonic() + 10
    while context not in bovine.jsonld_misses() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert context in bovine.jsonld_misses()
    assert bovine.network_violations()[-1]["address"][0] == "contexts.example"
