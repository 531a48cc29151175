"""JSON from outside (an API body, a page script's post, an exported ticket per line), read strictly.

Python's json takes what no database or page can: a lone surrogate (`"\\ud800"`: UTF-8 cannot encode it, the
write fails), NUL (PostgreSQL refuses it in text and JSONB), NaN and 1e999 (no JSON spelling), and a key given
twice (the last one silently wins); a whole number longer than Python reads (4,300 digits) raised a ValueError
telling the sender to call `sys.set_int_max_str_digits()`, naming no field. `strict_loads` refuses each with a
message that starts with the field, so the caller can hand it to whoever sent it: the API as a 400, `kb tickets
import` as the line's error.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


class StrictJSONError(ValueError):
    """JSON that parses but cannot be taken; `str()` is "field: why"."""


def shown_key(text: str) -> str:
    """A key as it can be printed: a lone surrogate as its `\\udXXX` escape, a NUL as `\\u0000`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


class _LongNumber(str):
    """A whole number's digits past what `int()` reads, kept as text so `_problem` can name where it was."""


def _whole_number(digits: str) -> int | _LongNumber:
    """parse_int: a number `int()` reads, else its digits marked for `_problem` (json raised naming nothing)."""
    limit = sys.get_int_max_str_digits()
    return _LongNumber(digits) if limit and len(digits.lstrip("-")) > limit else int(digits)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: `{"a": 1, "a": 2}` is refused, not silently the last value."""
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise StrictJSONError(f"{shown_key(key)}: given twice; send each field once")
        body[key] = value
    return body


def _problem(value: Any, path: str) -> str | None:
    """The first value under `value` that cannot be taken, as "path: why", else None."""
    if isinstance(value, _LongNumber):
        digits, limit = len(value.lstrip("-")), sys.get_int_max_str_digits()
        return f"{path}: a whole number of {digits:,} digits is longer than can be read ({limit:,} at most)"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path}: contains a lone surrogate (an unpaired \\ud800-\\udfff escape), which is no text"
        if "\x00" in value:
            return f"{path}: contains a NUL character (\\u0000)"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{path}: {value} is not a JSON number"
    elif isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := _problem(v, f"{path}[{i}]"))), None)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{shown_key(key)}" if path else shown_key(key)
            if (problem := _problem(key, name) or _problem(item, name)) is not None:
                return problem
    return None


def strict_loads(text: str) -> Any:
    """`json.loads(text)`, or StrictJSONError naming the field for what parses but cannot be taken; text
    that is not JSON (or nested too deeply to parse) is a plain ValueError, as from json."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_whole_number)
        problem = _problem(value, "")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return _taken(value, problem)


def strict_fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Named text fields sent another way (a multipart form's), held to what `strict_loads` holds an object's:
    a field given twice, or text with a NUL or a lone surrogate, is a StrictJSONError naming it."""
    body = _unique_keys(pairs)
    return _taken(body, _problem(body, ""))


def _taken(value: Any, problem: str | None) -> Any:
    if problem is not None:
        raise StrictJSONError(problem.removeprefix(": "))
    return value
