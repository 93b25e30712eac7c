"""The API's `Authorization` header, as every Write.as client sends it."""

from flask import request

_SCHEMES = {"token", "bearer"}


def bearer_token() -> str:
    """The token from `Token <t>`, `Bearer <t>`, or a bare `<t>` as older clients send."""
    parts = request.headers.get("Authorization", "").split(None, 1)
    if parts and parts[0].lower() in _SCHEMES:
        return parts[1].strip() if len(parts) > 1 else ""
    return parts[0] if parts else ""
