"""The seam between wire protocols and the engine: what every protocol adapter answers.

The tracker asks an adapter four things, and nothing else about the wire: which calls are its own
(`route`, by path: hosts are customer specific), what one call's body says in the engine's
vocabulary (`entry`: event type, ts in epoch ms, playhead in s, neutral details), which session a
start call opened (`start_sid`, from the answer), and where in the body the device sent a field
lives (`path`, so a finding points into the real body). Each adapter also brings its own body
checks (a rule family that judges the wire format: schemas, names, endpoints) and its own JSON
Schemas. The state machine and the timeline rules never see a wire key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..model import MEDIA_READERS

if TYPE_CHECKING:
    from ..call import Call
    from ..model import Entry
    from ..schemas import SchemaSet
    from ..timeline import Family


class Kind(Enum):
    """What a call is for its protocol."""

    START = "start"  # opens a session; the answer names its sid
    EVENT = "event"  # one event of an open session
    DOWNLOADED = "downloaded"  # a whole offline session in one call


class Route(NamedTuple):
    """A call's place in its protocol, from the path alone (a tuple: one is made per request)."""

    protocol: Protocol
    kind: Kind
    sid: str | None = None  # when the path carries it (Media Collection events)
    action: str | None = None  # the event the path names (Media Edge `/va/v1/{action}`)


class Protocol(ABC):
    """One wire protocol. Adapters are stateless singletons: one instance serves every thread."""

    name: str  # stable id in reports and the JSON contract: "media-collection", "media-edge"
    label: str  # for people: "Media Collection API"
    short: str  # for narrow columns: "MC", "Edge"
    markers: tuple[str, ...]  # a substring of every path of the protocol: the cheap first test

    @abstractmethod
    def route(self, path: str) -> Route | None:
        """The call's route when its path (without the query) is one of this protocol's."""

    @abstractmethod
    def entry(self, call: Call, route: Route, index: int, limit: int) -> Entry | None:
        """The call read into an Entry (neutral fields filled, body errors said), or None when
        the body shows the call is not media tracking after all (an Edge interact without a media
        sessionStart)."""

    @abstractmethod
    def batch(self, call: Call, route: Route, limit: int) -> list[Entry] | None:
        """A downloaded (offline) session posted whole in one call: its events as Entries, in the
        batch's order, each with `part` set (one Entry with its body error when the batch cannot
        be read). None when the call is not a batch."""

    @abstractmethod
    def start_sid(self, call: Call) -> str | None:
        """The sid a successful start call's answer names; None when the answer names none."""

    @abstractmethod
    def start_rejected(self, call: Call) -> str | None:
        """Why a start call opened no session (one line), or None when it did or the answer is
        not in the capture (then the session is linked by order)."""

    @abstractmethod
    def start_answered(self, call: Call) -> bool:
        """Whether the start call's status is the protocol's success (201, 200): with no sid found
        in a capture that kept no answer details, the session is still linked by order."""

    @abstractmethod
    def start_metadata(self, entry: Entry) -> dict[str, Any]:
        """The start's metadata object as the wire named it (kept as `Session.params`)."""

    @abstractmethod
    def path(self, event_type: str | None, field: str, part: int | None = None) -> str | None:
        """Where a neutral field (core.vocab) of this event type lives in the body as sent (in
        event `part` of a downloaded batch)."""

    @abstractmethod
    def media(self, params: dict[str, Any]) -> dict[str, Any]:
        """`id`, `name`, `contentType`, `length` from a start's metadata as the wire named it
        (`Session.params`), for reports and the dashboard."""

    @abstractmethod
    def checks(self) -> type[Family]:
        """The family of this protocol's own body checks (schemas, names, endpoints)."""

    @abstractmethod
    def load_schemas(self, extra_dirs: Sequence[Path] = ()) -> SchemaSet:
        """The protocol's JSON Schemas, compiled, tightened by a team's folders if given."""

    @property
    def default_schemas(self) -> SchemaSet:
        """The built-in schemas, compiled once per process on first need."""
        cached: Any = self.__dict__.get("_schemas")
        if cached is None:
            cached = self.__dict__["_schemas"] = self.load_schemas()
        return cached

    def __init__(self) -> None:
        MEDIA_READERS[self.name] = self.media  # Session.media, without the model importing adapters

    def __repr__(self) -> str:
        return f"<protocol {self.name}>"
