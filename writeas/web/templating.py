"""Template helpers shared by every page."""

from datetime import UTC, datetime
from email.utils import format_datetime

from markupsafe import Markup

from writeas.core.clock import rfc3339, utcnow
from writeas.services import instance
from writeas.web.links import absolute_url


def css_text(style_sheet: str) -> Markup:
    """A blog's own CSS, made unable to end its `<style>` element: CSS reads `\\3c ` as `<`
    inside strings and selectors, while the HTML parser never sees a `</style`."""
    return Markup(style_sheet.replace("<", "\\3c ").replace(">", "\\3e "))  # noqa: S704


def rfc822(moment: datetime) -> str:
    """RSS's dates (RFC 822, as RFC 2822 writes them) of our naive UTC times."""
    return format_datetime(moment.replace(tzinfo=UTC), usegmt=True)


def register(app) -> None:
    app.add_template_filter(rfc3339, "rfc3339")
    app.add_template_filter(rfc822, "rfc822")
    app.add_template_filter(css_text, "css_text")
    app.add_template_global(utcnow, "now")
    app.add_template_global(absolute_url, "absolute_url")
    app.context_processor(_site)


def _site() -> dict:
    """The site's name as the admin last set it (`instance`), read once per request."""
    return {"site_name": instance.current().site_name}
