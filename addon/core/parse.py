"""Turning a request body into an event dict, and reading its fields without trusting them."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import orjson


class BodyError(ValueError):
    """The body is not a JSON object; the message says why, in one line."""


class Overflow(float):
    """A JSON number too large for a double (`1e400`), kept as ±inf the way `json` reads it.

    It is a float subclass so that jsonschema-rs, which would judge a plain inf differently from
    jsonschema, refuses the value and leaves the body to jsonschema (see schemas.fast_check)."""


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not valid JSON")


def _float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else Overflow(value)


def parse_body(body: bytes | None, limit: int, *, batch: bool = False) -> Any:
    """The body as a JSON object (or, with `batch`, any JSON value: a downloaded session is an
    array), or BodyError saying why not.

    orjson reads almost every body (~1 µs); whatever it refuses (a BOM, lone surrogate escapes,
    numbers beyond a double, broken JSON) is read again by `json`, which decides and explains."""
    if body is None or len(body) == 0:
        raise BodyError("empty body")
    if len(body) > limit:
        raise BodyError(f"body of {len(body)} bytes is over the {limit}-byte limit; not parsed")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = _parse_slowly(body)
    if not batch and not isinstance(value, dict):
        raise BodyError(f"JSON {type(value).__name__} where an event object was expected")
    return value


def _parse_slowly(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BodyError("body is only whitespace")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_float)
    except RecursionError:
        raise BodyError("body is nested too deeply to parse") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except BodyError:  # NaN or Infinity, from _reject_constant
        raise
    except ValueError:  # Python refuses integers of over 4300 digits (int_max_str_digits)
        raise BodyError(f"body holds a number of over {sys.get_int_max_str_digits()} digits;"
                        " not parsed") from None


def number(value: Any) -> float | None:
    """A finite JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float: as unusable as Infinity
        return None
    return value if math.isfinite(value) else None


EXACT = 2**53  # integers a float holds exactly


def seconds(value: Any) -> float | None:
    """`number(value)`, with the wire's usual playheads (a finite float, an int a float holds
    exactly) answered first: this runs for every event."""
    if type(value) is float and value - value == 0.0:  # finite (inf - inf and NaN - NaN are NaN)
        return value
    if type(value) is int and -EXACT < value < EXACT:
        return float(value)
    return number(value)


def mapping(event: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """event[key] when it is an object, else {} (schema findings cover the wrong shapes)."""
    if not event:
        return {}
    value = event.get(key)
    return value if isinstance(value, dict) else {}
