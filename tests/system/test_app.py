"""Set-up behaviour: configuration, the SQLite settings, migrations, and the post page."""

from pathlib import Path

import pytest
from databases import POSTGRES_URL
from flask_migrate import upgrade
from schemas import differences
from sqlalchemy import inspect, text

from writeas import create_app
from writeas.core.db import db
from writeas.settings import Settings


def test_secret_key_is_generated_once_and_kept(make_app, tmp_path):
    first = make_app()
    second = make_app()
    key_file = Path(first.instance_path) / "secret_key"
    assert key_file.exists()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 40


def test_secret_key_from_the_environment_wins(make_app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = make_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (Path(app.instance_path) / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(make_app, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    app = create_app(Settings.from_environment(testing=True))
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'writeas.db'}"
    )


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_postgres_urls_use_psycopg3(tmp_path):
    environment = {"DATABASE_URL": "postgres://u:p@db.example/name", "INSTANCE_PATH": str(tmp_path)}
    settings = Settings.from_environment(environment)
    assert settings.flask_config()["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://u:p@db.example/name"
    )


def test_settings_come_from_the_environment_by_name(tmp_path):
    settings = Settings.from_environment(
        {
            "INSTANCE_PATH": str(tmp_path),
            "POSTS_PER_PAGE": "7",
            "RATELIMIT_ENABLED": "off",
            "SITE_URL": "https://example.com/",
            "REDIS_URL": "redis://r:6379/0",
            "OUTBOUND_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert settings.posts_per_page == 7 and settings.ratelimit_enabled is False
    assert settings.site_url == "https://example.com" and settings.outbound_timeout_seconds == 2.5
    # Redis, when named, carries the rate-limit counts and the queue too.
    assert settings.ratelimit_storage_uri == "redis://r:6379/0"
    assert settings.queue_redis_url == "redis://r:6379/0"
    with pytest.raises(RuntimeError, match="POSTS_PER_PAGE"):
        Settings.from_environment({"INSTANCE_PATH": str(tmp_path), "POSTS_PER_PAGE": "many"})


def test_migrations_build_exactly_the_models_schema(make_app):
    app = make_app(schema=False)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "access_tokens", "collections", "posts", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            assert differences(connection) == []


def test_migrated_database_serves_requests(make_app):
    app = make_app(schema=False)
    with app.app_context():
        upgrade()
    client = app.test_client()
    created = client.post("/api/posts", json={"body": "after migrations"})
    assert created.status_code == 201
    signup = client.post("/api/auth/signup", json={"alias": "migrated", "pass": "password1"})
    assert signup.status_code == 201


def test_post_page_renders_safe_html_with_language_and_direction(api, client):
    post = api.publish(body="شكرا\n\n<script>alert(1)</script>\n\n**bold**", lang="ar", rtl=True)
    page = client.get(f"/{post['id']}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "<title>شكرا — " in page
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_post_page_title_prefers_the_given_title(api, client):
    post = api.publish(body="# Body heading\n\ntext", title="Given <Title>")
    page = client.get(f"/{post['id']}").get_data(as_text=True)
    assert "<title>Given &lt;Title&gt; — " in page


def test_upgrading_keeps_every_row_and_its_links(make_app):
    """Migration 0005 rebuilds users, blogs and channels (for AUTOINCREMENT on SQLite):
    posts keep their blog and owner, every blog gets its own uid, and ids stay put."""
    app = make_app(schema=False)
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, created) "
                    "VALUES (7, 'old', 'x', '2026-01-01 00:00:00')"
                )
            )
            for blog_id, alias in ((3, "one"), (9, "two")):
                connection.execute(
                    text(
                        "INSERT INTO collections (id, alias, title, description, style_sheet,"
                        " visibility, owner_id, created, content_version) VALUES "
                        "(:id, :alias, 'T', '', '', 'public', 7, '2026-01-01 00:00:00', 0)"
                    ),
                    {"id": blog_id, "alias": alias},
                )
            connection.execute(
                text(
                    "INSERT INTO posts (id, owner_id, collection_id, slug, modify_token_hash,"
                    " appearance, language, rtl, title, body, display_title, tags, body_html,"
                    " excerpt, views, created, updated, content_version) VALUES ('p1', 7, 9,"
                    " 's', 'h', 'norm', '', false, '', 'b', '', '[]', '', '', 0,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            post = connection.execute(text("SELECT owner_id, collection_id FROM posts")).one()
            assert tuple(post) == (7, 9)
            uids = connection.execute(text("SELECT id, uid FROM collections ORDER BY id")).all()
            assert [row.id for row in uids] == [3, 9]
            assert len({row.uid for row in uids}) == 2 and all(len(r.uid) == 32 for r in uids)
            generation = connection.execute(text("SELECT session_generation FROM users")).one()
            assert generation[0] == 0
            # 0006: every existing blog got its own key pair, the private half sealed.
            keys = connection.execute(
                text("SELECT public_key_pem, private_key_sealed, federate_as FROM collections")
            ).all()
            assert len({row.public_key_pem for row in keys}) == 2
            assert all(row.public_key_pem.startswith("-----BEGIN PUBLIC KEY") for row in keys)
            assert all(row.private_key_sealed.startswith("v1:") for row in keys)
            assert {row.federate_as for row in keys} == {"auto"}
            if connection.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                for table in ("users", "collections", "channels"):
                    sql = connection.execute(
                        text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                    ).scalar()
                    assert "AUTOINCREMENT" in sql, table
            assert differences(connection) == []
