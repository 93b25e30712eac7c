"""The content types the site answers with."""

JSON = "application/json"
HTML = "text/html; charset=utf-8"
# A post's raw body, by the extension its URL asks for.
RAW_TYPES = {"txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8"}
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
