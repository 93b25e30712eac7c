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
