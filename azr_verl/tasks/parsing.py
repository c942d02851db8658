"""Reading answers out of model responses: `<think>`/`<answer>` sections and fenced blocks.

Every function here takes any string and never raises; a response it cannot read gives a
`FormatError` with the reason. The rules, in order:

1. The answer section is the text after the last `<answer>` (tags case-insensitive) that follows
   the last `</think>`; a missing `</answer>` runs to the end. No `<answer>` is a format error
   (base-model prompts end with `<think>`, so the opening `<think>` is never required).
2. Fenced blocks are scanned line by line (linear time on any input). The info word is matched
   case-insensitively with aliases (`py`, `python3` -> `python`; `inputs` -> `input`, ...); an
   unknown info word (`json`, `text`) makes the block untagged. A
   block without a closing fence runs to the end; a new opening fence closes an open block; a
   fence at the end of a code line closes it; a one-line block (```` ```output 3``` ````) works.
3. When several blocks carry the wanted tag, the last one counts (models revise). With none, the
   last untagged block counts; with no fence at all, the whole answer section does.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from azr_verl.tasks.limits import ENTRY_FUNCTION
from azr_verl.tasks.literals import parse_quietly

__all__ = [
    "FencedBlock",
    "FormatError",
    "answer_section",
    "extract_block",
    "extract_blocks",
    "fenced_blocks",
    "strip_entry_call",
]

_FENCE = "```"
_INFO_WORD = re.compile(r"[A-Za-z][\w+.#-]*")
_TAG_ALIASES = {
    "python": "python",
    "python3": "python",
    "py": "python",
    "py3": "python",
    "input": "input",
    "inputs": "input",
    "output": "output",
    "outputs": "output",
    "message": "message",
    "msg": "message",
    "error": "error",
}


@dataclass(frozen=True)
class FormatError:
    """A response from which no well-formed answer could be read."""

    reason: str


@dataclass(frozen=True)
class FencedBlock:
    """One fenced block: its normalized tag ("" when untagged or unknown) and its text."""

    tag: str
    body: str


def answer_section(response: object) -> str | FormatError:
    """The text inside the final `<answer>` section of `response` (rule 1 of the module doc)."""
    if not isinstance(response, str):
        return FormatError(f"response is {type(response).__name__}, not text")
    text = response.replace("\r\n", "\n")
    lowered = text.lower()
    think_end = lowered.rfind("</think>")
    if think_end >= 0:
        text, lowered = text[think_end + len("</think>") :], lowered[think_end + len("</think>") :]
    start = lowered.rfind("<answer>")
    if start < 0:
        return FormatError("no <answer> section after the reasoning")
    body = text[start + len("<answer>") :]
    end = body.lower().find("</answer>")
    return body if end < 0 else body[:end]


def _opening(stripped: str) -> tuple[str, str | None, bool]:
    """Split an opening fence line into (tag, text on the same line or None, block closed here).

    On an opening line of its own, a single unknown word is an info string (```` ```json ````,
    ```` ```text ````): the block counts as untagged and the word is not content. In a one-line
    block (```` ```True``` ````) the same word is the content.
    """
    rest = stripped[len(_FENCE) :].strip()
    closed = len(rest) >= len(_FENCE) and rest.endswith(_FENCE)
    if closed:
        rest = rest[: -len(_FENCE)].strip()
    word, _, remainder = rest.partition(" ")
    tag = _TAG_ALIASES.get(word.lower().rstrip(":"))
    if tag is not None:
        return tag, (remainder.strip() or None), closed
    if not closed and _INFO_WORD.fullmatch(rest):
        return "", None, closed
    return "", (rest or None), closed


def fenced_blocks(text: str) -> list[FencedBlock]:
    """All fenced blocks of `text`, in order (rule 2 of the module doc)."""
    if not isinstance(text, str):
        return []
    blocks: list[FencedBlock] = []
    tag: str | None = None
    lines: list[str] = []

    def close() -> None:
        blocks.append(FencedBlock(tag or "", _clean_body(lines)))

    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if tag is not None and stripped.startswith(_FENCE):
            close()
            tag, lines = None, []
            if stripped == _FENCE:
                continue
        if tag is None:
            if not stripped.startswith(_FENCE):
                continue
            tag, first, closed = _opening(stripped)
            lines = [first] if first is not None else []
            if closed:
                close()
                tag, lines = None, []
            continue
        if stripped.endswith(_FENCE):
            lines.append(line.rstrip()[: -len(_FENCE)])
            close()
            tag, lines = None, []
            continue
        lines.append(line)
    if tag is not None:
        close()
    return blocks


def _clean_body(lines: list[str]) -> str:
    """Dedent and trim blank edge lines; interior indentation is kept (it is Python)."""
    return textwrap.dedent("\n".join(lines)).strip("\n").rstrip()


def extract_blocks(response: object, tag: str) -> list[str] | FormatError:
    """Every block tagged `tag` in the answer section, in order; a format error when there is none."""
    section = answer_section(response)
    if isinstance(section, FormatError):
        return section
    bodies = [block.body for block in fenced_blocks(section) if block.tag == tag and block.body.strip()]
    if not bodies:
        return FormatError(f"no ```{tag} block in the <answer> section")
    return bodies


def extract_block(response: object, tag: str, allow_empty: bool = False) -> str | FormatError:
    """The one answer of kind `tag` in `response` (rule 3 of the module doc).

    `allow_empty` accepts an empty block tagged `tag` (an empty argument list is a valid input).
    """
    section = answer_section(response)
    if isinstance(section, FormatError):
        return section
    blocks = fenced_blocks(section)
    if allow_empty:
        tagged = [block.body for block in blocks if block.tag == tag]
        if tagged:
            return tagged[-1]
    for wanted in (tag, ""):
        bodies = [block.body for block in blocks if block.tag == wanted and block.body.strip()]
        if bodies:
            return bodies[-1]
    if _FENCE not in section and section.strip():
        return textwrap.dedent(section).strip()
    return FormatError(f"no ```{tag} block in the <answer> section")


def strip_entry_call(text: str) -> str:
    """`x, y` for an input written as the whole call `f(x, y)`; any other text unchanged.

    Models often write the call instead of the argument list. Only a text that is exactly one
    call of the entry function (not `f(1) + f(2)`, not `f(1)(2)`) is unwrapped.
    """
    stripped = text.strip()
    prefix = f"{ENTRY_FUNCTION}("
    if not (stripped.startswith(prefix) and stripped.endswith(")")):
        return text
    try:
        call = parse_quietly(stripped, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == ENTRY_FUNCTION
        and ast.get_source_segment(stripped, call) == stripped
    ):
        return text
    return stripped[len(prefix) : -1].strip()
