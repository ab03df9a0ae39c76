"""Turn the data a submission sent into Results, on the grader's side of the boundary.

Runs in trusted grader code only: every value is decoded by :mod:`lossedu.grading.codec`
(expressions re-parsed by :func:`lossedu.checking.symbolic.to_expr`), then judged for this student's
variant with :func:`lossedu.problems.check`, or, for a function answer, with
``checking.functions.judge_outputs`` on the inputs the grader drew.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from lossedu import problems
from lossedu.grading import codec
from lossedu.checking import functions
from lossedu.result import INCORRECT, INVALID, UNATTEMPTED, Result

#: names whose appearance in an implementation means a ready-made library was used
REFERENCE_MODULE_NAMES = frozenset({"scipy", "torch", "tensorflow", "jax", "sklearn", "keras"})


def plain(value: Any) -> Any:
    """``value`` as strict JSON data: NumPy turned into Python, non-finite floats spelled out."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def result_dict(result: Result) -> dict[str, Any]:
    """A Result as strict JSON data (see :func:`plain`)."""
    return plain(result.to_dict())


def _invalid(pid: str, message: str) -> Result:
    return Result(INVALID, message=message, problem_id=pid)


def _materialise(value: Any, variables: tuple[str, ...]) -> Any:
    """Expressions read back from text; unsupported values refused with a reason."""
    from lossedu.checking.symbolic import to_expr

    if isinstance(value, codec.ExprText):
        return to_expr(value.text, variables)
    if isinstance(value, codec.Unsupported):
        why = f" ({value.why})" if value.why else ""
        raise ValueError(f"an answer of type {value.type}{why} cannot be graded")
    if isinstance(value, codec.RaisedError):
        raise ValueError("an error value is not an answer")
    if isinstance(value, list):
        return [_materialise(v, variables) for v in value]
    if isinstance(value, tuple):
        return tuple(_materialise(v, variables) for v in value)
    if isinstance(value, dict):
        return {k: _materialise(v, variables) for k, v in value.items()}
    return value


def judge_answer(problem: problems.Problem, student: str, payload: Any) -> Result:
    """Judge an answer message's ``answer`` value for ``student``."""
    pid = problem.id
    if problem.kind == "function":
        return _invalid(pid, "this problem asks for a Python function; the answer checked was a value")
    try:
        value = _materialise(codec.decode(payload), tuple(problem.variables))
    except (codec.CodecError, ValueError) as err:
        return _invalid(pid, f"the answer could not be read: {err}")
    return problems.check(pid, value, student=student)


def reference_use(message: dict[str, Any]) -> list[str]:
    """What in a function message shows a reference library was used (empty when nothing)."""
    found = [str(n)[:100] for n in message.get("reference_names", []) if isinstance(n, str)]
    names = {n for n in message.get("names", []) if isinstance(n, str)}
    found += sorted(names & REFERENCE_MODULE_NAMES)
    calls = message.get("reference_calls", 0)
    if isinstance(calls, int) and calls > 0:
        found.append(f"{calls} call(s) of lossedu.losses while it ran")
    return found


def _shape_refusal(problem: problems.Problem, message: dict[str, Any],
                   inputs: list[dict[str, np.ndarray]]) -> Result | None:
    """Invalid or unattempted, in the words of the in-notebook check, when the answer's form
    (one function or a pair) does not fit the problem or a pair is left blank; else None."""
    pid, pair = problem.id, message.get("pair") is True
    how = "Pass both functions as one pair: check((my_loss, my_grad))."
    if functions.is_pair(inputs) and not pair:
        return _invalid(pid, f"This problem takes two functions, {problem.signature}; got one function. {how}")
    if pair and not functions.is_pair(inputs):
        return _invalid(pid, f"Expected a Python function {problem.signature}, got tuple.")
    missing = [functions._ROLE[n] for n in functions.PAIR if n in message.get("missing", [])]
    if pair and missing:
        return Result(UNATTEMPTED, message=f"Not attempted yet: write the {' and the '.join(missing)}.",
                      problem_id=pid)
    if message.get("unattempted") is True:
        text = ("your loss function and your gradient function return nothing" if pair
                else "the function returns nothing")
        return Result(UNATTEMPTED, message=f"Not attempted yet: {text}.", problem_id=pid)
    return None


