"""JSON Schema validation of Media Collection API bodies, one compiled validator per event type.

The schemas are data shipped in the package `playhead.schemas` (Draft 2020-12, one file per
event type plus `defs.json`). They are loaded through importlib.resources so an installed wheel
finds them, compiled once, and optionally tightened by a team's own schemas (`--schemas DIR`).

Every error comes out led by its JSON path (`$.params['media.id']`, `$.playerTime.ts`) with a
short one-line message, because findings, reports and the dashboard's highlighting all key on it.
To get that path for missing or unexpected keys, four keywords are re-implemented so the error
points at the key itself instead of at the object holding it; everything else is jsonschema's.

Most bodies are valid, and jsonschema spends hundreds of µs proving it (a sessionStart: ~480 µs
here). So each schema is also compiled by jsonschema-rs (`fast_check`, ~1.5 µs per event); a body
that passes is done, and only a failing body is handed to jsonschema for the detailed, path-led
errors. tests/test_schemas.py checks that the two always agree.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import exceptions as js_exceptions
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

EVENT_TYPES: tuple[str, ...] = (
    "sessionStart", "play", "ping", "bitrateChange", "bufferStart", "pauseStart",
    "adBreakStart", "adStart", "adComplete", "adSkip", "adBreakComplete",
    "chapterStart", "chapterComplete", "chapterSkip", "error",
    "sessionComplete", "sessionEnd", "stateStart", "stateEnd", "statesUpdate",
)

SCHEMA_BASE = "https://playhead.invalid/schemas/"
"""Base URI of the built-in schemas (.invalid never resolves: nothing is ever fetched).
A team's schema can `$ref` e.g. `https://playhead.invalid/schemas/defs.json#/$defs/customMetadata`."""

ALL_TYPES_FILE = "all.json"
_ENVELOPE_REF = SCHEMA_BASE + "defs.json#/$defs/event"
_MESSAGE_LIMIT = 240
_SHOW_LIMIT = 60
_KEY_LIMIT = 120


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One schema violation: where (JSON path from the body root) and what, in one line."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SchemaLoadError(Exception):
    """A schema file could not be used; the message is one line and names the file."""


# ---------------------------------------------------------------------------------------------
# Keywords re-implemented so that the error's path names the key (missing, unexpected, badly
# named, or a missing companion) rather than the object that holds it. Same semantics otherwise.

