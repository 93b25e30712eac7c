"""`core.lazy_imports`: a module named lazily is imported by its first attribute read, and
threads that race to that first read all see the module whole (the huey consumer's threads
do; the standard library's LazyLoader gave the losers a half-built module on Python 3.11),
and the platform registry, loaded on first use too, is never handed out half-filled."""

import subprocess
import sys
import threading

from writeas.core.lazy_imports import lazy

SLOW_MODULE = """
import pathlib, time
(pathlib.Path(__file__).parent / "ran").touch()
time.sleep(0.3)  # long enough that every thread arrives while this runs
VALUE = 42
def double(x):
    return 2 * x
"""


def test_racing_threads_all_see_the_whole_module(tmp_path, monkeypatch):
    (tmp_path / "slow_to_import.py").write_text(SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)
    module = lazy("slow_to_import")
    assert not (tmp_path / "ran").exists()  # its code has not run yet

    start, seen, errors = threading.Barrier(8), [], []

    def first_use():
        start.wait()
        try:
            seen.append((module.VALUE, module.double(2)))
        except Exception as error:  # noqa: BLE001 - what a half-built module raises
            errors.append(repr(error))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == [(42, 4)] * 8
    assert sys.modules["slow_to_import"].VALUE == 42
    monkeypatch.delitem(sys.modules, "slow_to_import")


def test_racing_threads_all_get_every_platform():
    """In a fresh interpreter, as in a consumer's first crossposts: every thread that asks
    for the registry while the adapters load gets all thirteen of them."""
    code = """
import threading, time
from writeas.crossposting.platforms import registry
start, sizes = threading.Barrier(8), []
def ask(n):
    start.wait()
    time.sleep(n * 0.01)  # arriving one by one while the first thread imports
    sizes.append(len(registry()))
threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(sorted(sizes))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert run.stdout.strip() == str([13] * 8)
