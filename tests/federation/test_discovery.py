"""Discovery and content negotiation, end to end through HTTP: WebFinger, host-meta,
NodeInfo, and the existing routes answering the actor or the object to an ActivityPub
`Accept` while answering everyone else exactly as before."""

import pytest
from calls import assert_error, blog_post, update_blog

AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
SITE = "http://blog.example:8080"


@pytest.fixture
def app(make_app):
    return make_app(SITE_URL=SITE)


def finger(client, resource):
    return client.get("/.well-known/webfinger", query_string={"resource": resource})


def test_webfinger_answers_a_jrd_for_every_form_of_the_resource(client, alice):
    for resource in (
        "acct:alice@blog.example:8080",
        "alice@blog.example:8080",
        f"{SITE}/alice/",
        f"{SITE}/api/collections/alice",
    ):
        response = finger(client, resource)
        assert response.status_code == 200, resource
        assert response.headers["Content-Type"] == "application/jrd+json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        jrd = response.json
        assert jrd["subject"] == "acct:alice@blog.example:8080"
        assert f"{SITE}/api/collections/alice" in jrd["aliases"]
        links = {link["rel"]: link for link in jrd["links"]}
        assert links["self"] == {
            "rel": "self", "type": "application/activity+json",
            "href": f"{SITE}/api/collections/alice",
        }
        assert links["http://webfinger.net/rel/profile-page"]["href"] == f"{SITE}/alice/"
        assert "{uri}" in links["http://ostatus.org/schema/1.0/subscribe"]["template"]


def test_webfinger_refuses_what_it_must_not_tell(client, api, alice):
    assert_error(client.get("/.well-known/webfinger"), 400)
    assert_error(finger(client, "acct:nobody@blog.example:8080"), 404)
    assert_error(finger(client, "acct:alice@other.example"), 404)
    update_blog(api, alice, visibility="private")
    assert_error(finger(client, "acct:alice@blog.example:8080"), 404)
    update_blog(api, alice, visibility="password", password="sesame")
    assert_error(finger(client, "acct:alice@blog.example:8080"), 404)


def test_nodeinfo_is_linked_and_counts_what_the_api_shows(client, api, alice):
    links = client.get("/.well-known/nodeinfo").json["links"]
    assert [link["rel"].rsplit("/", 1)[-1] for link in links] == ["2.0", "2.1"]
    blog_post(api, alice, body="one")
    blog_post(api, alice, body="two")
    api.publish(body="anonymous")
    for version in ("2.0", "2.1"):
        response = client.get(f"/nodeinfo/{version}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == (
            f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
        )
        info = response.json
        assert info["software"]["name"] == "writeas-py"
        assert info["protocols"] == ["activitypub"]
        assert info["openRegistrations"] is True
        assert info["usage"]["users"]["total"] == 1
        assert info["usage"]["localPosts"] == 3
    update_blog(api, alice, visibility="private")  # its posts are nobody's to count
    assert client.get("/nodeinfo/2.1").json["usage"]["localPosts"] == 1
    assert_error(client.get("/nodeinfo/9.9"), 404)
    meta = client.get("/.well-known/host-meta")
    assert meta.status_code == 200 and "/.well-known/webfinger?resource={uri}" in meta.text


def test_the_blog_answers_its_actor_to_activitypub_and_its_old_bytes_to_everyone_else(
    client, api, alice
):
    before = {
        path: client.get(path, headers={"Accept": accept}).data
        for path in ("/api/collections/alice", "/alice/")
        for accept in ("application/json", "text/html,*/*;q=0.8")
    }
    for headers in (AP, LD):
        for path in ("/api/collections/alice", "/alice/"):
            response = client.get(path, headers=headers)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == "application/activity+json"
            assert "Accept" in response.headers["Vary"]
            actor = response.json
            assert actor["id"] == f"{SITE}/api/collections/alice"
            assert actor["type"] == "Person" and actor["preferredUsername"] == "alice"
            assert actor["publicKey"]["owner"] == actor["id"]
            assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
            assert "PRIVATE" not in response.text
            assert actor["endpoints"]["sharedInbox"] == f"{SITE}/ap/inbox"
    after = {
        path: client.get(path, headers={"Accept": accept}).data
        for path in ("/api/collections/alice", "/alice/")
        for accept in ("application/json", "text/html,*/*;q=0.8")
    }
    assert after == before
    plain = client.get("/api/collections/alice")
    assert plain.json["data"]["alias"] == "alice" and "Accept" in plain.headers["Vary"]


