"""Absolute links to our pages, for what is read away from the site: feeds, sitemaps,
and a page's canonical and OpenGraph meta."""

from urllib.parse import urljoin, urlsplit

from flask import request, url_for

from writeas import settings


def _on_site_url(endpoint: str, values: dict) -> str | None:
    """SITE_URL (which includes any prefix the site is mounted under) and the path, when
    SITE_URL is set: every copy names the same address, whichever host was asked."""
    configured = settings.current().site_url
    if not configured:
        return None
    return configured + url_for(endpoint, **values)[len(request.script_root) :]


def absolute_url(endpoint: str, **values) -> str:
    """For documents read away from the site (feeds, sitemaps, robots.txt), which must be
    absolute: on SITE_URL, else on the address the request came to."""
    return _on_site_url(endpoint, values) or url_for(endpoint, _external=True, **values)


def page_url(endpoint: str, **values) -> str:
    """For a page's own meta (canonical, og:url): on SITE_URL, else only the path. A page
    is cached and sent to every visitor (by us, and by any proxy that keys its cache
    without the Host header), so the host a request names must never be written into it."""
    return _on_site_url(endpoint, values) or url_for(endpoint, **values)


def shared_image(page_url: str, source: str | None) -> str | None:
    """An image of a page as a share card names it (og:image): absolute, and only on the
    web (a `data:` address or any other scheme is no card; nor, without SITE_URL, our own
    images, whose address we then don't know)."""
    if not source:
        return None
    url = urljoin(page_url, source)
    return url if urlsplit(url).scheme in ("http", "https") else None