def _required(validator, required, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for key in required:
        if key not in instance:
            yield ValidationError(f"missing required property {_show(key)}", path=(key,))


def _dependent_required(validator, dependent, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for key, companions in dependent.items():
        if key in instance:
            for other in companions:
                if other not in instance:
                    yield ValidationError(
                        f"missing {_show(other)}, which must come with {_show(key)}", path=(other,))


def _additional_properties(validator, allowed, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    extras = _extra_keys(instance, schema)
    if validator.is_type(allowed, "object"):
        for key in extras:
            yield from validator.descend(instance[key], allowed, path=key)
    elif not allowed:
        hint = _allowed_hint(schema)
        for key in extras:
            yield ValidationError(f"unexpected key {_show(key)}{hint}", path=(key,))


def _property_names(validator, names, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for key in instance:
        yield from validator.descend(instance=key, schema=names, path=key)


_LOCATED_KEYWORDS = {
    "required": _required,
    "dependentRequired": _dependent_required,
    "additionalProperties": _additional_properties,
    "propertyNames": _property_names,
}


def _extra_keys(instance: dict, schema: dict) -> list[str]:
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def _allowed_hint(schema: dict) -> str:
    names = list(schema.get("properties", {}))
    if schema.get("patternProperties"):
        return ""
    if not names:
        return " (no keys allowed here)"
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return f" (allowed: {shown})"


@functools.cache
def _located(cls: type) -> type:
    """`cls` with the located keywords swapped in (only those its draft has)."""
    return validators.extend(cls, {k: f for k, f in _LOCATED_KEYWORDS.items() if k in cls.VALIDATORS})


# ---------------------------------------------------------------------------------------------
# Turning jsonschema errors into SchemaErrors

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_path(parts: Iterable[str | int]) -> str:
    """`$.playerTime.ts`, `$.params['media.id']`, `$.params.statesStart[0]` (keys escaped, clipped)."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append("." + part)
        else:
            key = part if len(part) <= _KEY_LIMIT else part[:_KEY_LIMIT] + "…"
            key = _escape_controls(key.replace("\\", "\\\\").replace("'", "\\'"))
            out.append(f"['{key}']")
    return "".join(out)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    """A short literal of a JSON value for a message; containers are described, never dumped."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return _clip(repr(value), _SHOW_LIMIT)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int):
        return _clip(str(value), _SHOW_LIMIT)
    if isinstance(value, dict):
        return f"an object ({len(value)} key{'' if len(value) == 1 else 's'})"
    if isinstance(value, list):
        return f"an array ({len(value)} item{'' if len(value) == 1 else 's'})"
    return _clip(repr(value), _SHOW_LIMIT)


def _one_line(text: str) -> str:
    return _clip(_escape_controls(text), _MESSAGE_LIMIT)


def _message(error: ValidationError) -> str:
    """What is wrong, built from the error's parts: jsonschema's own messages embed the whole
    offending value, which can be a megabyte."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind in _LOCATED_KEYWORDS:
        text = error.message
    elif kind == "type":
        names = expected if isinstance(expected, str) else " or ".join(expected)
        text = f"expected {names}, got {_show(value)}"
    elif kind == "enum":
        text = f"expected one of {', '.join(_show(v) for v in expected)}; got {_show(value)}"
    elif kind == "const":
        text = f"expected {_show(expected)}, got {_show(value)}"
    elif kind == "pattern":
        text = f"{_show(value)} does not match {expected}"
    elif kind is None:  # the `false` schema
        text = "not allowed here"
    elif kind in ("anyOf", "oneOf") and _only_missing_keys(error):
        keys = dict.fromkeys(_show(e.path[-1]) for e in error.context)
        text = f"needs one of {', '.join(keys)}"
    elif kind in ("anyOf", "oneOf") and error.context:
        seen = list(dict.fromkeys(_message(e) for e in error.context))
        text = "matches none of the allowed forms: " + "; or ".join(seen[:3])
    else:
        text = error.message
    if "propertyNames" in error.absolute_schema_path:
        text = "key " + text
    return text


def _only_missing_keys(error: ValidationError) -> bool:
    """An anyOf/oneOf of alternatives that each just require a key ("statesStart and/or
    statesEnd"): best said as one message at the object, not as a guess at one of the keys."""
    return all(e.validator == "required" and len(e.path) == 1 for e in error.context)


def _schema_errors(errors: Iterable[ValidationError], origin: str | None) -> Iterator[SchemaError]:
    suffix = _escape_controls(f" (required by {origin})") if origin else ""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context and not _only_missing_keys(error):
            error = best_match([error])  # one bad error event must not list every alternative
        yield SchemaError(json_path(error.absolute_path), _one_line(_message(error)) + suffix)


# ---------------------------------------------------------------------------------------------
# The fast path: a schema compiled into nested predicates. Mirrors jsonschema's semantics for the
# keywords below (including its notion of integer, number and equality); anything else raises
# _Unsupported and the schema is then checked by jsonschema alone.

Check = Callable[[Any], bool]


def fast_check(schema: Any, documents: dict[str, Any], fallback: Check) -> Check:
    """`schema` compiled by jsonschema-rs (~1.5 µs per event here, against ~140 µs for jsonschema)
    as a yes/no predicate. `documents` maps URIs to the schemas its $refs may reach.

    `fallback` (jsonschema's own is_valid) answers whenever jsonschema-rs cannot: a schema it does
    not compile (draft 3, say), or a value it cannot convert. tests/test_schemas.py shows the two
    agree on every JSON value a body can hold (NaN cannot: the body parser rejects it)."""
    try:
        import jsonschema_rs  # noqa: PLC0415 - only `check` and the proxy pay for loading it
        registry = jsonschema_rs.Registry(list(documents.items()))
        is_valid = jsonschema_rs.validator_for(schema, registry=registry).is_valid
    except Exception:  # noqa: BLE001 - anything jsonschema-rs refuses is left to jsonschema
        return fallback

    def check(body: Any) -> bool:
        try:
            return is_valid(body)
        except Exception:  # noqa: BLE001 - e.g. a non-string key from a hand-built body
            return fallback(body)

    return check


# ---------------------------------------------------------------------------------------------
# Loading

@dataclass(frozen=True, slots=True)
class _Layer:
    """One schema applied to a body: a cheap yes/no test first, jsonschema for the details."""

    validator: Any
    quick: Check
    params: frozenset[str]
    origin: str | None  # a team schema's file name, named in its errors; None for built-ins

    def errors(self, body: Any) -> Iterator[SchemaError]:
        return _schema_errors(self.validator.iter_errors(body), self.origin)


def _params_of(schema: Any) -> frozenset[str]:
    try:
        return frozenset(schema["properties"]["params"]["properties"])
    except (KeyError, TypeError):
        return frozenset()


def _layer(schema: Any, cls: type, registry: Registry, documents: dict[str, Any],
           origin: str | None) -> _Layer:
    validator = _located(cls)(schema, registry=registry)
    return _Layer(validator, fast_check(schema, documents, validator.is_valid), _params_of(schema),
                  origin)


def _builtin_documents() -> dict[str, Any]:
    folder = resources.files("playhead.schemas")
    docs = {}
    for name in [*EVENT_TYPES, "defs"]:
        entry = folder.joinpath(name + ".json")
        try:
            docs[name] = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaLoadError(f"built-in schema {name}.json is missing or broken "
                                  f"(reinstall playhead): {exc}") from None
    return docs


def _read_extra(path: Path) -> tuple[Any, type]:
    """The schema in `path` and the jsonschema class of its draft (2020-12 unless `$schema`
    names another, so Adobe's own draft-04 schemas can be used as they are)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SchemaLoadError(f"{path}: cannot read: {reason}") from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise SchemaLoadError(f"{path}: not JSON: {exc}") from None
    if not isinstance(schema, (dict, bool)):
        raise SchemaLoadError(f"{path}: a schema must be a JSON object, not {_show(schema)}")
    dialect = schema.get("$schema") if isinstance(schema, dict) else None
    if dialect is not None and (not isinstance(dialect, str)
                                or validators.validator_for(schema, default=None) is None):
        raise SchemaLoadError(f"{path}: unsupported $schema {_show(dialect)} "
                              "(use draft 2020-12, 2019-09, 7, 6, 4 or 3)")
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except js_exceptions.SchemaError as exc:
        where = json_path(exc.absolute_path)
        raise SchemaLoadError(f"{path}: not a valid JSON Schema at {where}: "
                              f"{_one_line(exc.message)}") from None
    return schema, cls


def _check_refs(node: Any, resolver, path: Path) -> None:
    """Fail at load, not mid-capture, on a $ref that leads nowhere."""
    if isinstance(node, list):
        for item in node:
            _check_refs(item, resolver, path)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("$id"), str):
        resolver = resolver.in_subresource(Resource.from_contents(
            node, default_specification=DRAFT202012))
    ref = node.get("$ref")
    if isinstance(ref, str):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise SchemaLoadError(f"{path}: $ref {ref!r} cannot be resolved") from None
    for key, value in node.items():
        if key not in ("enum", "const", "examples", "default"):
            _check_refs(value, resolver, path)


class SchemaSet:
    """The compiled schemas of every event type, plus a team's tightening ones. Build it with
    `SchemaSet.load()`; one instance serves any number of threads (nothing in it changes)."""

    def __init__(self, builtin: dict[str, _Layer], envelope: _Layer,
                 extras: dict[str, list[_Layer]], extras_all: list[_Layer]) -> None:
        self._envelope = envelope
        self._layers = {t: [builtin[t], *extras.get(t, ()), *extras_all] for t in builtin}
        self._known = {t: frozenset().union(*(layer.params for layer in layers))
                       for t, layers in self._layers.items()}

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> "SchemaSet":
        """Built-in schemas from the installed package, then each `extra_dirs` folder's
        `<eventType>.json` (that type) and `all.json` (every documented type). Raises
        SchemaLoadError naming the file for anything unusable."""
        docs = _builtin_documents()
        documents = {SCHEMA_BASE + name + ".json": doc for name, doc in docs.items()}
        registry = Registry().with_resources(
            (uri, Resource.from_contents(doc, DRAFT202012)) for uri, doc in documents.items()).crawl()
        draft = validators.Draft202012Validator
        builtin = {t: _layer(docs[t], draft, registry, documents, None) for t in EVENT_TYPES}
        envelope = _layer({"$ref": _ENVELOPE_REF}, draft, registry, documents, None)
        extras: dict[str, list[_Layer]] = {}
        extras_all: list[_Layer] = []
        for folder in extra_dirs:
            folder = Path(folder)
            if not folder.is_dir():
                raise SchemaLoadError(f"{folder}: not a directory of schemas")
            for path in sorted(folder.glob("*.json")):
                kind = path.stem
                if path.name != ALL_TYPES_FILE and kind not in builtin:
                    raise SchemaLoadError(f"{path}: {kind!r} is not a documented event type "
                                          "(name files <eventType>.json or all.json)")
                schema, draft = _read_extra(path)
                root = Resource.from_contents(schema, default_specification=DRAFT202012)
                _check_refs(schema, registry.resolver_with_root(root), path)
                layer = _layer(schema, draft, registry, documents, path.name)
                (extras_all if path.name == ALL_TYPES_FILE else extras.setdefault(kind, [])).append(layer)
        return cls(builtin, envelope, extras, extras_all)

    def is_known(self, event_type: str) -> bool:
        return event_type in self._layers

    def known_params(self, event_type: str) -> frozenset[str]:
        """Every params key documented for the type (its schema's params.properties, plus any a
        team's schemas list), for the unknown-param rule. Empty for an unknown type."""
        return self._known.get(event_type, frozenset())

    def validate(self, event_type: str, body: Any) -> list[SchemaError]:
        """Every violation of the type's schema and the team's; the envelope only for an
        unknown type. An empty list for a valid body."""
        layers = self._layers.get(event_type) or [self._envelope]
        for layer in layers:
            if not layer.quick(body):
                break
        else:
            return []
        found: dict[SchemaError, None] = {}
        for layer in layers:
            for error in layer.errors(body):
                found.setdefault(error)
        return list(found)
