"""Typed reads of request arguments, shared by JSON and form bodies.

JSON gives real types; forms give strings. Both arrive here as a mapping, and each reader
answers the value, or None when the key is absent or null ("not given"), or raises a 400
naming the parameter. Unknown keys are ignored by never being read.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from writeas.core.errors import ServiceError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*$", re.I)


def require_mapping(data: Any, what: str = "Request body") -> Mapping:
    if not isinstance(data, Mapping):
        raise ServiceError(400, f"{what} must be an object.")
    return data


_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# Characters XML 1.0 can't carry (feeds would break) and no writer means to type: C0
# controls other than tab and line breaks, and the non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def whole_number(value: object) -> int | None:
    """A non-negative integer written in ASCII digits (`str.isdigit` also takes "²" and
    "١", which `int` then refuses or reads differently), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _encodable(value: str) -> bool:
    """JSON can smuggle lone surrogates (`"\\ud800"`) that no database will store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(data: Mapping, name: str, *, max_length: int | None = None) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ServiceError(400, f"Parameter `{name}` must be a string.")
    if _FORBIDDEN.search(value) or not _encodable(value):
        raise ServiceError(
            400, f"Parameter `{name}` must be valid UTF-8 text without control characters."
        )
    if max_length is not None and len(value) > max_length:
        raise ServiceError(400, f"Parameter `{name}` is longer than {max_length} characters.")
    return value


def required_text(data: Mapping, name: str, *, max_length: int | None = None) -> str:
    value = text(data, name, max_length=max_length)
    if value is None or value == "":
        raise ServiceError(400, f"Parameter `{name}` is required.")
    return value


def flag(data: Mapping, name: str) -> bool | None:
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ServiceError(400, f"Parameter `{name}` must be a boolean.")


def language(data: Mapping, name: str = "lang") -> str | None:
    """An ISO 639 code, optionally with a region (`en`, `pt-BR`); "" clears it."""
    value = text(data, name, max_length=16)
    if value is None:
        return None
    value = value.strip()
    if value and not _LANGUAGE.match(value):
        raise ServiceError(400, f"Parameter `{name}` must be an ISO 639-1 language code.")
    return value


def timestamp(data: Mapping, name: str) -> datetime | None:
    """An RFC 3339 time (`2016-07-09T01:43:46Z`, any offset), as naive UTC to the second."""
    value = text(data, name, max_length=64)
    if value is None or value.strip() == "":
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise ServiceError(400, f"Parameter `{name}` must be an RFC 3339 timestamp.") from None
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        raise ServiceError(400, f"Parameter `{name}` is out of range.") from None
    if not 1970 <= moment.year <= 9998:
        raise ServiceError(400, f"Parameter `{name}` is out of range.")
    return moment.replace(microsecond=0)
