"""What a broken or hostile client sends, as hypothesis strategies shared by the fuzz tests.

The fuzz tests feed these through the real readers and the real tracker and then count: every API
call must end as a session entry or an orphan (with findings when its body is bad), and every file
that cannot be read must end in a one-line CaptureError. `BAD_BODIES` pairs each body that cannot
be an event with the words its `body-not-json` finding must say, so a test can tell "the right
finding" from "some finding".
"""

from __future__ import annotations

import gzip
import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from playhead.core.schemas import SchemaSet

START = 1764115200000  # epoch ms of the first event
HOST = "https://acme.hb-api.omtrdc.net"
LIMIT = 1 << 20  # Config.body_limit
SCHEMAS = SchemaSet.load()  # loaded once: a fresh load per example would be most of the time


def bounded(examples: int) -> settings:
    """Fuzz settings that keep the suite fast and repeatable: few examples, the same every run.
    PLAYHEAD_FUZZ=N runs N fresh random examples per test instead, to hunt at length by hand."""
    hunt = int(os.environ.get("PLAYHEAD_FUZZ", "0"))
    return settings(max_examples=hunt or examples, deadline=None, derandomize=not hunt, database=None,
                    suppress_health_check=list(HealthCheck))

SESSION_START = {
    "playerTime": {"playhead": 0, "ts": START},
    "eventType": "sessionStart",
    "params": {
        "analytics.trackingServer": "t", "analytics.reportSuite": "r",
        "visitor.marketingCloudOrgId": "o", "media.id": "m", "media.contentType": "vod",
        "media.playerName": "p", "media.channel": "c", "media.length": 60,
    },
}
PLAY = {"playerTime": {"playhead": 1, "ts": START + 1000}, "eventType": "play"}


def body(event: dict) -> bytes:
    return json.dumps(event).encode()


def nested(depth: int) -> bytes:
    return b'{"eventType":"play","params":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


# Each body that cannot be an event, and what its body-not-json message must say.
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty body"),
    "whitespace": (b" \r\n\t", "only whitespace"),
    "truncated": (body(PLAY)[:-7], "not JSON"),
    "NaN": (b'{"eventType":"play","playerTime":{"playhead":NaN,"ts":1}}', "NaN is not valid JSON"),
    "Infinity": (b'{"eventType":"play","playerTime":{"playhead":1,"ts":-Infinity}}',
                 "Infinity is not valid JSON"),
    "5000-digit number": (b'{"eventType":"play","playerTime":{"ts":' + b"9" * 5000 + b"}}",
                          "digits; not parsed"),
    "100000 levels deep": (nested(100_000), "nested too deeply"),
    "Latin-1": ('{"eventType":"café"}'.encode("latin-1"), "not UTF-8"),
    "UTF-16": (body(PLAY).decode().encode("utf-16"), "not UTF-8"),
    "CESU surrogate": (b'{"eventType":"\xed\xa0\x80"}', "not UTF-8"),
    "gzip, undecoded": (gzip.compress(body(PLAY)), "not UTF-8"),
    "BOM": (b"\xef\xbb\xbf" + body(PLAY), "BOM"),
    "array": (b"[1, 2]", "JSON list where an event object was expected"),
    "string": (b'"play"', "JSON str where an event object was expected"),
    "null": (b"null", "JSON NoneType where an event object was expected"),
    "trailing data": (body(PLAY) + b"\x00", "Extra data"),
    "two objects": (body(PLAY) + b" " + body(PLAY), "Extra data"),
    "over 1 MiB": (b'{"eventType":"play","pad":"' + b"x" * LIMIT + b'"}', "over the 1048576-byte limit"),
}

# Values a client puts where a number belongs; the ones in WRONG_TYPE must draw a schema finding.
WRONG_TYPE = ['"12"', '"1e3"', '"1764115201000"', "true", "null", "[1]", "{}", '""']
ODD_NUMBERS = ["1e400", "-1e400", "1e-400", "-0.0", "1" + "0" * 19, "1" + "0" * 400,
               "1.7976931348623157e308", "0.1", "-1"]
