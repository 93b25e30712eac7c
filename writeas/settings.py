"""Every setting, read from the environment in this one place, into a frozen value that the
factory hands on (`current()` finds it again inside a request or a task). Nothing else
reads `os.environ`, and nothing reads it at import time, so one build runs anywhere
without edits and a test can build an app from settings of its own.

This module imports nothing of ours, so every layer may ask it for a value.
"""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from flask import current_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXTENSION = "writeas.settings"


@dataclass(frozen=True)
class Settings:
    instance_path: str
    database_url: str
    secret_key: str
    # `id:base64(32 bytes)[,…]`; empty: a key generated once into the instance folder.
    credentials_keys: str = ""
    site_name: str = "Write.as-compatible"
    site_url: str = ""
    # A file whose rules replace robots.txt's default ones (the Sitemap line is added).
    robots_txt: str = ""
    max_content_length: int = 2 * 1024 * 1024
    max_collections_per_user: int = 20
    posts_per_page: int = 10
    # Argon2id's cost for new password hashes (core/passwords.py): argon2-cffi's default.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    login_rate_limit: str = "10 per 5 minutes"
    render_rate_limit: str = "30 per minute"
    media_upload_rate_limit: str = "60 per hour"
    anon_write_rate_limit: str = "30 per minute;300 per hour"
    user_write_rate_limit: str = "120 per minute;3000 per hour"
    inbox_rate_limit: str = "600 per minute"
    ratelimit_storage_uri: str = "memory://"
    ratelimit_enabled: bool = True
    redis_url: str = ""
    huey_redis_url: str = ""
    huey_immediate: bool = False
    allow_private_network_targets: bool = False
    outbound_timeout_seconds: float = 15.0
    delivery_lease_seconds: int = 180
    federation: bool = True
    # The first retry of a failed federation delivery; the later ones grow to days.
    federation_retry_seconds: float = 60.0
    media_max_bytes: int = 20 * 1024 * 1024
    video_max_bytes: int = 500 * 1024 * 1024
    # Where uploads are kept: "local" (files under MEDIA_DIR, `<instance>/media` when not
    # set) for one host, "s3" (any S3-compatible bucket) when several hosts serve the site.
    media_store: str = "local"
    media_dir: str = ""
    s3_endpoint_url: str = ""  # empty: AWS itself
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = field(default="", repr=False)
    s3_secret_access_key: str = field(default="", repr=False)
    # Imports (/me/import): the largest upload (its files together), and what its ZIPs
    # may expand to (entries and bytes), so a zip bomb is refused before it is inflated.
    import_max_bytes: int = 50 * 1024 * 1024
    import_max_files: int = 5000
    import_max_expanded_bytes: int = 200 * 1024 * 1024
    page_cache_mb: int = 32
    # How long a shared cache or browser may reuse an anonymous page without asking.
    page_max_age: int = 60
    # The instance's public reader, /read: the newest posts of every listed blog.
    public_reader: bool = True
    view_flush_seconds: float = 2.0
    # Outgoing email (password resets, newsletters), sent by the worker. No SMTP_HOST: mail
    # waits in its table, and the pages say email isn't configured.
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the TLS mode's usual port (25, 587 for starttls, 465 for tls)
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_tls: str = "off"  # off | starttls | tls
    mail_from: str = ""  # empty: noreply@ the site's host
    smtp_timeout_seconds: float = 30.0
    mail_lease_seconds: int = 120
    reset_link_rate_limit: str = "5 per 15 minutes;20 per day"
    sqlite_busy_timeout_ms: int = 5000
    session_cookie_secure: bool = False
    trusted_proxies: int = 0
    testing: bool = False
    # --- The instance's administration: the defaults of what an admin changes live on
    # /admin (services/instance.py); SITE_NAME, PUBLIC_READER, FEDERATION and
    # MAX_COLLECTIONS_PER_USER above are defaults of the same kind. ---
    site_description: str = ""
    registration: str = "open"  # open | invite | closed
    default_visibility: str = "public"  # of new blogs: public | unlisted | private
    user_invites: bool = False  # whether any user, not only admins, may make invite links

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides):
        """Settings from the environment (each field's variable is its name in capitals),
        then `overrides` by field name."""
        env = os.environ if environ is None else environ
        instance = Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
        values: dict = {
            "instance_path": str(instance),
            "database_url": _database_url(env.get("DATABASE_URL", ""), instance),
            "secret_key": env.get("SECRET_KEY") or _instance_secret_key(instance),
        }
        for setting in fields(cls):
            raw = env.get(setting.name.upper())
            if setting.name in values or raw is None or raw.strip() == "":
                continue
            values[setting.name] = _parsed(setting.name, setting.type, raw)
        values["site_url"] = values.get("site_url", "").rstrip("/")
        values.setdefault("media_dir", str(instance / "media"))
        if "ratelimit_storage_uri" not in values and values.get("redis_url"):
            values["ratelimit_storage_uri"] = values["redis_url"]
        return _checked_mail(
            _checked_robots(_checked_media(replace(cls(**values), **overrides)))
        )

    @property
    def queue_redis_url(self) -> str:
        return self.huey_redis_url or self.redis_url

    def flask_config(self) -> dict:
        """What Flask and its extensions read from `app.config`."""
        return {
            "TESTING": self.testing,
            "SECRET_KEY": self.secret_key,
            "SITE_NAME": self.site_name,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # A server connection can die between requests (a restart, a proxy's idle
            # timeout); pinging on checkout finds out first. A SQLite file can't.
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": not self.database_url.startswith("sqlite")
            },
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "WTF_CSRF_CHECK_DEFAULT": False,
        }


def current() -> Settings:
    """The settings of the app serving this request or running this task."""
    return current_app.extensions[EXTENSION]


_TRUE = {"1", "true", "yes", "on"}


def _parsed(name: str, kind, raw: str):
    raw = raw.strip()
    if kind in (bool, "bool"):
        return raw.lower() in _TRUE
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name.upper()} must be a number, got {raw!r}") from exc
    return raw


def _checked_media(settings: Settings) -> Settings:
    """A store that can't work is refused at start-up, not at the first upload."""
    if settings.media_store not in ("local", "s3"):
        raise RuntimeError(f"MEDIA_STORE must be local or s3, got {settings.media_store!r}")
    if settings.media_store == "s3" and not settings.s3_bucket:
        raise RuntimeError("MEDIA_STORE=s3 needs S3_BUCKET")
    if settings.media_store == "local" and not settings.media_dir:
        raise RuntimeError("MEDIA_STORE=local needs MEDIA_DIR")
    return settings


def _checked_robots(settings: Settings) -> Settings:
    """A robots.txt file that isn't there is refused at start-up, not served as a 500."""
    if settings.robots_txt and not Path(settings.robots_txt).is_file():
        raise RuntimeError(f"ROBOTS_TXT names no file: {settings.robots_txt!r}")
    return settings


SMTP_TLS_MODES = {"off": 25, "starttls": 587, "tls": 465}


def _checked_mail(settings: Settings) -> Settings:
    """A TLS mode we can't honour is refused at start-up, not at the first email."""
    if settings.smtp_tls not in SMTP_TLS_MODES:
        raise RuntimeError(f"SMTP_TLS must be off, starttls or tls, got {settings.smtp_tls!r}")
    return settings


def _database_url(url: str, instance: Path) -> str:
    url = url.strip()
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'writeas.db'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance: Path) -> str:
    """One generated key per install, so sessions survive restarts and every worker agrees."""
    key_file = instance / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL makes concurrent first starts (several gunicorn workers) agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