def judge_function(problem: problems.Problem, student: str, message: dict[str, Any],
                   inputs: list[dict[str, np.ndarray]]) -> Result:
    """Judge a function answer (one function or a pair) from its outputs on ``inputs``."""
    pid = problem.id
    if problem.kind != "function":
        return _invalid(pid, f"this is a {problem.kind} problem; the answer checked was a function")
    if not inputs:
        return _invalid(pid, "no test inputs were drawn for this problem (is its session being graded?)")
    refused = _shape_refusal(problem, message, inputs)
    if refused is not None:
        return refused
    used = reference_use(message)
    if used:
        return Result(INCORRECT, score=0.0, diagnosis="reference", problem_id=pid,
                      message="The implementation calls a ready-made loss instead of computing it "
                              f"({'; '.join(used)}). Write it with NumPy operations; no credit is given.")
    if message.get("inconsistent") is True:
        return Result(INCORRECT, score=0.0, diagnosis="inconsistent", problem_id=pid,
                      message="The function returned different values for the same input: the grader repeats some "
                              "of its inputs, and an implementation must compute the same answer each time.")
    raw = message.get("outputs")
    if not isinstance(raw, list) or len(raw) != len(inputs):
        return _invalid(pid, "the function's outputs did not arrive for every input")
    outputs = []
    try:
        for item in raw:
            value = codec.decode(item)
            outputs.append(value.text if isinstance(value, codec.RaisedError) else _as_array(value))
    except (codec.CodecError, ValueError) as err:
        return _invalid(pid, f"the function's outputs could not be read: {err}")
    emitted = message.get("warnings")
    ok = isinstance(emitted, list) and len(emitted) == len(inputs) and all(
        isinstance(w, list) and all(isinstance(s, str) for s in w) for w in emitted)
    return functions.judge_outputs(problem.variant(student), inputs, outputs, emitted if ok else None)


def _as_array(value: Any) -> Any:
    """A decoded output as the protocol wants it: an array, or a str saying what came back."""
    if value is None:
        return functions.NOTHING
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, codec.Unsupported):
        return f"returned {value.type}, not numbers ({value.why})"
    raise ValueError("an output must be an array")


def judge_message(student: str, message: dict[str, Any], inputs: dict[str, list]) -> Result:
    """Judge one captured answer (an ``answer`` or ``function`` message); never raises."""
    pid = message.get("pid")
    try:
        problem = problems.get(pid)
    except KeyError:
        return _invalid(str(pid)[:100], f"unknown problem id {str(pid)[:100]!r}")
    try:
        if message["type"] == "function":
            return judge_function(problem, student, message, inputs.get(pid, []))
        return judge_answer(problem, student, message.get("answer"))
    except Exception as err:  # noqa: BLE001 - one answer must not stop a batch
        return Result("undecided", message=f"the checker could not decide ({type(err).__name__}: {err}); "
                      "the answer was not marked wrong", problem_id=pid)


def cache_key(student: str, message: dict[str, Any]) -> str | None:
    """A key under which a value answer's Result can be reused (same problem, numbers and answer).

    None for function answers (their inputs differ per student) and unknown problems.
    """
    if message.get("type") != "answer":
        return None
    try:
        problem = problems.get(message.get("pid"))
        params = json.dumps(plain(problem.variant(student).params), sort_keys=True)
    except Exception:  # noqa: BLE001 - no key means: judge it afresh
        return None
    answer = json.dumps(message.get("answer"), sort_keys=True)
    return hashlib.sha256(f"{problem.id}\0{params}\0{answer}".encode()).hexdigest()
