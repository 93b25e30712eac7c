"""Which language a code paste is in.

Pygments' own guesser only trusts shebangs and a few signatures, so ordinary Python or Go
comes out as something else; it also runs every lexer's heuristics, some of which take
time quadratic in blank lines. These cues cover the languages people paste most; each
language scores its cues' weights (one, or two for a signature that decides alone), and the
best score of at least two wins.

The cues are one RE2 set (google-re2), matched in a single pass over the sample: RE2 runs
in time linear in the text whatever a pattern says, so no paste, and no cue added later,
can make the guess backtrack. Cues are line-oriented: `[ \\t]` where a newline must not
match.
"""

import re2

_CUES: dict[str, list[str | tuple[str, int]]] = {
    "python": [
        r"^[ \t]*def \w+\(.*\)[ \t]*(->.*)?:[ \t]*$",
        r"^[ \t]*(from \w[\w.]* )?import \w",
        r"\bself\b",
        r"^[ \t]*class \w+(\(.*\))?:[ \t]*$",
        r"\bprint\(",
        r"^[ \t]*(elif|except|with) .*:[ \t]*$",
        r"\bNone\b|\bTrue\b|\bFalse\b",
        (r"\A#!.*\bpython", 2),
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
        r"\bfunction[ \t]*\w*\(",
        r"\bconsole\.log\(",
        r"\bdocument\.|\bwindow\.",
        r"\brequire\(|^export ",
        (r"\A#!.*\bnode\b", 2),
    ],
    "typescript": [r":[ \t]*(string|number|boolean|void)\b", r"^interface \w+", r"\btype \w+ = "],
    "c": [r"^#include[ \t]*[<\"]", r"\bint main\(", r"\bprintf\(", r"\bmalloc\(|\bsizeof\("],
    "java": [
        r"\bpublic (static )?(class|void)\b",
        r"\bSystem\.out\.",
        r"^import java\.",
        r"\bprivate \w+ \w+;",
    ],
    "php": [r"<\?php", r"\$\w+ = ", r"\becho\b"],
    "ruby": [
        r"^[ \t]*def \w+[^:(\n]*$",
        r"^[ \t]*end[ \t]*$",
        r"\bputs\b",
        r"\brequire '",
        (r"\A#!.*\bruby\b", 2),
    ],
    "perl": [(r"\A#!.*\bperl\b", 2), r"^use strict;", r"\bmy [$@%]\w+"],
    "bash": [
        (r"\A#!.*\b(ba|z|da)?sh\b", 2),
        r"^[ \t]*(if|then|fi|do|done|esac)\b",
        r"\$\{?\w+\}?",
        r"^[ \t]*(echo|export|cd|sudo|apt-get|curl) ",
    ],
    "sql": [
        r"(?i)\bselect\b.+\bfrom\b",
        r"(?i)\b(insert into|create table|update \w+ set)\b",
        r"(?i)\bwhere\b",
    ],
    "html": [r"(?i)<!doctype html>|<html\b", r"</(div|p|span|body|head)>", r"<(div|a|p) [\w-]+="],
    "xml": [(r"\A<\?xml ", 2)],
    "css": [
        r"^[ \t]*[.#]?[\w-]+([ \t]*[,>][ \t]*[.#]?[\w-]+)*[ \t]*\{[ \t]*$",
        r"^[ \t]*[\w-]+:[ \t]*[^;\n]+;[ \t]*$",
        r"@media\b",
    ],
    "json": [r"^[ \t]*[\[{][ \t]*$", r"^[ \t]*\"[\w-]+\":[ \t]", r"^[ \t]*[\]}],?[ \t]*$"],
    "yaml": [r"^\w[\w-]*:[ \t]*$", r"^[ \t]+- \w", r"^---[ \t]*$"],
    "diff": [(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", 2), r"^diff --git ", r"^\+\+\+ "],
    "pytb": [(r"^Traceback \(most recent call last\):", 2)],
}
SAMPLE = 20_000


def _compile() -> tuple[re2.Set, list[tuple[str, int]]]:
    options = re2.Options()
    options.max_mem = 64 << 20  # the DFA for every cue at once, with room to spare
    cues = re2.Set.SearchSet(options)
    owners = []
    for language, entries in _CUES.items():
        for entry in entries:
            pattern, weight = entry if isinstance(entry, tuple) else (entry, 1)
            cues.Add("(?m)" + pattern)
            owners.append((language, weight))
    cues.Compile()
    return cues, owners


_SET, _OWNERS = _compile()


def guess_language(code: str) -> str | None:
    """A Pygments lexer name, or None when no language scores two."""
    scores = dict.fromkeys(_CUES, 0)  # a tie goes to the language listed first
    for index in _SET.Match(code[:SAMPLE]) or ():
        language, weight = _OWNERS[index]
        scores[language] += weight
    name, score = max(scores.items(), key=lambda item: item[1])
    return name if score >= 2 else None
