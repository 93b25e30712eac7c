"""Write rate limits: per address for anonymous writers, per account for signed-in ones,
answered with 429 and Retry-After (JSON under /api, a page elsewhere)."""

from calls import Api


def limited_api(make_app, **limits):
    return Api(make_app(**limits).test_client())


def test_anonymous_writes_are_limited_per_address(make_app):
    api = limited_api(make_app, ANON_WRITE_RATE_LIMIT="3 per minute")
    codes = [api.call("POST", "/api/posts", json={"body": "x"}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    blocked = api.call("POST", "/api/posts", json={"body": "x"})
    assert blocked.json["code"] == 429 and blocked.json["error_msg"]
    assert int(blocked.headers["Retry-After"]) > 0
    # Reading is never limited by writes, and another address has its own budget.
    assert api.call("GET", "/api/me/posts").status_code == 401
    other = api.call(
        "POST", "/api/posts", json={"body": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert other.status_code == 201


def test_signed_in_writers_have_their_own_budget(make_app):
    api = limited_api(
        make_app, ANON_WRITE_RATE_LIMIT="2 per minute", USER_WRITE_RATE_LIMIT="4 per minute"
    )
    alice = api.signup("alice")  # an anonymous write (1 of 2)
    bob = api.signup("bob")  # (2 of 2)
    assert api.call("POST", "/api/posts", json={"body": "x"}).status_code == 429
    alice_codes = [
        api.call("POST", "/api/posts", token=alice, json={"body": "x"}).status_code
        for _ in range(5)
    ]
    assert alice_codes == [201, 201, 201, 201, 429]
    assert api.call("POST", "/api/posts", token=bob, json={"body": "x"}).status_code == 201


def test_log_ins_are_not_writes(make_app):
    api = limited_api(make_app, ANON_WRITE_RATE_LIMIT="1 per minute")
    api.signup("carol")
    for _ in range(3):
        response = api.call(
            "POST", "/api/auth/login", json={"alias": "carol", "pass": "correct horse"}
        )
        assert response.status_code == 200


def test_pages_get_a_429_page(make_app):
    import re

    client = make_app(ANON_WRITE_RATE_LIMIT="1 per minute").test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True))
    form = {"csrf_token": token.group(1), "body": "hello"}
    assert client.post("/", data=form).status_code == 303
    blocked = client.post("/", data=form)
    assert blocked.status_code == 429 and blocked.mimetype == "text/html"
    assert blocked.headers["Retry-After"]


def test_limits_can_be_turned_off(make_app):
    api = limited_api(make_app, ANON_WRITE_RATE_LIMIT="1 per minute", RATELIMIT_ENABLED=False)
    codes = {api.call("POST", "/api/posts", json={"body": "x"}).status_code for _ in range(3)}
    assert codes == {201}
