"""The `font` argument of the API and the appearance stored on a post."""

from writeas.core.enums import Appearance

# `serif` is the documented name; `norm` is what Write.as stores and returns for it.
_FONTS = {appearance.value: appearance for appearance in Appearance} | {"serif": Appearance.NORM}
DEFAULT = Appearance.NORM
MONOSPACE = frozenset({Appearance.WRAP, Appearance.MONO, Appearance.CODE})


def appearance_for(font: str | None) -> str | None:
    """The stored appearance for a `font` argument, or None when it names no appearance."""
    if not isinstance(font, str):
        return None
    return _FONTS.get(font.strip().lower())
