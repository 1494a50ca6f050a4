"""JSON Schema validation of Media Collection API bodies, one compiled validator per event type.

The schemas are data shipped in the package `playhead.schemas` (Draft 2020-12, one file per
event type plus `defs.json`). They are loaded through importlib.resources so an installed wheel
finds them, compiled once, and optionally tightened by a team's own schemas (`--schemas DIR`).

Every error comes out led by its JSON path (`$.params['media.id']`, `$.playerTime.ts`) with a
short one-line message, because findings, reports and the dashboard's highlighting all key on it.
To get that path for missing or unexpected keys, four keywords are re-implemented so the error
points at the key itself instead of at the object holding it; everything else is jsonschema's.

Most bodies are valid, and jsonschema spends hundreds of µs proving it (a sessionStart: ~480 µs
here). So each schema is also compiled into plain Python predicates (`fast_check`, ~27 µs) for
the keywords playhead's schemas use; a body that passes them is done, and only a failing body is
handed to jsonschema for the detailed errors. A schema using any other keyword simply has no fast
path. tests/test_schemas.py checks that the two always agree.
"""

from __future__ import annotations

import functools
import json
import numbers
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


class _Unsupported(Exception):
    pass


_IGNORED = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "$anchor", "title", "description",
    "examples", "default", "deprecated", "readOnly", "writeOnly", "format",
})


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: 1 == 1.0, but true is not 1."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]

    def check(v: Any) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True
    return check


