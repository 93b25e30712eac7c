"""Absolute links to our pages, for what is read away from the site: feeds, sitemaps,
and a page's canonical and OpenGraph meta."""

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