@pytest.mark.parametrize(
    "accept, federated",
    [
        ("application/activity+json", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ('application/ld+json;profile="https://www.w3.org/ns/activitystreams",text/html;q=0.1',
         True),
        ("application/activity+json;q=0, text/html", False),
        ("application/ld+json", False),  # JSON-LD, but not ActivityStreams
        ("text/html, application/activity+json;q=0.5", False),
        ("application/json", False),
        ("*/*", False),
        ('application/ld+json; profile="x, y"', False),
    ],
)
def test_accept_headers_are_parsed_not_compared(client, alice, accept, federated):
    response = client.get("/api/collections/alice", headers={"Accept": accept})
    assert response.status_code == 200
    is_actor = response.headers["Content-Type"] == "application/activity+json"
    assert is_actor is federated


def test_posts_answer_their_object_and_the_cache_keeps_the_variants_apart(client, api, alice):
    post = blog_post(api, alice, title="Hello", body="Some #words here.")
    page = client.get("/alice/hello")  # renders and caches the page
    assert page.status_code == 200 and b"<html" in page.data
    for path in (f"/api/posts/{post['id']}", "/alice/hello"):
        response = client.get(path, headers=AP)
        assert response.status_code == 200, path
        assert "Accept" in response.headers["Vary"]
        obj = response.json
        assert obj["id"] == f"{SITE}/api/posts/{post['id']}"
        assert obj["type"] == "Article" and obj["name"] == "Hello"
        assert obj["url"] == f"{SITE}/alice/hello"
        assert obj["attributedTo"] == f"{SITE}/api/collections/alice"
        assert obj["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
        assert obj["cc"] == [f"{SITE}/ap/blogs/alice/followers"]
        assert {"type": "Hashtag", "href": f"{SITE}/alice/tag:words", "name": "#words"} in obj[
            "tag"
        ]
        assert f'href="{SITE}/alice/tag:words"' in obj["content"]  # links made absolute
    again = client.get("/alice/hello")
    assert again.data == page.data
    api_read = client.get(f"/api/posts/{post['id']}")
    assert api_read.json["data"]["id"] == post["id"]


def test_anonymous_and_private_posts_are_not_objects(client, api, alice):
    anonymous = api.publish(body="just me")
    assert_error(client.get(f"/api/posts/{anonymous['id']}", headers=AP), 404)
    post = blog_post(api, alice, body="secret")
    update_blog(api, alice, visibility="private")
    retracted = client.get(f"/api/posts/{post['id']}", headers=AP)  # it was public once
    assert retracted.status_code == 410 and set(retracted.json) == {
        "@context", "id", "type", "formerType", "deleted"
    }
    never = blog_post(api, alice, body="written while private")
    assert_error(client.get(f"/api/posts/{never['id']}", headers=AP), 404)
    assert_error(client.get("/api/collections/alice", headers=AP), 404)
    for path in ("/ap/blogs/alice/outbox", "/ap/blogs/alice/followers", "/ap/blogs/alice/featured"):
        assert_error(client.get(path), 404)


def test_untitled_posts_are_notes_and_a_blog_may_ask_for_notes(client, api, alice):
    untitled = blog_post(api, alice, body="No title, just words.")
    titled = blog_post(api, alice, title="Titled", body="The whole post.")
    assert client.get(f"/api/posts/{untitled['id']}", headers=AP).json["type"] == "Note"
    assert client.get(f"/api/posts/{titled['id']}", headers=AP).json["type"] == "Article"
    update_blog(api, alice, federate_as="note")
    note = client.get(f"/api/posts/{titled['id']}", headers=AP).json
    assert note["type"] == "Note" and "name" not in note
    assert "<strong>Titled</strong>" in note["content"] and "The whole post." in note["content"]
    response = api.call("POST", "/api/collections/alice", token=alice, json={"federate_as": "x"})
    assert_error(response, 400)


def test_unpublished_and_deleted_posts_answer_a_tombstone(client, api, alice):
    post = blog_post(api, alice, title="Going", body="soon gone")
    object_id = client.get(f"/api/posts/{post['id']}", headers=AP).json["id"]
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": ""})
    gone = client.get(f"/api/posts/{post['id']}", headers=AP)
    assert gone.status_code == 410
    assert gone.json["type"] == "Tombstone" and gone.json["id"] == object_id
    api.call("POST", f"/api/posts/{post['id']}", token=alice, json={"body": "back again"})
    back = client.get(f"/api/posts/{post['id']}", headers=AP).json
    assert back["type"] == "Article" and back["id"] != object_id
    assert client.get(back["id"].replace(SITE, "")).json["id"] == back["id"]
    # The first id is also the post's address: it answers the current object, whose own
    # id differs, so a server that tombstoned the first id never sees it come back.
    assert client.get(object_id.replace(SITE, ""), headers=AP).json["id"] == back["id"]
    api.call("DELETE", f"/api/posts/{post['id']}", token=alice)
    deleted = client.get(back["id"].replace(SITE, ""))
    assert deleted.status_code == 410 and deleted.json["id"] == back["id"]


def test_outbox_pages_followers_following_and_featured(make_app, api, alice, client):
    for number in range(25):
        blog_post(api, alice, body=f"post {number}")
    page_post = blog_post(api, alice, title="About", body="about me")
    api.call("POST", "/api/collections/alice/pin", token=alice, json=[{"id": page_post["id"]}])
    outbox = client.get("/ap/blogs/alice/outbox").json
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 26
    first = client.get(outbox["first"].replace(SITE, "")).json
    assert first["type"] == "OrderedCollectionPage" and len(first["orderedItems"]) == 20
    create = first["orderedItems"][0]
    assert create["type"] == "Create" and create["id"] != create["object"]["id"]
    second = client.get(first["next"].replace(SITE, "")).json
    assert len(second["orderedItems"]) == 6 and "next" not in second
    ids = [item["object"]["id"] for item in first["orderedItems"] + second["orderedItems"]]
    assert len(set(ids)) == 26
    assert client.get("/ap/blogs/alice/followers").json["totalItems"] == 0
    following = client.get("/ap/blogs/alice/following").json
    assert following["totalItems"] == 0 and following["orderedItems"] == []
    featured = client.get("/ap/blogs/alice/featured").json
    assert [item["name"] for item in featured["orderedItems"]] == ["About"]
    assert_error(client.get("/ap/blogs/alice/outbox?page=0"), 404)
    assert_error(client.get("/ap/blogs/nobody/outbox"), 404)


def test_the_instance_actor_signs_for_the_site(client):
    actor = client.get("/ap/actor").json
    assert actor["type"] == "Application"
    assert actor["id"] == f"{SITE}/ap/actor"
    assert actor["publicKey"]["id"] == f"{SITE}/ap/actor#main-key"
    assert client.get("/ap/actor").json["publicKey"] == actor["publicKey"]  # made once


def test_the_subscribe_template_explains_how_to_follow_a_blog(client, alice):
    template = {
        link["rel"]: link for link in finger(client, "acct:alice@blog.example:8080").json["links"]
    }["http://ostatus.org/schema/1.0/subscribe"]["template"]
    page = client.get(template.replace(SITE, "").replace("{uri}", "https%3A%2F%2Fm.example%2F%40x"))
    assert page.status_code == 200
    assert "https://m.example/@x" in page.text and "@alias@blog.example:8080" in page.text
    hostile = client.get("/interact", query_string={"uri": "<script>alert(1)</script>"})
    assert "<script>alert" not in hostile.text


def test_inboxes_have_a_rate_limit_of_their_own(make_app):
    app = make_app(ANON_WRITE_RATE_LIMIT="2 per minute", INBOX_RATE_LIMIT="4 per minute")
    client = app.test_client()
    unsigned = {"data": b'{"type": "Like", "actor": "https://m.example/u"}',
                "headers": {"Content-Type": "application/activity+json"}}
    answers = [client.post("/ap/inbox", **unsigned).status_code for _ in range(5)]
    assert answers == [401, 401, 401, 401, 429]  # past the writers' 2, within the inboxes' 4
    assert_error(client.post("/ap/inbox", **unsigned), 429)
