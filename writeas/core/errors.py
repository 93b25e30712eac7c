"""The one exception the service layer raises; the API and the pages each turn it into
their own kind of response in a single place."""


class ServiceError(Exception):
    """`retry_after` (seconds) goes with a 429, as its `Retry-After`. `code` is a stable,
    machine-readable name for the error (seed 002's `error_code`, such as
    `idempotency_conflict`), for the few errors a client is expected to tell apart."""

    def __init__(
        self, status: int, message: str, *, retry_after: int | None = None, code: str = ""
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.code = code
