"""The one exception the service layer raises; the API and the pages each turn it into
their own kind of response in a single place."""


class ServiceError(Exception):
    """`retry_after` (seconds) goes with a 429, as its `Retry-After`."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
