"""Character diffs between text snapshots, bounded in time whatever the annotator typed.

difflib is quadratic in the part it has to search, and a snapshot may hold 50,000 characters, so:
the common prefix and suffix are cut first (consecutive snapshots usually differ in one place);
a small middle is diffed character by character; a large one word by word, and each changed
stretch that is small enough is refined character by character. autojunk stays off (in prose the
common characters and words are the ones it would discard) unless one token is so frequent that
the search would be quadratic.
"""

import difflib
import re
from collections import Counter
from os.path import commonprefix

# Character diff when len(before) * len(after) of the differing middle stays under this.
CHAR_DIFF_CELLS = 4_000_000
# Above this many (occurrences of the commonest token x tokens), the word diff turns autojunk on.
TOKEN_WORK_LIMIT = 50_000_000
_TOKEN = re.compile(r"\S+\s*|\s+")


def _opcodes(a, b, *, autojunk: bool = False):
    return difflib.SequenceMatcher(None, a, b, autojunk=autojunk).get_opcodes()


def _char_diff(a: str, b: str) -> list[tuple[str, str]]:
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            ops.append(("equal", a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            ops.append(("delete", a[i1:i2]))
        if tag in ("insert", "replace"):
            ops.append(("insert", b[j1:j2]))
    return ops


def _word_diff(a: str, b: str) -> list[tuple[str, str]]:
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    commonest = max(Counter(tb).values(), default=0)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in _opcodes(ta, tb, autojunk=commonest * len(ta) > TOKEN_WORK_LIMIT):
        left, right = "".join(ta[i1:i2]), "".join(tb[j1:j2])
        if tag == "equal":
            ops.append(("equal", left))
        elif tag == "replace" and len(left) * len(right) <= CHAR_DIFF_CELLS:
            ops.extend(_char_diff(left, right))
        else:
            if left:
                ops.append(("delete", left))
            if right:
                ops.append(("insert", right))
    return ops


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in equal|insert|delete, turning `before` into `after`: the equal and
    delete parts spell `before`, the equal and insert parts spell `after`."""
    limit = min(len(before), len(after))
    start = len(commonprefix([before, after]))
    end = len(commonprefix([before[start:][::-1], after[start:][::-1]])) if start < limit else 0
    a_mid, b_mid = before[start : len(before) - end], after[start : len(after) - end]
    ops: list[tuple[str, str]] = []
    if start:
        ops.append(("equal", before[:start]))
    if len(a_mid) * len(b_mid) <= CHAR_DIFF_CELLS:
        ops.extend(_char_diff(a_mid, b_mid))
    else:
        ops.extend(_word_diff(a_mid, b_mid))
    if end:
        ops.append(("equal", before[len(before) - end :]))
    return _merged(ops)


def _merged(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Adjacent parts of the same kind joined, empty parts dropped."""
    out: list[tuple[str, str]] = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def edit_distance(before: str, after: str) -> int:
    """Characters inserted plus characters deleted to turn one text into the other (indel distance,
    as found by the diff above: exact for small changes, an upper bound for sweeping rewrites)."""
    return sum(len(text) for op, text in text_diff(before, after) if op != "equal")
