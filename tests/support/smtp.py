"""SMTP servers on loopback for the mail tests: a real one (aiosmtpd) that keeps what it
receives and can turn recipients away with a temporary 451 a number of times, and a
broken one that takes the whole message and hangs up without answering — the case where
nobody can know whether the mail went out."""

import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Handler:
    received: list = field(default_factory=list)
    refuse_recipients: int = 0  # how many RCPTs get a 451 first
    unknown: set = field(default_factory=set)  # addresses answered 550
    refuse_messages: int = 0  # how many whole messages get a 452 after their DATA

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        if self.refuse_recipients > 0:
            self.refuse_recipients -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_messages > 0:
            self.refuse_messages -= 1
            return "452 4.3.1 Insufficient system storage"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(parsed)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self.handler = Handler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def received(self) -> list:
        return self.handler.received

    def settings(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port)}


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path_prefix: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path_prefix)}\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


class HangUpAfterData:
    """Speaks SMTP up to the end of the message, then closes the connection unanswered."""

    def __init__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.messages = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._socket.close()

    def settings(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port)}

    def _serve(self):
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection, connection.makefile("rwb") as stream:
                self._talk(stream)

    def _talk(self, stream):
        stream.write(b"220 broken ESMTP\r\n")
        stream.flush()
        for line in stream:
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                stream.write(b"250 broken\r\n")
            elif command == b"DATA":
                stream.write(b"354 go ahead\r\n")
                stream.flush()
                for body_line in stream:
                    if body_line == b".\r\n":
                        self.messages += 1
                        return  # hang up where the answer should be
            else:
                stream.write(b"250 OK\r\n")
            stream.flush()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
