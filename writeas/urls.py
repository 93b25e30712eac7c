"""Absolute links to our own pages, for API responses and feeds."""

from flask import current_app, has_request_context, request


def site_url() -> str:
    configured = current_app.config.get("SITE_URL")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return ""


def collection_url(alias: str) -> str:
    return f"{site_url()}/{alias}/"


def post_url(post_id: str) -> str:
    return f"{site_url()}/{post_id}"
