"""In-process literal comparison: which texts qualify, and that nothing else is ever evaluated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azr_verl.tasks.literals import parse_plain_literal, plain_values_equal


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("[1,2]", "[1, 2]", True),
        ("{'a': 1, 'b': (2, 3)}", "{'b': (2,3), 'a': 1}", True),
        ("1", "1.0", True),  # Python == as the executor applies it
        ("-3", "- 3", True),
        ("{1, 2}", "{2, 1}", True),
        ("'a'", '"a"', True),
        ("[1, 2]", "[2, 1]", False),
        ("(1,)", "[1]", False),
        ("None", "'None'", False),
        ("b'x'", "'x'", False),
    ],
)
def test_plain_values_compare_as_values(left: str, right: str, equal: bool) -> None:
    assert plain_values_equal(left, right) is equal


@pytest.mark.parametrize(
    "text",
    [
        "dict(a=1)",
        "__import__('os').system('true')",
        "float('nan')",
        "1 + 2j",
        "[x for x in range(3)]",
        "{**{'a': 1}}",
        "{[1]}",  # unhashable set element
        "-'a'",
        "not True",
        "Counter({'a': 1})",
        "[" * 60 + "]" * 60,  # deeper than the cap
        "1" * 20_000,  # longer than the cap
        "",
        "(",
    ],
)
def test_non_plain_texts_are_left_to_the_executor(text: str) -> None:
    assert parse_plain_literal(text) is None
    assert plain_values_equal(text, "1") is None


def test_depth_and_size_caps_are_parameters() -> None:
    nested = "[" * 5 + "]" * 5
    assert parse_plain_literal(nested, max_depth=5) is not None
    assert parse_plain_literal(nested, max_depth=4) is None
    assert parse_plain_literal("[1, 2]", max_chars=5) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_literal_parsing_never_raises(text: str) -> None:
    parsed = parse_plain_literal(text)
    assert parsed is None or parsed.value == parsed.value or parsed.value != parsed.value


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
        max_leaves=20,
    )
)
def test_repr_of_builtin_values_round_trips(value: object) -> None:
    assert plain_values_equal(repr(value), repr(value)) is True
