"""A file streamed to the client as its generator makes it (an export can be far larger
than memory should hold), named for saving, and never kept by a cache."""

from collections.abc import Iterator

from flask import Response, stream_with_context


def attachment(chunks: Iterator[bytes], filename: str, content_type: str) -> Response:
    response = Response(stream_with_context(chunks), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
