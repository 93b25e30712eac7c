"""Modules imported on first use, not when the module naming them is imported.

A web worker imports everything the app can reach, but most requests never touch FFmpeg,
Pillow or the S3 client, and those three alone add about 55 MB to every worker's memory.
Named through `lazy`, such a module costs nothing until an attribute of it is read (an
upload, a transcode, a signature), and then it is imported as usual, once per process.

Only for modules whose import is plain: the loader runs a module's code at its first
attribute, which breaks packages that reach into themselves while they load (boto3 does,
so the S3 store imports it inside the function that builds its client instead).
"""

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """The module `name`, whose code runs when one of its attributes is first read (the
    standard library's `LazyLoader`). Its parent packages are imported now: name a module
    whose parents are light."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
