"""The `Idempotency-Key` header on create endpoints (see `writeas.idempotency`)."""

import hashlib
from functools import wraps

from flask import request

from writeas.api.authentication import current_user
from writeas.services import idempotency


def _scope() -> str:
    """Keys belong to the account that sent them, or to the address of an anonymous one."""
    user = current_user()
    return f"user:{user.id}" if user is not None else f"anon:{request.remote_addr}"


def _request_content() -> bytes:
    """What the request says, for telling a replay from a different request. A multipart
    body's boundary is random per send, so uploads are compared by their fields and file
    contents instead of their raw bytes."""
    if request.mimetype != "multipart/form-data":
        return request.get_data(cache=True)
    # A part may come without a usable name (None): sort by text so that can't fail.
    parts = [f"{k}={v}" for k, v in sorted(request.form.items(multi=True), key=str)]
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: str(item[0])):
        # In chunks: a video upload can be hundreds of megabytes, spooled to disk.
        parts.append(f"{name}:{hashlib.file_digest(upload.stream, 'sha256').hexdigest()}")
        upload.stream.seek(0)
    return "\n".join(parts).encode()


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        print_ = idempotency.fingerprint(request.method, request.full_path, _request_content())
        claimed = idempotency.claim(_scope(), key, print_)
        if isinstance(claimed, idempotency.Replay):
            return (
                claimed.body,
                claimed.status,
                {
                    "Content-Type": "application/json",
                    "Idempotent-Replayed": "true",
                },
            )
        record_id = claimed.id
        try:
            response = view(*args, **kwargs)
        except Exception:
            # Nothing was created, so the key is freed and a retry runs afresh.
            idempotency.release(record_id)
            raise
        idempotency.complete(record_id, response.status_code, response.get_data(as_text=True))
        return response

    wrapper.idempotent = True  # the OpenAPI document lists the header and its statuses
    return wrapper
