"""Each test gets a fresh app on a real database: a new SQLite file by default, or the
PostgreSQL server named by TEST_DATABASE_URL (which `make test` starts for a second pass)."""

import os
import shutil
from pathlib import Path

import httpx
import pytest
from calls import Api
from databases import POSTGRES_URL
from inboxes import Inbox
from platform_servers import running
from sqlalchemy import text

from writeas import create_app
from writeas.cli import enable_migrations
from writeas.core.db import db
from writeas.settings import Settings

# Crosspost deliveries run in the request that queues them (huey's immediate mode), and
# the platforms' test servers live on loopback. Read whenever an app's settings are.
os.environ.setdefault("HUEY_IMMEDIATE", "true")
os.environ.setdefault("ALLOW_PRIVATE_NETWORK_TARGETS", "true")


def _reset_postgres() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def database_url(tmp_path):
    return POSTGRES_URL or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """An empty SQLite database with the models' schema, made once per run: a test's first
    app starts from a copy of it (a millisecond) instead of creating every table (about
    50 ms, over a thousand times a pass)."""
    folder = tmp_path_factory.mktemp("schema")
    path = folder / "schema.db"
    environment = {"INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{path}"}
    app = create_app(Settings.from_environment(environment, testing=True))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, monkeypatch, database_url, sqlite_schema):
    """Builds apps on this test's database; `schema=False` leaves it empty, for migrations
    (Flask-Migrate then set up on the app, as `flask db` does)."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    built = []

    def build(schema: bool = True, **overrides):
        """`overrides` name settings as their environment variables do (`POSTS_PER_PAGE=2`)."""
        # Tests write far faster than people; the write limits get their own tests. They
        # also sign up thousands of users: hashes at Argon2's least cost (its default cost
        # has a test of its own) save a tenth of a second each.
        limits = {
            "anon_write_rate_limit": "100000 per minute",
            "user_write_rate_limit": "100000 per minute",
            "argon2_memory_kib": 256,
            "argon2_time_cost": 1,
        }
        named = {name.lower(): value for name, value in overrides.items()}
        path = Path(database_url.removeprefix("sqlite:///"))
        copied = schema and not built and not POSTGRES_URL and not path.exists()
        if copied:
            shutil.copyfile(sqlite_schema, path)
        app = create_app(Settings.from_environment(testing=True, **{**limits, **named}))
        with app.app_context():
            if POSTGRES_URL and not built:
                _reset_postgres()
            if not schema:
                enable_migrations(app)
            elif not copied:
                db.create_all()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            app.extensions["writeas.reads"].views.flush()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def alice(api):
    """A signed-up user (with the blog /alice/); the value is their access token."""
    return api.signup("alice")


@pytest.fixture
def bob(api):
    return api.signup("bob")


@pytest.fixture
def http():
    """The guarded client adapters get, allowed onto loopback for the platform servers."""
    from writeas.core.outbound import client

    with client(allow_private=True, timeout=httpx.Timeout(2.0, connect=2.0)) as http:
        yield http


@pytest.fixture
def fast_http():
    """Reads give up after one second, so a slower answer is a timeout after sending."""
    from writeas.core.outbound import client

    with client(allow_private=True, timeout=httpx.Timeout(1.0, connect=2.0)) as http:
        yield http


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download is never used).
    One per test session: Playwright's sync API can't run two at once in one thread."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (scripts/install-chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(app):
    """The app on a real HTTP server in a thread, on a free loopback port."""
    with running(app) as url:
        yield url


@pytest.fixture
def inbox():
    """A fediverse inbox on loopback that checks signatures and keeps what it receives."""
    return Inbox()


@pytest.fixture
def remote(inbox):
    with running(inbox.app()) as url:
        yield url


@pytest.fixture
def stranger(app):
    """A second visitor with cookies of its own (another person, or another browser)."""
    return app.test_client()


@pytest.fixture
def state(request):
    """What a platform's test server holds, and the switches a test flips; the server is
    the test module's `SERVER` (one of the `platform_servers` modules)."""
    return request.module.SERVER.State()


@pytest.fixture
def server(request, state):
    """That server on a real loopback socket; the value is its base URL."""
    with running(request.module.SERVER.create(state)) as url:
        yield url
