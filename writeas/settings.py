"""Settings read from the environment, so one build runs anywhere without edits."""

import os
import secrets
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _secret_key(instance_path: Path) -> str:
    """Keep one generated key per install so sessions survive restarts and every worker agrees."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL makes concurrent first starts (several gunicorn workers) agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'writeas.db'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(instance_path: str) -> dict:
    path = Path(instance_path)
    database_url = _database_url(path)
    return {
        "SECRET_KEY": _secret_key(path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server connection can die between requests (a restart, a proxy's idle timeout);
        # pinging on checkout finds out first. A SQLite file can't go away like that.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        "SITE_NAME": os.environ.get("SITE_NAME", "Write.as-compatible"),
        "SITE_URL": os.environ.get("SITE_URL", "").rstrip("/"),
        "MAX_COLLECTIONS_PER_USER": _int("MAX_COLLECTIONS_PER_USER", 20),
        "POSTS_PER_PAGE": _int("POSTS_PER_PAGE", 10),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "RENDER_RATE_LIMIT": os.environ.get("RENDER_RATE_LIMIT", "30 per minute"),
        "MEDIA_UPLOAD_RATE_LIMIT": os.environ.get("MEDIA_UPLOAD_RATE_LIMIT", "60 per hour"),
        "ANON_WRITE_RATE_LIMIT": os.environ.get(
            "ANON_WRITE_RATE_LIMIT", "30 per minute;300 per hour"
        ),
        "USER_WRITE_RATE_LIMIT": os.environ.get(
            "USER_WRITE_RATE_LIMIT", "120 per minute;3000 per hour"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "memory://",
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        "ALLOW_PRIVATE_NETWORK_TARGETS": _bool(os.environ.get("ALLOW_PRIVATE_NETWORK_TARGETS")),
        "OUTBOUND_TIMEOUT_SECONDS": float(os.environ.get("OUTBOUND_TIMEOUT_SECONDS") or 15),
        "DELIVERY_LEASE_SECONDS": _int("DELIVERY_LEASE_SECONDS", 180),
        "MEDIA_MAX_BYTES": _int("MEDIA_MAX_BYTES", 20 * 1024 * 1024),
        "PAGE_CACHE_MB": _int("PAGE_CACHE_MB", 32),
        "VIEW_FLUSH_SECONDS": float(os.environ.get("VIEW_FLUSH_SECONDS", "2") or 2),
        "SQLITE_BUSY_TIMEOUT_MS": _int("SQLITE_BUSY_TIMEOUT_MS", 5000),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), False),
    }
