"""Where a streamed answer may be cut, and what of a turn is left to say. Pure.

Streaming releases text only at sentence and block ends (never inside a code fence or a table);
a display may glue a reply's text blocks together, which :func:`unglue` undoes where it can;
:func:`unsaid` matches streamed text to a turn's blocks by their letters.
"""

from __future__ import annotations

import re

_FENCE = ("```", "~~~")


_SENTENCE_END = re.compile(r"[.!?。！？][\"')\]*_`]*(?=\s)")
_ENDS_SENTENCE = re.compile(r"[.!?。！？:：][\"')\]*_`]*\s*$")
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|\||```|~~~|$)")


def safe_cut(text: str) -> int:
    """Length of the longest prefix that can be spoken on its own: it ends at a sentence end
    or at the end of a block (a paragraph, a heading, a list item, a closed code fence, a
    table), leaves no code fence open and never cuts a table. Deltas only ever add text, so a
    sentence end followed by a space is final even in a line still being written; a line that
    stops without one (a hard-wrapped sentence) waits for the rest."""
    cut = 0
    pos = 0
    in_fence = in_table = False
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        stripped = line.strip()
        complete = line.endswith("\n")
        if in_fence:
            if stripped.startswith(_FENCE) and complete:
                in_fence, cut = False, pos  # the code block is whole
            continue
        if _BLOCK_START.match(line) and not (in_table and stripped.startswith("|")):
            cut = start  # what came before is a finished block
        if stripped.startswith(_FENCE):
            in_fence = complete
            continue
        in_table = stripped.startswith("|")
        if in_table:
            continue
        for match in _SENTENCE_END.finditer(line):
            cut = start + match.end()
        if complete and (not stripped or stripped.startswith("#") or _ENDS_SENTENCE.search(line)):
            cut = pos
    return cut


def unsaid(blocks: list[str], said: int) -> list[str]:
    """``blocks`` less their first ``said`` letters (whitespace does not count: a display and
    the transcript may wrap and end the same text differently)."""
    rest = []
    for block in blocks:
        size = letters(block)
        if said >= size:
            said -= size
            continue
        if said == 0:
            rest.append(block)
            continue
        seen = 0
        for i, ch in enumerate(block):
            if not ch.isspace():
                seen += 1
            if seen == said:
                rest.append(block[i + 1 :].lstrip())
                break
        said = 0
    return rest


def letters(text: str) -> int:
    """How many non-space characters ``text`` has (what :func:`unsaid` counts)."""
    return sum(1 for ch in text if not ch.isspace())


_GLUED = re.compile(r"(?<=[a-z0-9)\]][.!?])(?=[A-Z])|(?<=[。！？])(?=[^\s。！？」』）])")


def unglue(text: str) -> str:
    """A paragraph break where a display glued two text blocks together ("...files.You can"):
    a sentence end followed at once by the next sentence. Only for display text, whose block
    boundaries are otherwise lost; the transcript's are used when it has them."""
    return _GLUED.sub("\n\n", text)
