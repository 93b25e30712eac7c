"""The media tests run on both stores: files in the instance folder, and an S3 bucket on a
real S3 API server (moto's, started once for the session; each test gets its own bucket).

`app` is overridden here, so every fixture built on it (`client`, `api`, `alice`, `site`)
runs on the store the test is parametrized with."""

import io

import pytest
from calls import mastodon_channel
from platform_servers import mastodon, running
from s3 import S3Server

from writeas.services import media_store


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request) -> dict:
    """The settings of the store under test (empty: the default, local files)."""
    if request.param == "local":
        return {}
    server = request.getfixturevalue("s3_server")
    return server.settings(server.new_bucket())


@pytest.fixture
def app(make_app, backend):
    return make_app(**backend)


@pytest.fixture
def stored(app):
    """What the store holds under a key, read through the store itself (None: nothing)."""

    def read(key: str) -> bytes | None:
        with app.app_context():
            try:
                with media_store.current().open(key) as stream:
                    return stream.read()
            except media_store.MissingFile:
                return None

    return read


@pytest.fixture
def upload(api, alice):
    """Posts a file to /api/media as alice; answers the response."""

    def send(data: bytes, filename="file", token=alice, **fields):
        return api.call(
            "POST",
            "/api/media",
            token=token,
            data={"file": (io.BytesIO(data), filename), **fields},
            content_type="multipart/form-data",
        )

    return send


@pytest.fixture
def channel(api, alice):
    """A Mastodon channel of alice's, on the platform's test server for the test's length."""
    state = mastodon.State()
    with running(mastodon.create(state)) as base_url:
        response = api.call(
            "POST", "/api/me/channels", token=alice,
            json=mastodon_channel(base_url, state.access_token),
        )
        assert response.status_code == 201, response.json
        yield response.json["data"]
