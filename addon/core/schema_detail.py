"""jsonschema's side of schema checking: the detailed, path-led errors, and a team's own schemas.

Imported only when a body fails jsonschema-rs's yes/no (or it cannot answer) and when `--schemas`
names a folder: jsonschema takes ~0.1 s to import, which a clean `playhead check` never pays.

To get a useful path for missing or unexpected keys, four keywords are re-implemented so the
error points at the key itself instead of at the object holding it; everything else is
jsonschema's own. Messages are built from the error's parts, never from the offending value.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import exceptions as js_exceptions
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from .schemas import (
    Documents, SchemaError, SchemaLoadError, escape_controls, json_path, one_line, show,
)


def validator(schema: Any, draft: type | None, documents: Documents) -> Any:
    """A jsonschema validator of `schema` (draft 2020-12 unless `draft` says otherwise) with the
    located keywords, resolving $refs among `documents`."""
    return _located(draft or validators.Draft202012Validator)(schema, registry=documents.registry())


def crawled(by_uri: dict[str, Any]) -> Registry:
    """A referencing registry of these schemas (Documents.registry keeps one per SchemaSet)."""
    return Registry().with_resources(
        (uri, Resource.from_contents(doc, DRAFT202012)) for uri, doc in by_uri.items()).crawl()


# ---------------------------------------------------------------------------------------------
# Keywords re-implemented so that the error's path names the key (missing, unexpected, badly
# named, or a missing companion) rather than the object that holds it. Same semantics otherwise.

def _required(validator, required, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for key in required:
        if key not in instance:
            yield ValidationError(f"missing required property {show(key)}", path=(key,))


def _dependent_required(validator, dependent, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for key, companions in dependent.items():
        if key in instance:
            for other in companions:
                if other not in instance:
                    yield ValidationError(
                        f"missing {show(other)}, which must come with {show(key)}", path=(other,))


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
            yield ValidationError(f"unexpected key {show(key)}{hint}", path=(key,))


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
def _located(cls: Any) -> Any:
    """`cls` with the located keywords swapped in (only those its draft has)."""
    return validators.extend(cls, {k: f for k, f in _LOCATED_KEYWORDS.items() if k in cls.VALIDATORS})


# ---------------------------------------------------------------------------------------------
# Turning jsonschema errors into SchemaErrors

def _message(error: ValidationError) -> str:
    """What is wrong, built from the error's parts: jsonschema's own messages embed the whole
    offending value, which can be a megabyte."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind in _LOCATED_KEYWORDS:
        text = error.message
    elif kind == "type":
        names = expected if isinstance(expected, str) else " or ".join(expected)
        text = f"expected {names}, got {show(value)}"
    elif kind == "enum":
        text = f"expected one of {', '.join(show(v) for v in expected)}; got {show(value)}"
    elif kind == "const":
        text = f"expected {show(expected)}, got {show(value)}"
    elif kind == "pattern":
        text = f"{show(value)} does not match {expected}"
    elif kind is None:  # the `false` schema
        text = "not allowed here"
    elif kind in ("anyOf", "oneOf") and _only_missing_keys(error):
        keys = dict.fromkeys(show(e.path[-1]) for e in error.context)
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


def schema_errors(errors: Iterable[ValidationError], origin: str | None) -> Iterator[SchemaError]:
    suffix = escape_controls(f" (required by {origin})") if origin else ""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context and not _only_missing_keys(error):
            error = best_match([error])  # one bad error event must not list every alternative
        yield SchemaError(json_path(error.absolute_path), one_line(_message(error)) + suffix)


# ---------------------------------------------------------------------------------------------
# A team's schemas

def read_extra(path: Path, documents: Documents) -> tuple[Any, type]:
    """A team's schema file, checked whole at load (not mid-capture): its JSON, its draft, the
    schema itself and every $ref it makes, against the built-in `documents`."""
    schema, draft = _read_extra(path)
    root = Resource.from_contents(schema, default_specification=DRAFT202012)
    _check_refs(schema, documents.registry().resolver_with_root(root), path)
    return schema, draft


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
        raise SchemaLoadError(f"{path}: a schema must be a JSON object, not {show(schema)}")
    dialect = schema.get("$schema") if isinstance(schema, dict) else None
    if dialect is not None and (not isinstance(dialect, str)
                                or validators.validator_for(schema, default=None) is None):
        raise SchemaLoadError(f"{path}: unsupported $schema {show(dialect)} "
                              "(use draft 2020-12, 2019-09, 7, 6, 4 or 3)")
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except js_exceptions.SchemaError as exc:
        where = json_path(exc.absolute_path)
        raise SchemaLoadError(f"{path}: not a valid JSON Schema at {where}: "
                              f"{one_line(exc.message)}") from None
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


