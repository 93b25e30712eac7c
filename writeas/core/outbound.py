"""Every HTTP request we make to another server goes through here.

A channel's `base_url` is chosen by the user, so without a guard it could point our server
at its own loopback, the private network or a cloud metadata address (SSRF). The guard sits
in the connection layer: the host name is resolved once, every address is checked, and the
socket connects to the checked address — so a DNS answer that changes between check and
connect (rebinding) can't slip through. TLS still verifies the original host name.
`ALLOW_PRIVATE_NETWORK_TARGETS=true` lifts the guard (tests run their platforms on
loopback). Every call has a timeout; proxies from the environment are ignored, since they
would bypass the check.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import httpcore
import httpx

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# Letters (of any script), digits, dots and hyphens, or an IPv6 literal's hex and colons.
_HOST = re.compile(r"[\w.-]+|[0-9a-f:.]+")


class RefusedTarget(httpx.TransportError):
    """The destination is not on the public internet."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool):
        self._allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        addresses = [info[4][0] for info in infos]
        if not self._allow_private and (not addresses or not all(map(is_public, addresses))):
            # What an internal name resolves to is nobody's business outside.
            raise RefusedTarget(f"{host} is not a public internet address")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def client(allow_private: bool, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.Client:
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx exposes no hook for the network layer, so its pool is rebuilt around ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=20,
        network_backend=_GuardedBackend(allow_private),
    )
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        trust_env=False,
        follow_redirects=False,
        headers={"User-Agent": "writeas-py crossposter"},
    )


def check_base_url(url: str, allow_private: bool) -> str:
    """A user-supplied server address: http(s), a host, no credentials or fragments, and
    one the HTTP client itself can parse (it refuses `0177.0.0.1`, a port past 65535…)."""
    parts = urlsplit(url.strip())
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.fragment:
        raise ValueError("must be an https:// URL of a server")
    if not _HOST.fullmatch(parts.hostname):
        raise ValueError("must be an https:// URL of a server")
    address = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    try:
        _port = parts.port
        httpx.URL(address)
    except (ValueError, httpx.InvalidURL):
        raise ValueError("must be an https:// URL of a server") from None
    return address
