"""The `font` argument of the API and the appearance stored on a post."""

# `serif` is the documented name; `norm` is what Write.as stores and returns for it.
_FONTS = {
    "sans": "sans",
    "serif": "norm",
    "norm": "norm",
    "wrap": "wrap",
    "mono": "mono",
    "code": "code",
}
DEFAULT = "norm"
MONOSPACE = frozenset({"wrap", "mono", "code"})


def appearance_for(font: str | None) -> str | None:
    """The stored appearance for a `font` argument, or None when it names no appearance."""
    if not isinstance(font, str):
        return None
    return _FONTS.get(font.strip().lower())
