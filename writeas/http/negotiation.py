"""Which answer a request's `Accept` asks for: ActivityPub's JSON-LD, or what the route
answers anyway (the Write.as JSON, or the page).

Media ranges are parsed, not compared as strings: `application/activity+json`, and
`application/ld+json` with the ActivityStreams profile, each with their `q`. ActivityPub
wins when one of its types is acceptable and no plain JSON or HTML type is preferred to
it, so a browser's `text/html,…,*/*;q=0.8` and an API client's `application/json` keep
the answers they get today.
"""

AP_VARY = "Accept"
# The routes that answer ActivityPub documents to an ActivityPub Accept.
NEGOTIATED = frozenset(
    {"api.collections.retrieve", "api.posts.retrieve", "blogs.home", "blogs.post"}
)
_PROFILE = "https://www.w3.org/ns/activitystreams"
_OTHERS = frozenset({"application/json", "text/html", "application/xhtml+xml", "text/plain"})


def _split(header: str, separator: str) -> list[str]:
    """Split outside double quotes (a profile parameter may hold commas or semicolons)."""
    parts, current, quoted = [], [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _ranges(header: str):
    for item in _split(header[:4096], ","):
        pieces = _split(item, ";")
        media = pieces[0].strip().lower()
        params = {}
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        yield media, params, quality


def wants_activitypub(accept: str | None) -> bool:
    if not accept or ("activity+json" not in accept and "ld+json" not in accept):
        return False  # the common case, decided without parsing
    ours = other = 0.0
    for media, params, quality in _ranges(accept):
        if media == "application/activity+json" or (
            media == "application/ld+json" and _PROFILE in params.get("profile", "").split()
        ):
            ours = max(ours, quality)
        elif media in _OTHERS:
            other = max(other, quality)
    return ours > 0 and ours >= other
