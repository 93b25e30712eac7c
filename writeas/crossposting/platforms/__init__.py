"""The platforms we crosspost to, by the name used in the API (`mastodon`, `bluesky`, …).

Each adapter module registers itself on import; `registry()` imports every module in this
package the first time it is asked, so adding a platform is adding a file, and a web worker
that never sees a crosspost never loads the thirteen adapters.
"""

import functools
import importlib
import pkgutil

from writeas.crossposting.platforms.base import Platform

REGISTRY: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    REGISTRY[platform.name] = platform
    return platform


@functools.cache
def registry() -> dict[str, Platform]:
    """Every platform by name, the adapters imported by the first call. Threads that race
    to that call each run the loop, and each import waits for the module to finish, so
    none gets a registry still filling (as a check for an empty one would give)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
