"""The paste-creating workload, the same for us and for a peer: 200 lines of Python
(argparse's HelpFormatter, read from the standard library), about 7 KB, no language named,
and a body unique at each request (a counter goes into its first line), so no render is
reused. Each server gets the text in its own API's JSON shape."""

import argparse
import inspect
import json
from collections.abc import Callable
from pathlib import Path

MARK = "__N__"
SCRIPT = """
local prefix, suffix = %s, %s
local stamp = tostring(os.time())
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
                    prefix .. stamp .. "-" .. n .. suffix)
end
"""


def sample() -> str:
    return "".join(inspect.getsourcelines(argparse.HelpFormatter)[0][:200])


def ours(text: str) -> dict:
    return {"body": text, "font": "code"}


def script(tmp: str, name: str, shape: Callable[[str], dict] = ours) -> Path:
    """A wrk script POSTing `shape(paste)` as JSON, the paste's first line unique each time."""
    prefix, suffix = json.dumps(shape(f"# paste {MARK}\n" + sample())).split(MARK)
    path = Path(tmp) / f"{name}.lua"
    path.write_text(SCRIPT % (_lua_string(prefix), _lua_string(suffix)))
    return path


def _lua_string(text: str) -> str:
    """A long-bracket literal: no escapes inside, and JSON never holds `]==]`."""
    return "[==[" + text + "]==]"
