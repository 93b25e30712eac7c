"""Absolute links to our own pages, for API responses and feeds."""

from flask import has_request_context, request

from writeas import settings


def is_api(path: str) -> bool:
    """Whether a request path is the JSON API's (which never uses the session cookie)."""
    return path == "/api" or path.startswith("/api/")


def is_federation(path: str) -> bool:
    """ActivityPub's own routes and the discovery documents: JSON answers, no session."""
    return path.startswith(("/ap/", "/.well-known/", "/nodeinfo/"))


def site_url(fallback: str = "") -> str:
    """SITE_URL when configured; else the address the current request came to; else
    `fallback` (what a background job recorded from the request that started it)."""
    configured = settings.current().site_url
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return fallback


def collection_url(alias: str, base: str = "") -> str:
    return f"{site_url(base)}/{alias}/"


def post_url(post_id: str, base: str = "") -> str:
    return f"{site_url(base)}/{post_id}"
