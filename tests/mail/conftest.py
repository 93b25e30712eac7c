"""The mail tests' real SMTP server (aiosmtpd on loopback), which keeps what it receives."""

import pytest
from smtp import SmtpServer


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server
