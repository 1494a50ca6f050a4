"""The checklist file format (SPEC §13): a small declarative file, JSON or TOML, validated on load.

    {"name": "vod-preroll",                       # the CLI value; defaults to the file's stem
     "title": "VOD playback with pre-roll ads",
     "source": "https://experienceleague.adobe.com/...",   # the page the checklist comes from
     "applies_to": {"contentType": ["vod"]},      # optional; also "downloaded": true|false
     "steps": [
       {"title": "A pre-roll ad break at playhead 0",
        "expect": {"event": "adBreakStart", "playhead": {"max": 1}}},
       {"title": "No error finding", "expect": {"no_findings": {"severity": "error"}}}]}

A step's `expect` is exactly one condition:
- `event`: an event type (or a list of them), optionally with `params` (each value either the
  exact value, or `{"min": n, "max": n}`, or `{"present": true}`) and `playhead` `{"min", "max"}`.
  Event steps are ordered: each must be met by a call after the one that met the event step
  before it. Passed when seen; failed when the session closed without it; else incomplete.
- `absent`: the same kind of event match that must never be seen (failed at the first one).
- `no_findings`: `{"severity": "error"|"warning"|"info"}` (that severity or worse) and/or
  `{"rules": [...]}`: failed at the first such finding, passed once the session is closed.
Each step may carry its own `source` (else the checklist's). Anything else is refused with one
line naming the file and the place in it.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.findings import Severity

CONDITIONS = ("event", "absent", "no_findings")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


class ChecklistError(Exception):
    """A checklist file that cannot be used; one line, file name first."""


@dataclass(frozen=True, slots=True)
class EventMatch:
    """Which calls an `event` or `absent` step is about."""

    types: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()  # (key, exact value | {"min","max"} | {"present"})
    playhead: tuple[float | None, float | None] = (None, None)

    def describe(self) -> str:
        parts = [" or ".join(self.types)]
        parts += [f"{key} {_describe_value(value)}" for key, value in self.params]
        low, high = self.playhead
        if low is not None or high is not None:
            parts.append(f"playhead {_describe_value({'min': low, 'max': high})}")
        return parts[0] + (f" with {', '.join(parts[1:])}" if len(parts) > 1 else "")


@dataclass(frozen=True, slots=True)
class FindingMatch:
    severity: Severity | None = None
    rules: tuple[str, ...] = ()

    def describe(self) -> str:
        what = []
        if self.severity is not None:
            what.append(f"{self.severity.label}{' or worse' if self.severity < Severity.ERROR else ''}")
        if self.rules:
            what.append(", ".join(self.rules))
        return " / ".join(what) + " finding"


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    kind: str  # one of CONDITIONS
    match: EventMatch | FindingMatch
    source: str


@dataclass(frozen=True, slots=True)
class Checklist:
    name: str
    title: str
    source: str
    steps: tuple[Step, ...]
    content_types: tuple[str, ...] = ()  # lower case; empty: any
    downloaded: bool | None = None
    path: str = field(default="", compare=False)

    def applies_to(self, content_type: Any, downloaded: bool) -> bool:
        if self.content_types and (not isinstance(content_type, str)
                                   or content_type.lower() not in self.content_types):
            return False
        return self.downloaded is None or self.downloaded == downloaded

    def describe_scope(self) -> str:
        scope = []
        if self.content_types:
            scope.append(f"contentType {' or '.join(self.content_types)}")
        if self.downloaded is not None:
            scope.append("downloaded content" if self.downloaded else "streamed content")
        return ", ".join(scope) or "every session"


def load_file(path: Path) -> Checklist:
    """Read and validate one checklist file (.json or .toml)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ChecklistError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    try:
        return parse(data, path.stem, str(path))
    except ValueError as exc:
        raise ChecklistError(f"{path}: {exc}") from None


