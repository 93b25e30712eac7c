r"""Where a form may send the browser next: only a path on this site.

The check must see the target as a browser will. Browsers drop tabs and line breaks
anywhere in a URL and spaces at its ends, and read `\` as `/`: so `/\t/evil.com` is
`//evil.com`, another site. No path of ours holds a control character, so a target with
one is refused outright; spaces at its ends are dropped; then only a plain path (no
scheme, no host) under `within` is accepted.
"""

from urllib.parse import urlsplit


def local_path(target: object, default: str, within: str = "/") -> str:
    """`target` when it is a path under `within` on this site, else `default`."""
    if not isinstance(target, str) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    path = target.strip(" ")
    if not path.startswith(within) or path.startswith("//") or "\\" in path:
        return default
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return default
    return path
