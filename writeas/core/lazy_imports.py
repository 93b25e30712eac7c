"""Modules imported on first use, not when the module naming them is imported.

A web worker imports everything the app can reach, but most requests never touch FFmpeg,
Pillow or the S3 client, and those three alone add about 55 MB to every worker's memory.
Named through `lazy`, such a module costs nothing until an attribute of it is read (an
upload, a transcode, a signature), and then it is imported as usual, once per process.

Not the standard library's `LazyLoader`: on Python 3.11 it is not thread-safe (a second
thread reading an attribute while the first runs the module's code finds it half-built,
which broke the huey consumer's threads), and it breaks packages that reach into
themselves while they load, as boto3 does. The stand-in here imports through the normal,
locked import system, so every thread sees the module whole.
"""

import importlib
import sys
from contextlib import contextmanager
from types import ModuleType


class _Lazy(ModuleType):
    """Stands for a module until one of its attributes is read; then imports it and takes
    its attributes, so later reads cost what a module's do."""

    def __getattr__(self, attribute: str):
        module = importlib.import_module(self.__name__)  # waits for another thread's import
        self.__dict__.update(
            {key: value for key, value in vars(module).items() if key not in _OWN}
        )
        return getattr(module, attribute)


_OWN = frozenset(vars(ModuleType("_")))  # __name__, __doc__, __spec__, …: the stand-in's


def lazy(name: str) -> ModuleType:
    """The module `name`, imported when one of its attributes is first read."""
    return _Lazy(name)


@contextmanager
def hidden(names: list[str]):
    """Within, importing any of `names` that isn't imported yet fails as if it weren't
    installed. It's for a library that tries its optional backends when it is imported:
    huey's storage module imports Redis's client and psycopg, 16 MB in a worker whose
    queue uses neither. A `None` in `sys.modules` is Python's own way to say a module
    can't be imported; the entries go again on the way out, so a later import works."""
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
