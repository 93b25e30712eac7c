"""A list of posts as a feed, Atom or RSS 2.0, from one description of the feed: a
blog's and the reader's feeds differ only in what they describe and list."""

from dataclasses import dataclass
from datetime import datetime

from flask import make_response, render_template

from writeas.http.content_types import ATOM, RSS

FORMATS = {"atom": ("feeds/atom.xml", ATOM), "rss": ("feeds/rss.xml", RSS)}


@dataclass(frozen=True)
class Feed:
    title: str
    description: str
    home: str  # the page the feed follows
    self: str  # the feed's own address
    updated: datetime
    # The one author of every entry (a blog's feed); empty: each entry names its blog.
    author: str = ""


def rendered(kind: str, feed: Feed, entries: list) -> str:
    """`entries` are posts with their blog loaded, newest first."""
    return render_template(FORMATS[kind][0], feed=feed, entries=entries)


def respond(kind: str, feed: Feed, entries: list):
    response = make_response(rendered(kind, feed, entries))
    response.headers["Content-Type"] = FORMATS[kind][1]
    return response
