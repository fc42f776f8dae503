"""validate_table reports every problem, one per (column, kind), with 0-based rows."""

from __future__ import annotations

import math

import pyarrow as pa

from causalpref.data import validate_table
from causalpref.errors import Problem

VEC = pa.list_(pa.float32(), 2)


def base(n: int = 4) -> dict:
    return {
        "response_a": [f"a{i}" for i in range(n)],
        "response_b": [f"b{i}" for i in range(n)],
        "vector.a": pa.array([[0.0, 1.0]] * n, VEC),
        "vector.b": pa.array([[1.0, 0.0]] * n, VEC),
        "label": [1.0, 0.0, 0.5, 0.25][:n],
    }


def check(**changes) -> list[Problem]:
    columns = base()
    for name, value in changes.items():
        if value is None:
            columns.pop(name)
        else:
            columns[name] = value
    return validate_table(pa.table(columns))


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.describe() for p in problems]
    return problems[0]


def test_valid_table_has_no_problems():
    assert check() == []
    assert check(**{"vector.a": None, "vector.b": None}) == []
    assert check(response_a=None, response_b=None) == []


def test_missing_label():
    problem = only(check(label=None))
    assert problem.column == "label" and "missing" in problem.message


def test_neither_pair_present():
    problem = only(check(response_a=None, response_b=None, **{"vector.a": None, "vector.b": None}))
    assert problem.column is None and "neither pair" in problem.message


def test_half_pair_is_reported():
    problem = only(check(response_b=None, **{"vector.a": None, "vector.b": None}))
    assert problem.column == "response_b" and "'response_a' is present" in problem.message


def test_label_not_numeric():
    problem = only(check(label=["1", "0", "1", "0"]))
    assert problem.column == "label" and "numeric" in problem.message


def test_label_out_of_range_and_missing_are_separate_problems():
    problems = check(label=[1.5, None, math.nan, -0.1])
    assert [(p.column, p.rows) for p in problems] == [("label", (1, 2)), ("label", (0, 3))]
    assert "missing or NaN" in problems[0].message and "[0, 1]" in problems[1].message


def test_vector_values_nan_inf_null_and_missing_vectors():
    bad = pa.array([[0.0, math.nan], None, [math.inf, 1.0], [None, 1.0]], pa.list_(pa.float32(), 2))
    problems = check(**{"vector.a": bad})
    assert [(p.column, p.rows) for p in problems] == [("vector.a", (1,)), ("vector.a", (0, 2, 3))]
    assert "missing" in problems[0].message and "NaN" in problems[1].message


def test_variable_length_vectors():
    ragged = pa.array([[0.0, 1.0], [0.0], [0.0, 1.0], [1.0, 2.0, 3.0]])
    problem = only(check(**{"vector.b": ragged}))
    assert problem.column == "vector.b" and problem.rows == (1, 3)
    assert "length 2" in problem.message


def test_vector_dimension_mismatch_between_sides():
    wide = pa.array([[0.0, 1.0, 2.0]] * 4, pa.list_(pa.float32(), 3))
    problem = only(check(**{"vector.b": wide}))
    assert problem.column == "vector.b" and "dimension 3" in problem.message
    assert "vector.a has dimension 2" in problem.message


def test_vectors_must_be_lists_of_numbers():
    problem = only(check(**{"vector.a": ["x", "y", "z", "w"]}))
    assert problem.column == "vector.a" and "lists of numbers" in problem.message


def test_missing_text_is_a_problem_but_empty_text_is_data():
    problem = only(check(response_a=["ok", "", "  \n", None]))
    assert problem.column == "response_a" and problem.rows == (3,)
    assert "missing" in problem.message


def test_chat_lists_are_not_supported_yet():
    chats = pa.array([[{"role": "user", "content": "hi"}]] * 4)
    problem = only(check(response_a=chats))
    assert problem.column == "response_a" and "chat" in problem.message


def test_weight_negative_and_nan():
    problems = check(weight=[1.0, -2.0, math.nan, 0.0])
    assert [(p.column, p.rows) for p in problems] == [("weight", (2,)), ("weight", (1,))]


def test_propensity_outside_unit_interval():
    problem = only(check(propensity=[0.5, 0.0, 1.0, 1.5]))
    assert problem.column == "propensity" and problem.rows == (1, 3)


def test_duplicate_pair_ids_report_every_duplicate_row():
    problem = only(check(pair_id=["p1", "p2", "p1", None]))
    assert problem.column == "pair_id" and problem.rows == (0, 2)
    assert "'p1'" in problem.message


def test_no_rows():
    empty = pa.array([], pa.string())
    label = pa.array([], pa.float64())
    table = pa.table({"response_a": empty, "response_b": empty, "label": label})
    assert only(validate_table(table)).message == "has no rows"


def test_all_problems_are_collected():
    problems = check(
        label=[2.0, 0.0, 1.0, 1.0],
        response_b=["b", None, "b", "b"],
        weight=[1.0, 1.0, -1.0, 1.0],
        pair_id=[1, 1, 2, 3],
    )
    assert sorted(p.column for p in problems) == ["label", "pair_id", "response_b", "weight"]


def test_validation_is_vectorised_on_large_tables():
    n = 200_000
    table = pa.table(
        {
            "vector.a": pa.FixedSizeListArray.from_arrays(
                pa.array([0.5] * (2 * n), pa.float32()), 2
            ),
            "vector.b": pa.FixedSizeListArray.from_arrays(
                pa.array([0.5] * (2 * n), pa.float32()), 2
            ),
            "label": pa.array([0.5] * n),
            "pair_id": pa.array(range(n)),
        }
    )
    assert validate_table(table) == []
