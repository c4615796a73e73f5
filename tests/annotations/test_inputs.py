"""annotations/inputs.py: the one checker per kind of untrusted input."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import inputs

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=()), max_size=4), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(value=json_values, depth=st.integers(min_value=1, max_value=6))
def test_the_fast_yes_agrees_with_the_walk_that_names_the_problem(value, depth):
    assert inputs._json_sound(value, depth) == (inputs._json_problem_where(value, depth) is None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": [1, {"b": "x\ud800"}]}, "text at a[1].b contains an unpaired UTF-16 surrogate (U+D800) at character 2"),
        ({"n": 2**64}, "the integer at n is outside the 64-bit range (±9.2e18)"),
        ({"f": math.inf}, "the number at f is not finite (inf)"),
        ({"s": "a\x00"}, "text at s contains a NUL character at character 2"),
        ({1: "x"}, "an object key is not text"),
        ({"x": {1, 2}}, "the value at x is not JSON (set)"),
    ],
)
def test_each_problem_is_named_with_where_it_is(value, problem):
    assert inputs.json_problem(value) == problem


def test_depth_is_counted_in_containers():
    assert inputs.json_problem([[["x"]]], max_depth=3) is None
    assert inputs.json_problem([[[["x"]]]], max_depth=3) == "nested more than 3 levels deep at [0][0][0]"


@pytest.mark.parametrize("raw", ["[" * 100_000, "1" * 5000, "NaN", "[1e400]", '"\\ud800"', "{", b"\xff"])
def test_json_loads_names_every_failure_and_raises_nothing_else(raw):
    with pytest.raises(inputs.InputError) as refused:
        inputs.json_loads(raw)
    assert str(refused.value)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("12", 12), (" 7 ", 7), ("-3", None), ("²", None), ("1" * 20, None), ("", None), ("1.5", None), (True, None)],
)
def test_integer_check_takes_ascii_whole_numbers_in_range_only(raw, ok):
    if ok is None:
        with pytest.raises(inputs.InputError):
            inputs.integer_check(raw, field="project")
    else:
        assert inputs.integer_check(raw, field="project") == ok


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTP://example.org", "HTTP://example.org"),
        ("javascript:alert(1)", ""),
        (" data:text/html,<script>", ""),
        ("https://x\n.org", ""),
        (None, ""),
    ],
)
def test_only_web_addresses_are_links(url, shown):
    assert inputs.web_url(url) == shown