NUMBER_SLOTS = {  # where a number belongs: (event, a placeholder that the value replaces)
    "ts": '{"eventType":"play","playerTime":{"playhead":1,"ts":@}}',
    "playhead": '{"eventType":"play","playerTime":{"playhead":@,"ts":%d}}' % (START + 1000),
    "podIndex": '{"eventType":"adBreakStart","playerTime":{"playhead":1,"ts":%d},'
                '"params":{"media.ad.podIndex":@,"media.ad.podSecond":0}}' % (START + 1000),
    "bitrate": '{"eventType":"bitrateChange","playerTime":{"playhead":1,"ts":%d},'
               '"qoeData":{"media.qoe.bitrate":@}}' % (START + 1000),
}

# Strings that must stay text wherever they are shown.
HOSTILE_TEXT = [
    "[bold red]boom[/]", "[link=https://evil.example]x[/link]", "\x1b[31mred\x1b[0m", "\x07\x08\x7f",
    "\x9b2J", "\u202eevil", "\x00", "\ud800", "line\nbreak", "tab\there", "é✓😀", "%s%n{0}", "../..",
    "'\"\\", "a" * 300,
]
ODD_SIDS = [
    "%2F..%2F", "..", ".", "%00", "\x1b[31m", "[bold]x", "[link=https:]", "é", "s" * 2000, "sid;p=1", "sid with space",
    "%E2%80%AE", "\u202e", "\ud800", "-1", "0", "NaN", "\x00",
]
ODD_LOCATIONS = [
    "http://[::1/api/v1/sessions/abc", "//[/api/v1/sessions/x", " ", "/api/v1/sessions/", "abc",
    "/api/v1/sessions/abc?x=1#f", "\x1b[31m/api/v1/sessions/red", "/api/v1/sessions/%2e%2e",
]

hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))
sids = st.one_of(
    st.sampled_from(ODD_SIDS),
    st.text(st.characters(exclude_characters="/?#"), min_size=1, max_size=16),
)


def slot_body(slot: str, value: str) -> bytes:
    return NUMBER_SLOTS[slot].replace("@", value).encode()


@st.composite
def event_bodies(draw) -> bytes:
    """A body as a client may really send it: well formed, or hostile in one of many ways."""
    kind = draw(st.sampled_from(["bad", "slot", "truncated", "text", "binary", "good"]))
    if kind == "bad":
        return BAD_BODIES[draw(st.sampled_from(sorted(BAD_BODIES)))][0]
    if kind == "slot":
        value = draw(st.sampled_from(WRONG_TYPE + ODD_NUMBERS + ["NaN", "Infinity"]))
        return slot_body(draw(st.sampled_from(sorted(NUMBER_SLOTS))), value)
    if kind == "truncated":
        whole = body(draw(st.sampled_from([SESSION_START, PLAY])))
        return whole[: draw(st.integers(0, len(whole) - 1))]
    if kind == "text":  # hostile strings as the event type, a key and a value
        event = {"eventType": draw(hostile_text), "playerTime": {"playhead": 1, "ts": START + 1000},
                 "params": {draw(hostile_text): draw(hostile_text)},
                 "customMetadata": {draw(hostile_text): draw(hostile_text)}}
        return json.dumps(event, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == "binary":
        return draw(st.binary(max_size=64))
    return body(draw(st.sampled_from([SESSION_START, PLAY])))


def accounted(tracker) -> int:
    """How many calls the tracker kept somewhere: in a session or as an orphan sessionStart. A
    downloaded batch is one call that holds a whole session: its events count once."""
    entries = [e for s in tracker.sessions.values() for e in s.entries] + tracker.orphans
    batches = {id(e.call) for e in entries if e.part is not None}
    return sum(s.calls for s in tracker.sessions.values()) + len(tracker.orphans) \
        - sum(1 for e in entries if e.part is not None) + len(batches)
