"""Test harness for federation: real fediverse servers from PyPI (fediverse-pasture,
bovine-herd) run as loopback peers our server federates with. See `peers`."""

from .peers import Bovine, Pasture, Peer, PeerError, PeerTimeout

__all__ = ["Bovine", "Pasture", "Peer", "PeerError", "PeerTimeout"]
