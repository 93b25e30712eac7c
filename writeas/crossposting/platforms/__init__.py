"""The platforms we crosspost to, by the name used in the API (`mastodon`, `bluesky`, …).

Each adapter module registers itself on import; `load_all` imports every module in this
package, so adding a platform is adding a file.
"""

import importlib
import pkgutil

from writeas.crossposting.platforms.base import Platform

REGISTRY: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    REGISTRY[platform.name] = platform
    return platform


def load_all() -> dict[str, Platform]:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
