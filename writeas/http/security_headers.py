"""Headers that make the browser refuse what our pages never need."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https: data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)
_NAMES = frozenset(name.lower() for name, _value in HEADERS)


def add_security_headers(response):
    """Added to every response with a body unless a view chose its own (one pass over the
    headers instead of one per name: this runs on every request). A 304 has no body for
    them to guard, and RFC 9110 §15.4.5 asks it to carry only what updates the cached
    answer, which keeps the headers its 200 came with."""
    if response.status_code == 304:
        return response
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()} & _NAMES
    for name, value in HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    return response
