"""The data format between a sandboxed submission and the grader."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

from lossedu.grading import codec
from lossedu.grading.collect import NotebookError, code_cells


def roundtrip(value):
    return codec.decode(json.loads(json.dumps(codec.encode(value), allow_nan=False)))


def test_plain_values_roundtrip():
    assert roundtrip(None) is None
    assert roundtrip(...) is ...
    assert roundtrip(True) is True
    assert roundtrip(np.int64(7)) == 7 and isinstance(roundtrip(np.int64(7)), int)
    assert roundtrip(0.1) == 0.1
    assert roundtrip("yhat - y") == "yhat - y"
    assert roundtrip(("a", [1, 2.5])) == ("a", [1, 2.5])
    assert roundtrip({"b": 1}) == {"b": 1}


def test_non_finite_numbers_are_spelled_out_and_come_back():
    assert math.isnan(roundtrip(float("nan")))
    assert roundtrip(float("inf")) == math.inf and roundtrip(-math.inf) == -math.inf
    back = roundtrip(np.array([[1.0, np.nan], [np.inf, -np.inf]]))
    assert back.shape == (2, 2) and back[0, 0] == 1.0 and np.isnan(back[0, 1]) and back[1, 0] == np.inf


def test_sympy_expression_travels_as_text_and_parses_back_safely():
    y, yhat = sympy.symbols("y yhat", real=True)
    sent = codec.encode(sympy.Piecewise((yhat - y, yhat > y), (0, True)))
    assert sent["t"] == "expr" and isinstance(sent["v"], str)
    back = codec.decode(sent)
    assert isinstance(back, codec.ExprText)
    from lossedu.checking.symbolic import SYMBOLS, to_expr

    expr = to_expr(back.text, ["y", "yhat"])
    assert float(expr.subs({SYMBOLS["y"]: 1, SYMBOLS["yhat"]: 3})) == 2.0
    assert float(expr.subs({SYMBOLS["y"]: 3, SYMBOLS["yhat"]: 1})) == 0.0


def test_unsupported_and_oversized_values_are_tagged_not_sent():
    assert codec.encode(1 + 2j)["t"] == "unsupported"
    assert codec.encode("x" * (codec.MAX_TEXT + 1))["t"] == "unsupported"
    assert codec.encode(np.zeros(codec.MAX_ARRAY + 1))["t"] == "unsupported"
    nested = []
    for _ in range(codec.MAX_DEPTH + 3):
        nested = [nested]
    assert "unsupported" in json.dumps(codec.encode(nested))


@pytest.mark.parametrize("bad", [
    {"t": "array", "shape": [3], "v": [1, 2]},
    {"t": "array", "shape": [1], "v": ["__import__('os')"]},
    {"t": "float", "v": "1e5"},
    {"t": "pickle", "v": "gASV"},
    {"t": "int", "v": True},
    ["not", "an", "object"],
    {"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none"}]]},
])
def test_malformed_messages_are_refused(bad):
    with pytest.raises(codec.CodecError):
        codec.decode(bad)


def test_function_outputs_and_errors():
    assert codec.decode(codec.encode_output([1, 2])).tolist() == [1.0, 2.0]
    assert codec.encode_output("nope")["t"] == "error"
    assert codec.decode(codec.encode_error(ValueError("bad y"))) == codec.RaisedError("ValueError: bad y")


def test_notebook_reader_accepts_lists_and_strings_and_names_the_problem():
    nb = {"cells": [{"cell_type": "markdown", "source": "x"}, {"cell_type": "code", "source": ["a = 1\n", "b = 2"]},
                    {"cell_type": "code", "source": "c = 3"}]}
    assert code_cells(json.dumps(nb).encode()) == ["a = 1\nb = 2", "c = 3"]
    with pytest.raises(NotebookError, match="invalid JSON at line 1"):
        code_cells(b"{not json")
    with pytest.raises(NotebookError, match="no 'cells' list"):
        code_cells(b'{"nbformat": 4}')
    with pytest.raises(NotebookError, match="cell 0: 'source'"):
        code_cells(json.dumps({"cells": [{"cell_type": "code", "source": 5}]}).encode())
    with pytest.raises(NotebookError, match="not UTF-8"):
        code_cells(b"\xff\xfe\x00")
