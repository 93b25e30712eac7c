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
import socket
from urllib.parse import urlsplit

import httpcore
import httpx

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


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
        if not self._allow_private:
            refused = [a for a in addresses if not is_public(a)]
            if refused or not addresses:
                raise RefusedTarget(f"{host} resolves to a non-public address ({refused[0]})")
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
    """A user-supplied server address: http(s), a host, no credentials or fragments."""
    parts = urlsplit(url.strip())
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.fragment:
        raise ValueError("must be an https:// URL of a server")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
