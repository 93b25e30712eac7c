"""Which language a code paste is in.

Pygments' own guesser only trusts shebangs and a few signatures, so ordinary Python or Go
comes out as something else. These cues cover the languages people paste most; each
language scores one point per cue found, and the best score of at least two wins.
"""

import re

_CUES: dict[str, list[str]] = {
    "python": [
        r"^\s*def \w+\(.*\)\s*(->.*)?:\s*$",
        r"^\s*(from \w[\w.]* )?import \w",
        r"\bself\b",
        r"^\s*class \w+(\(.*\))?:\s*$",
        r"\bprint\(",
        r"^\s*(elif|except|with) .*:\s*$",
        r"\bNone\b|\bTrue\b|\bFalse\b",
    ],
    "go": [
        r"^package \w+",
        r"\bfunc (\(\w+ \*?\w+\) )?\w+\(",
        r":= ",
        r"^import \(",
        r"\bfmt\.\w+\(",
    ],
    "rust": [
        r"\bfn \w+(<.*>)?\(",
        r"\blet mut\b",
        r"\bimpl\b",
        r"^use \w+(::\w+)+",
        r"\b(pub|mod|struct|enum) \w+",
        r"\w+!\(",
    ],
    "javascript": [
        r"\b(const|let|var) \w+ = ",
        r"=> ?\{?",
        r"\bfunction\s*\w*\(",
        r"\bconsole\.log\(",
        r"\bdocument\.|\bwindow\.",
        r"\brequire\(|^export ",
    ],
    "typescript": [r":\s*(string|number|boolean|void)\b", r"^interface \w+", r"\btype \w+ = "],
    "c": [r"^#include\s*[<\"]", r"\bint main\(", r"\bprintf\(", r"\bmalloc\(|\bsizeof\("],
    "java": [
        r"\bpublic (static )?(class|void)\b",
        r"\bSystem\.out\.",
        r"^import java\.",
        r"\bprivate \w+ \w+;",
    ],
    "php": [r"<\?php", r"\$\w+ = ", r"\becho\b"],
    "ruby": [r"^\s*def \w+[^:(]*$", r"^\s*end\s*$", r"\bputs\b", r"\brequire '"],
    "bash": [
        r"^#!.*\b(ba)?sh\b",
        r"^\s*(if|then|fi|do|done|esac)\b",
        r"\$\{?\w+\}?",
        r"^\s*(echo|export|cd|sudo|apt-get|curl) ",
    ],
    "sql": [
        r"(?i)\bselect\b.+\bfrom\b",
        r"(?i)\b(insert into|create table|update \w+ set)\b",
        r"(?i)\bwhere\b",
    ],
    "html": [r"<!doctype html>|<html\b", r"</(div|p|span|body|head)>", r"<(div|a|p) [\w-]+="],
    "css": [
        r"^\s*[.#]?[\w-]+(\s*[,>]\s*[.#]?[\w-]+)*\s*\{\s*$",
        r"^\s*[\w-]+:\s*[^;]+;\s*$",
        r"@media\b",
    ],
    "json": [r"^\s*[\[{]\s*$", r"^\s*\"[\w-]+\":\s", r"^\s*[\]}],?\s*$"],
    "yaml": [r"^\w[\w-]*:\s*$", r"^\s+- \w", r"^---\s*$"],
}
_COMPILED = {name: [re.compile(cue, re.M) for cue in cues] for name, cues in _CUES.items()}
_SAMPLE = 20_000


def guess_language(code: str) -> str | None:
    sample = code[:_SAMPLE]
    scores = {
        name: sum(1 for cue in cues if cue.search(sample)) for name, cues in _COMPILED.items()
    }
    name, score = max(scores.items(), key=lambda item: item[1])
    return name if score >= 2 else None
