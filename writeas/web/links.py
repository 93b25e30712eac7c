"""Absolute links to our pages, for what is read away from the site: feeds, sitemaps,
and a page's canonical and OpenGraph meta."""

from urllib.parse import urljoin, urlsplit

from flask import request, url_for

from writeas import settings


def absolute_url(endpoint: str, **values) -> str:
    """SITE_URL (which includes any prefix the site is mounted under) and the path when
    SITE_URL is set, so every copy of a page names the same address; else the address the
    request came to. A page keeps its host in its cache key then (`pagecache.link_root`)."""
    configured = settings.current().site_url
    if not configured:
        return url_for(endpoint, _external=True, **values)
    return configured + url_for(endpoint, **values)[len(request.script_root) :]


def shared_image(page_url: str, source: str | None) -> str | None:
    """An image of a page as a share card names it (og:image): absolute, and only on the
    web (a `data:` address or any other scheme is no card)."""
    if not source:
        return None
    url = urljoin(page_url, source)
    return url if urlsplit(url).scheme in ("http", "https") else None
