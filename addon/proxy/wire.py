"""What crosses the pipe from the dashboard's proxy process (child.py) to the dashboard's
(process.py): `(kind, payload)` tuples, pickled and length-framed by
`multiprocessing.connection.Connection` over a plain pipe.

A Call travels as the tuple of its fields, not as the dataclass: smaller, and free of the
lazily worked-out route (a sentinel object that would not survive pickling). Both ends are the
same installed playhead, started by the dashboard itself: the pickles are its own.
"""

from __future__ import annotations

from typing import Any

from ..core.call import Call
from .recorder import LINE_OVERHEAD

READY = "ready"  # the proxy listens: {"listen": (host, port), "record_notice": str | None}
ERROR = "error"  # it could not start, or stopped on its own: one line
CALLS = "calls"  # [call fields, ...] in the order they completed
NOTE = "note"  # a failure inside the proxy process: an internal-error finding's message
LOG = "log"  # one line of mitmproxy's own warnings (a device refusing the CA ...)
MARK = "mark"  # "reset": where the automation API's reset falls among the calls
BYE = "bye"  # stopped cleanly: {"undelivered": n, "unrecorded": n}

Message = tuple[str, Any]
CallFields = tuple[str, str, "bytes | None", "int | None", tuple, "tuple | None", "bytes | None", float, str]


def fields(call: Call) -> CallFields:
    return (call.method, call.url, call.request_body, call.status, call.request_headers,
            call.response_headers, call.response_body, call.time, call.source)


def call(f: CallFields) -> Call:
    return Call(*f)


def undelivered(count: int) -> str:
    """The internal-error message for calls the dashboard did not take in time: the child says
    it as it happens (NOTE), the dashboard at the end (BYE's count)."""
    return (f"{count} call(s) did not reach the dashboard: it fell behind and the proxy does not wait "
            "for it (the recording has them)")


def size(f: CallFields) -> int:
    """What the call's fields cost a queue's bound: its bodies and roughly the rest."""
    return len(f[2] or b"") + len(f[6] or b"") + LINE_OVERHEAD
