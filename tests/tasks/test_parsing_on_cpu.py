"""Response parsing: the tolerated variants, the format errors, and never raising on any string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azr_verl.tasks.parsing import (
    FormatError,
    answer_section,
    extract_block,
    extract_blocks,
    fenced_blocks,
    strip_entry_call,
)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("<think>x</think><answer>\n```output\n[1, 2]\n```\n</answer>", "[1, 2]"),
        ("<think>x</think><answer>\n```Output\n  [1, 2]  \n```", "[1, 2]"),  # no </answer>, case, spaces
        ("<answer>```output\n'a'", "'a'"),  # missing closing fence
        ("<answer>```output 3```</answer>", "3"),  # one-line block
        ("<answer>```outputs\n3\n```</answer>", "3"),  # alias
        ("<answer>\n```output\n1\n```\n```output\n2\n```\n</answer>", "2"),  # last candidate counts
        ("<answer>\n```\n5\n```\n</answer>", "5"),  # untagged block
        ("<answer> 7 </answer>", "7"),  # bare answer without fences
        ("reasoning <answer>wrong</answer> more </think><answer>```output\nright\n```", "right"),
        ("<ANSWER>\n```output\nTrue\n```\n</ANSWER>", "True"),
        ("<answer>\r\n```output\r\n{'a': 1}\r\n```\r\n</answer>", "{'a': 1}"),
        ("<answer>\n```output\n[1,\n 2]```\n</answer>", "[1,\n 2]"),  # closing fence at a line end
    ],
)
def test_extract_block_reads_tolerated_variants(response: str, expected: str) -> None:
    assert extract_block(response, "output") == expected


@pytest.mark.parametrize(
    "response",
    [
        "",
        "no tags at all ```output\n1\n```",
        "<think>only thinking</think>",
        "<answer></answer>",
        "<answer>```python\nx = 1\n```</answer>",  # wrong tag only
        "<answer>```output\n\n```</answer>",  # empty block
    ],
)
def test_extract_block_gives_format_error_when_no_answer(response: str) -> None:
    result = extract_block(response, "output")
    assert isinstance(result, FormatError)
    assert result.reason


def test_python_aliases_and_dedent_keep_interior_indentation() -> None:
    response = "<answer>\n```py\n    def f(x):\n        return x\n```\n</answer>"
    assert extract_block(response, "python") == "def f(x):\n    return x"


def test_new_opening_fence_closes_an_unclosed_block() -> None:
    blocks = fenced_blocks("```python\ndef f(a):\n    return a\n```input\n'x'\n```")
    assert [(block.tag, block.body) for block in blocks] == [
        ("python", "def f(a):\n    return a"),
        ("input", "'x'"),
    ]


def test_extract_blocks_keeps_every_tagged_block_in_order() -> None:
    response = (
        "<answer>" + "".join(f"```input\n{n}\n```\n" for n in range(4)) + "```message\nhi\n```</answer>"
    )
    assert extract_blocks(response, "input") == ["0", "1", "2", "3"]
    assert extract_blocks(response, "message") == ["hi"]


def test_answer_section_requires_answer_tag_after_reasoning() -> None:
    assert isinstance(answer_section("<think>I will write <answer> later</think> done"), FormatError)
    assert answer_section("<answer>a</answer> trailing") == "a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f(1, 2)", "1, 2"),
        ("  f('a', k=3) ", "'a', k=3"),
        ("f(g(1))", "g(1)"),
        ("f(1) + f(2)", "f(1) + f(2)"),  # not one call: unchanged
        ("f(1)(2)", "f(1)(2)"),
        ("f(1)  # )", "f(1)  # )"),
        ("1, 2", "1, 2"),
        ("f(", "f("),
    ],
)
def test_strip_entry_call_unwraps_only_one_whole_call(text: str, expected: str) -> None:
    assert strip_entry_call(text) == expected


_near_miss = st.lists(
    st.sampled_from(
        [
            "<think>",
            "</think>",
            "<answer>",
            "</answer>",
            "```",
            "```python",
            "```py",
            "```input",
            "```output",
            "```message",
            "\n",
            " ",
            "def f(x):",
            "    return x",
            "1",
            "[1, 2]",
            "'a'",
            "f(",
            ")",
            "\r\n",
            "``",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=400), _near_miss))
def test_parsers_never_raise_on_any_string(response: str) -> None:
    for tag in ("python", "input", "output", "message"):
        single = extract_block(response, tag)
        assert isinstance(single, (str, FormatError))
        many = extract_blocks(response, tag)
        assert isinstance(many, (list, FormatError))
    assert isinstance(strip_entry_call(response), str)


@pytest.mark.parametrize("response", [None, 3, b"<answer>1</answer>", ["<answer>1</answer>"]])
def test_parsers_turn_non_text_into_format_errors(response: object) -> None:
    assert isinstance(extract_block(response, "output"), FormatError)  # type: ignore[arg-type]


def test_an_empty_block_counts_only_when_allowed() -> None:
    response = "<answer>\n```input\n```\n</answer>"
    assert extract_block(response, "input", allow_empty=True) == ""
    assert isinstance(extract_block(response, "input"), FormatError)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("<answer>\n```json\n[1, 2]\n```\n</answer>", "[1, 2]"),  # unknown info word: untagged, not content
        ("<answer>\n```text\nKeyError\n```\n</answer>", "KeyError"),
        ("<answer>```KeyError```</answer>", "KeyError"),  # one-line block: the word is the content
        ("<answer>```[1, 2]```</answer>", "[1, 2]"),
    ],
)
def test_info_words_are_not_content_but_one_line_blocks_are(response: str, expected: str) -> None:
    assert extract_block(response, "output") == expected
