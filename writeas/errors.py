"""The one exception the service layer raises; the API and the pages each turn it into
their own kind of response in a single place."""


class ServiceError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