class _Compiler:
    """Compiles one schema (with its $refs) into a predicate."""

    def __init__(self) -> None:
        self._refs: dict[int, Check] = {}

    def compile(self, schema: Any, resolver) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise _Unsupported("not a schema")
        unknown = set(schema) - _IGNORED - _KEYWORDS
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        if "$id" in schema:
            resolver = resolver.in_subresource(Resource.from_contents(
                schema, default_specification=DRAFT202012))
        return _all([getattr(self, "_" + k.lstrip("$"))(schema[k], schema, resolver)
                     for k in schema if k in _KEYWORDS])

    def _ref(self, ref: str, schema: dict, resolver) -> Check:
        resolved = resolver.lookup(ref)
        key = id(resolved.contents)
        if key not in self._refs:
            cell: list[Check] = []
            self._refs[key] = lambda v: cell[0](v)  # stands in while a cycle compiles
            cell.append(self.compile(resolved.contents, resolved.resolver))
            self._refs[key] = cell[0]
        return self._refs[key]

    def _type(self, types: str | list[str], schema: dict, resolver) -> Check:
        if isinstance(types, str):
            return _TYPES[types]
        tests = [_TYPES[t] for t in types]
        return lambda v: any(t(v) for t in tests)

    def _enum(self, values: list, schema: dict, resolver) -> Check:
        if values and all(isinstance(x, str) for x in values):
            allowed = frozenset(values)
            return lambda v: isinstance(v, str) and v in allowed
        return lambda v: any(_equal(x, v) for x in values)

    def _const(self, value: Any, schema: dict, resolver) -> Check:
        return lambda v: _equal(value, v)

    def _properties(self, props: dict, schema: dict, resolver) -> Check:
        table = {k: self.compile(s, resolver) for k, s in props.items()}
        extra = schema.get("additionalProperties", True)
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        pattern_checks = [(re.compile(p), self.compile(s, resolver))
                          for p, s in schema.get("patternProperties", {}).items()]
        extra_check = None if extra is True else self.compile(extra, resolver)

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for k, x in v.items():
                c = table.get(k)
                if c is not None:
                    if not c(x):
                        return False
                elif extra_check is not None and not any(p.search(k) for p in patterns):
                    if not extra_check(x):
                        return False
                for p, pc in pattern_checks:
                    if p.search(k) and not pc(x):
                        return False
            return True
        return check

    def _additionalProperties(self, extra: Any, schema: dict, resolver) -> Check:
        if "properties" in schema:  # _properties handles both
            return lambda v: True
        return self._properties({}, schema, resolver)

    def _patternProperties(self, pats: dict, schema: dict, resolver) -> Check:
        if "properties" in schema or "additionalProperties" in schema:
            return lambda v: True
        return self._properties({}, schema, resolver)

    def _required(self, keys: list[str], schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, dict) or all(k in v for k in keys)

    def _dependentRequired(self, deps: dict, schema: dict, resolver) -> Check:
        pairs = list(deps.items())
        return lambda v: not isinstance(v, dict) or all(
            k not in v or all(o in v for o in others) for k, others in pairs)

    def _propertyNames(self, names: Any, schema: dict, resolver) -> Check:
        c = self.compile(names, resolver)
        return lambda v: not isinstance(v, dict) or all(c(k) for k in v)

    def _minProperties(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) >= n

    def _maxProperties(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) <= n

    def _items(self, items: Any, schema: dict, resolver) -> Check:
        if isinstance(items, list):
            raise _Unsupported("items as a list")
        c = self.compile(items, resolver)
        return lambda v: not isinstance(v, list) or all(c(x) for x in v)

    def _minItems(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= n

    def _maxItems(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= n

    def _pattern(self, pattern: str, schema: dict, resolver) -> Check:
        p = re.compile(pattern)
        return lambda v: not isinstance(v, str) or p.search(v) is not None

    def _minLength(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= n

    def _maxLength(self, n: int, schema: dict, resolver) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= n

    # Written as `not (v < m)` like jsonschema's `if v < m: error`, so NaN passes as it does there.
    def _minimum(self, m: float, schema: dict, resolver) -> Check:
        return lambda v: not _is_number(v) or not (v < m)

    def _maximum(self, m: float, schema: dict, resolver) -> Check:
        return lambda v: not _is_number(v) or not (v > m)

    def _exclusiveMinimum(self, m: float, schema: dict, resolver) -> Check:
        return lambda v: not _is_number(v) or not (v <= m)

    def _exclusiveMaximum(self, m: float, schema: dict, resolver) -> Check:
        return lambda v: not _is_number(v) or not (v >= m)

    def _allOf(self, schemas: list, schema: dict, resolver) -> Check:
        return _all([self.compile(s, resolver) for s in schemas])

    def _anyOf(self, schemas: list, schema: dict, resolver) -> Check:
        checks = [self.compile(s, resolver) for s in schemas]
        return lambda v: any(c(v) for c in checks)

    def _oneOf(self, schemas: list, schema: dict, resolver) -> Check:
        checks = [self.compile(s, resolver) for s in schemas]
        return lambda v: sum(1 for c in checks if c(v)) == 1

    def _not(self, sub: Any, schema: dict, resolver) -> Check:
        c = self.compile(sub, resolver)
        return lambda v: not c(v)


_KEYWORDS = frozenset({
    "$ref", "type", "enum", "const", "properties", "additionalProperties", "patternProperties",
    "required", "dependentRequired", "propertyNames", "minProperties", "maxProperties", "items",
    "minItems", "maxItems", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "allOf", "anyOf", "oneOf", "not",
})


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


def fast_check(schema: Any, registry: Registry) -> Check | None:
    """A Draft 2020-12 schema (whose $refs `registry` resolves) as a plain predicate that answers
    exactly what jsonschema's `is_valid` would, or None if it uses keywords outside the subset."""
    root = Resource.from_contents(schema, default_specification=DRAFT202012)
    try:
        return _Compiler().compile(schema, registry.resolver_with_root(root))
    except _Unsupported:
        return None


def _layer(schema: Any, cls: type, registry: Registry, origin: str | None) -> _Layer:
    validator = _located(cls)(schema, registry=registry)
    quick = fast_check(schema, registry) if cls is validators.Draft202012Validator else None
    return _Layer(validator, quick or validator.is_valid, _params_of(schema), origin)


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
        registry = Registry().with_resources(
            (SCHEMA_BASE + name + ".json", Resource.from_contents(doc, DRAFT202012))
            for name, doc in docs.items()).crawl()
        draft = validators.Draft202012Validator
        builtin = {t: _layer(docs[t], draft, registry, None) for t in EVENT_TYPES}
        envelope = _layer({"$ref": _ENVELOPE_REF}, draft, registry, None)
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
                layer = _layer(schema, draft, registry, path.name)
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
        if all(layer.quick(body) for layer in layers):
            return []
        found: dict[SchemaError, None] = {}
        for layer in layers:
            for error in layer.errors(body):
                found.setdefault(error)
        return list(found)
