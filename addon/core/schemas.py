"""JSON Schema validation of Media Collection API bodies, one compiled validator per event type.

The schemas are data shipped in the package `playhead.schemas` (Draft 2020-12, one file per
event type plus `defs.json`). They are loaded through importlib.resources so an installed wheel
finds them, compiled once, and optionally tightened by a team's own schemas (`--schemas DIR`).

Every error comes out led by its JSON path (`$.params['media.id']`, `$.playerTime.ts`) with a
short one-line message, because findings, reports and the dashboard's highlighting all key on it
(schema_detail.py builds them with jsonschema).

Most bodies are valid, and jsonschema spends hundreds of µs proving it (a sessionStart: ~480 µs
here). So each schema is also compiled by jsonschema-rs (`fast_check`, ~1.5 µs per event); a body
that passes is done, and only a failing body is handed to jsonschema for the detailed, path-led
errors. tests/test_schemas.py checks that the two always agree. jsonschema itself (~0.1 s to
import) is loaded only when a body fails or a team's schemas are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

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
# Paths and values as messages show them (schema_detail.py and the dashboard use these too)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
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
            key = escape_controls(key.replace("\\", "\\\\").replace("'", "\\'"))
            out.append(f"['{key}']")
    return "".join(out)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any) -> str:
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


def one_line(text: str) -> str:
    return _clip(escape_controls(text), _MESSAGE_LIMIT)


# ---------------------------------------------------------------------------------------------
# The fast path

Check = Callable[[Any], bool]


def fast_check(schema: Any, documents: Documents) -> Check | None:
    """`schema` compiled by jsonschema-rs (~1.5 µs per event here, against ~140 µs for jsonschema)
    as a yes/no predicate, or None when jsonschema-rs cannot compile it (draft 3, say).

    The predicate raises for a value jsonschema-rs cannot convert (an Overflow, a non-string key):
    jsonschema judges those. tests/test_schemas.py shows the two agree on every JSON value a body
    can hold (NaN cannot: the body parser rejects it)."""
    try:
        import jsonschema_rs  # noqa: PLC0415 - only `check` and the proxy pay for loading it
        return jsonschema_rs.validator_for(schema, registry=documents.rs_registry()).is_valid
    except Exception:  # noqa: BLE001 - anything jsonschema-rs refuses is left to jsonschema
        return None


class Documents:
    """The schemas a $ref may reach, by URI, and each library's registry of them: built on first
    need, once for all the schemas of a SchemaSet."""

    __slots__ = ("by_uri", "_rs_registry", "_registry")

    def __init__(self, by_uri: dict[str, Any]) -> None:
        self.by_uri = by_uri
        self._rs_registry: Any = None
        self._registry: Any = None

    def rs_registry(self) -> Any:
        if self._rs_registry is None:
            import jsonschema_rs  # noqa: PLC0415

            self._rs_registry = jsonschema_rs.Registry(list(self.by_uri.items()))
        return self._rs_registry

    def registry(self) -> Any:
        """jsonschema's (referencing's) crawled registry."""
        if self._registry is None:
            from . import schema_detail  # noqa: PLC0415 - jsonschema only when needed

            self._registry = schema_detail.crawled(self.by_uri)
        return self._registry


# ---------------------------------------------------------------------------------------------
# Loading

class _Layer:
    """One schema applied to a body: jsonschema-rs's yes/no first, jsonschema for the details.

    The jsonschema validator is built the first time a body fails (or jsonschema-rs cannot
    answer), so a clean capture never imports jsonschema at all."""

    __slots__ = ("schema", "draft", "documents", "params", "origin", "quick", "_validator")

    def __init__(self, schema: Any, draft: type | None, documents: Documents,
                 origin: str | None) -> None:
        self.schema = schema
        self.draft = draft  # the jsonschema class of a team schema's draft; None: 2020-12
        self.documents = documents  # what its $refs reach
        self.params = _params_of(schema)
        self.origin = origin  # a team schema's file name, named in its errors; None for built-ins
        self._validator: Any = None
        self.quick = fast_check(schema, documents) or self._is_valid

    def _detail(self) -> Any:
        if self._validator is None:
            from . import schema_detail  # noqa: PLC0415 - jsonschema only when needed

            self._validator = schema_detail.validator(self.schema, self.draft, self.documents)
        return self._validator

    def _is_valid(self, body: Any) -> bool:
        return self._detail().is_valid(body)

    def errors(self, body: Any) -> Iterator[SchemaError]:
        from . import schema_detail  # noqa: PLC0415

        return schema_detail.schema_errors(self._detail().iter_errors(body), self.origin)


def _params_of(schema: Any) -> frozenset[str]:
    try:
        return frozenset(schema["properties"]["params"]["properties"])
    except (KeyError, TypeError):
        return frozenset()


def _builtin_documents(subfolder: str, names: Sequence[str]) -> dict[str, Any]:
    folder = resources.files("playhead.schemas")
    if subfolder:
        folder = folder.joinpath(subfolder)
    docs = {}
    for name in [*names, "defs"]:
        entry = folder.joinpath(name + ".json")
        try:
            docs[name] = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaLoadError(f"built-in schema {subfolder + '/' if subfolder else ''}{name}.json is missing or broken "
                                  f"(reinstall playhead): {exc}") from None
    return docs


class SchemaSet:
    """The compiled schemas of every event type of one protocol, plus a team's tightening ones.
    Build it with `SchemaSet.load()` (the Media Collection API's) or through a protocol adapter;
    one instance serves any number of threads (nothing in it changes)."""

    def __init__(self, builtin: dict[str, _Layer], envelope: _Layer,
                 extras: dict[str, list[_Layer]], extras_all: list[_Layer]) -> None:
        self._envelope = envelope
        self._layers = {t: [builtin[t], *extras.get(t, ()), *extras_all] for t in builtin}
        self._known = {t: frozenset().union(*(layer.params for layer in layers))
                       for t, layers in self._layers.items()}

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = (), *, subfolder: str = "",
             types: Sequence[str] = EVENT_TYPES, envelope_def: str = "event") -> "SchemaSet":
        """Built-in schemas from the installed package (`subfolder` of `playhead.schemas`: ""
        for the Media Collection API, one folder per other protocol: a file per type in `types`
        plus `defs.json`, whose `envelope_def` judges a body of an unknown type), then each
        `extra_dirs` folder's `<eventType>.json` (that type) and `all.json` (every documented
        type). Raises SchemaLoadError naming the file for anything unusable."""
        docs = _builtin_documents(subfolder, types)
        base = SCHEMA_BASE + (subfolder + "/" if subfolder else "")
        documents = Documents({base + name + ".json": doc for name, doc in docs.items()})
        builtin = {t: _Layer(docs[t], None, documents, None) for t in types}
        envelope = _Layer({"$ref": f"{base}defs.json#/$defs/{envelope_def}"}, None, documents, None)
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
                from . import schema_detail  # noqa: PLC0415 - team schemas need jsonschema

                schema, draft = schema_detail.read_extra(path, documents)
                layer = _Layer(schema, draft, documents, path.name)
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
            try:
                if not layer.quick(body):
                    break
            except Exception:  # noqa: BLE001 - a value jsonschema-rs cannot judge: jsonschema will
                break
        else:
            return []
        found: dict[SchemaError, None] = {}
        for layer in layers:
            for error in layer.errors(body):
                found.setdefault(error)
        return list(found)