def parse(data: Any, default_name: str, path: str = "") -> Checklist:
    """A checklist from its decoded document; ValueError naming the place when it is wrong."""
    _object(data, "the document", {"name", "title", "source", "applies_to", "steps"})
    name = _text(data.get("name", default_name), "name")
    if not NAME.fullmatch(name):
        raise ValueError(f"name {name!r}: letters, digits, '.', '_' and '-' only (it is a CLI value and a URL part)")
    title = _text(data.get("title", name), "title")
    source = _text(data.get("source"), "source")
    content_types: tuple[str, ...] = ()
    downloaded = None
    if "applies_to" in data:
        scope = _object(data["applies_to"], "applies_to", {"contentType", "downloaded"})
        if "contentType" in scope:
            types = scope["contentType"]
            types = [types] if isinstance(types, str) else types
            if not isinstance(types, list) or not types:
                raise ValueError("applies_to.contentType: a string or a non-empty list of strings")
            content_types = tuple(_text(t, "applies_to.contentType").lower() for t in types)
        if "downloaded" in scope:
            if not isinstance(scope["downloaded"], bool):
                raise ValueError("applies_to.downloaded: true or false")
            downloaded = scope["downloaded"]
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ValueError("steps: a non-empty list of steps")
    return Checklist(name, title, source, tuple(_step(s, f"steps[{i}]", source) for i, s in enumerate(steps)),
                     content_types, downloaded, path)


def _step(data: Any, where: str, default_source: str) -> Step:
    _object(data, where, {"title", "expect", "source"})
    title = _text(data.get("title"), f"{where}.title")
    source = _text(data.get("source", default_source), f"{where}.source")
    expect = data.get("expect")
    if not isinstance(expect, dict) or len(expect) != 1 or next(iter(expect)) not in CONDITIONS:
        raise ValueError(f"{where}.expect: exactly one of {', '.join(CONDITIONS)}")
    kind, value = next(iter(expect.items()))
    at = f"{where}.expect.{kind}"
    if kind == "event":
        spec = value if isinstance(value, dict) else {"type": value}
        return Step(title, kind, _event_match(spec, at, bare_ok=not isinstance(value, dict)), source)
    if kind == "absent":
        return Step(title, kind, _event_match(value, at), source)
    return Step(title, kind, _finding_match(value, at), source)


def _event_match(spec: Any, where: str, bare_ok: bool = False) -> EventMatch:
    if bare_ok:  # "event": "adStart" or "event": ["sessionComplete", "sessionEnd"]
        return EventMatch(_types(spec["type"], where))
    _object(spec, where, {"type", "params", "playhead"})
    if "type" not in spec:
        raise ValueError(f"{where}.type: required (an event type or a list of them)")
    params = []
    for key, value in _object(spec.get("params", {}), f"{where}.params", None).items():
        if isinstance(value, dict):
            _object(value, f"{where}.params.{key}", {"min", "max", "present"})
            if not value or ("present" in value and (len(value) > 1 or value["present"] is not True)):
                raise ValueError(f"{where}.params.{key}: {{\"min\", \"max\"}} numbers or {{\"present\": true}}")
            _bounds(value, f"{where}.params.{key}")
        params.append((key, value))
    playhead = _bounds(_object(spec.get("playhead", {}), f"{where}.playhead", {"min", "max"}), f"{where}.playhead")
    return EventMatch(_types(spec["type"], where), tuple(params), playhead)


def _finding_match(spec: Any, where: str) -> FindingMatch:
    _object(spec, where, {"severity", "rules"})
    severity = None
    if "severity" in spec:
        try:
            severity = Severity.parse(_text(spec["severity"], f"{where}.severity"))
        except KeyError:
            raise ValueError(f"{where}.severity: error, warning or info") from None
    rules = spec.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, str) and r for r in rules):
        raise ValueError(f"{where}.rules: a list of rule ids")
    if severity is None and not rules:
        raise ValueError(f"{where}: name a severity, rules, or both")
    return FindingMatch(severity, tuple(rules))


def _types(value: Any, where: str) -> tuple[str, ...]:
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
        raise ValueError(f"{where}: an event type or a non-empty list of them")
    return tuple(types)


def _bounds(value: dict, where: str) -> tuple[float | None, float | None]:
    for key in ("min", "max"):
        if key in value and (isinstance(value[key], bool) or not isinstance(value[key], (int, float))):
            raise ValueError(f"{where}.{key}: a number")
    return value.get("min"), value.get("max")


def _object(value: Any, where: str, keys: set[str] | None) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    unknown = sorted(set(value) - keys) if keys is not None else []
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(keys or ()))})")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: a non-empty string")
    return value


def _describe_value(value: Any) -> str:
    if not isinstance(value, dict):
        return f"= {json.dumps(value)}"
    if value.get("present"):
        return "present"
    low, high = value.get("min"), value.get("max")
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"≥ {low:g}" if low is not None else f"≤ {high:g}"
