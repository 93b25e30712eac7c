"""Template helpers shared by every page."""

from markupsafe import Markup

from writeas.core.clock import utcnow


def css_text(style_sheet: str) -> Markup:
    """A blog's own CSS, made unable to end its `<style>` element: CSS reads `\\3c ` as `<`
    inside strings and selectors, while the HTML parser never sees a `</style`."""
    return Markup(style_sheet.replace("<", "\\3c ").replace(">", "\\3e "))  # noqa: S704


def register(app) -> None:
    app.add_template_filter(css_text, "css_text")
    app.add_template_global(utcnow, "now")
