"""URL converters for the pages."""

from werkzeug.routing import BaseConverter, ValidationError

from writeas.services.accounts import RESERVED_ALIASES


class AliasConverter(BaseConverter):
    """A blog alias. Reserved words are refused here so `/api/…` or `/me/…` never falls
    through to a blog route: Werkzeug then tries the other rules, and a wrong method under
    /api is a 405, not a missing blog."""

    def to_python(self, value: str) -> str:
        if value in RESERVED_ALIASES:
            raise ValidationError()
        return value
