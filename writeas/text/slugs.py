"""URL slugs for blog posts and generated blog aliases.

Non-Latin text is transliterated (anyascii: "Привет мир" → "privet-mir", "東京" →
"dongjing") instead of dropped, so a post written in any script still gets a readable URL.
"""

import re

from anyascii import anyascii

SLUG_MAX = 80
SLUG_WORDS = 6
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# Paths under a blog that its pages route themselves (/{alias}/feed/, /{alias}/page/2 …).
RESERVED_SLUGS = frozenset({"feed", "page", "tag", "tags", "edit", "sitemap", "archive"})


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    slug = _NOT_SLUG.sub("-", anyascii(text).lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length]
        if "-" in slug[max_length // 2 :]:
            slug = slug[: slug.rindex("-")]
        slug = slug.strip("-")
    return slug


def slug_source(title: str, body_title: str) -> str:
    """The title when there is one, else the first few words of the body's first line."""
    if title.strip():
        return title
    return " ".join(body_title.split()[:SLUG_WORDS])


def unique(base: str, taken) -> str:
    """`base`, or `base-2`, `base-3`… — the first that `taken(candidate)` says is free."""
    candidate = base
    number = 1
    while candidate in RESERVED_SLUGS or taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate
