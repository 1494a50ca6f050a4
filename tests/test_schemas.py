"""The built-in schemas and SchemaSet: what passes, what fails and where the error points.

The expected params below are written out from SPEC §3 (Adobe's request-parameter reference),
not read back from the schema files, so a schema that forgets or mistypes a param fails here.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from playhead.core.parse import Overflow
from playhead.core.schemas import (
    EVENT_TYPES, SCHEMA_BASE, Documents, SchemaError, SchemaLoadError, SchemaSet, fast_check,
)

TS = 1764115230000
INF, NINF = Overflow("inf"), Overflow("-inf")  # ±inf as the body parser keeps them (from 1e400)
TIME = {"playhead": 0, "ts": TS}

# SPEC §3: required params and their JSON types.
REQUIRED = {
    "sessionStart": {
        "analytics.trackingServer": "string", "analytics.reportSuite": "string",
        "visitor.marketingCloudOrgId": "string", "media.id": "string",
        "media.contentType": "string", "media.playerName": "string", "media.channel": "string",
        "media.length": "number",
    },
    "adBreakStart": {"media.ad.podIndex": "integer", "media.ad.podSecond": "number"},
    "adStart": {"media.ad.id": "string", "media.ad.length": "number",
                "media.ad.podPosition": "integer", "media.ad.playerName": "string"},
    "chapterStart": {"media.chapter.index": "integer", "media.chapter.offset": "number",
                     "media.chapter.length": "number"},
    "stateStart": {"media.state.name": "string"},
    "stateEnd": {"media.state.name": "string"},
}
CONTENT_METADATA = [
    "media.show", "media.season", "media.episode", "media.assetId", "media.genre",
    "media.firstAirDate", "media.firstDigitalDate", "media.rating", "media.originator",
    "media.network", "media.showType", "media.adLoad", "media.pass.mvpd", "media.pass.auth",
    "media.dayPart", "media.feed", "media.streamFormat", "media.artist", "media.album",
    "media.label", "media.author", "media.station", "media.publisher",
]
# SPEC §3: optional params with a value of the documented type.
OPTIONAL = {
    "sessionStart": {
        "media.name": "Episode 1", "media.streamType": "video", "media.resume": False,
        "media.sdkVersion": "app-1.2", "media.libraryVersion": "android-media-3.0",
        "media.downloaded": True, "analytics.enableSSL": True, "analytics.visitorId": "v",
        "analytics.aid": "aid", "visitor.marketingCloudUserId": "ecid",
        "visitor.aamLocationHint": 9,
        "visitor.customerIDs": {"crm": {"id": "u1", "authState": 1}, "other": {"id": "x", "authState": 0}},
        "appInstallationId": "install-1", "analytics.optOutServerSideForwarding": False,
        "analytics.optOutShare": False,
        **{key: ("2" if key == "media.showType" else "text") for key in CONTENT_METADATA},
    },
    "adBreakStart": {"media.ad.podFriendlyName": "preroll"},
    "adStart": {"media.ad.name": "Ad 1", "media.ad.podFriendlyName": "preroll",
                **{f"media.ad.{k}": "x" for k in
                   ("advertiser", "campaignId", "creativeId", "siteId", "creativeURL", "placementId")}},
    "chapterStart": {"media.chapter.friendlyName": "Act 1"},
    "error": {"media.errorId": "E42", "media.errorSource": "player"},
}
GOOD = {"string": "x", "number": 12.5, "integer": 3}
BAD = {"string": 5, "number": "12.5", "integer": 1.5}


def minimal(kind: str) -> dict:
    body = {"playerTime": dict(TIME), "eventType": kind}
    if kind in REQUIRED:
        body["params"] = {k: GOOD[t] for k, t in REQUIRED[kind].items()}
    if kind == "statesUpdate":
        body["params"] = {"statesStart": [{"media.state.name": "mute"}]}
    return body


def full(kind: str) -> dict:
    body = minimal(kind)
    if kind in OPTIONAL:
        body["params"] = {**body.get("params", {}), **OPTIONAL[kind]}
    if kind == "statesUpdate":
        body["params"]["statesEnd"] = [{"media.state.name": "fullscreen"}]
    body["qoeData"] = {"media.qoe.bitrate": 4_000_000, "media.qoe.droppedFrames": 0,
                       "media.qoe.framesPerSecond": 30, "media.qoe.timeToStart": 850}
    if kind in ("sessionStart", "adStart", "chapterStart"):
        body["customMetadata"] = {"show_id": "S1", "a.b_c.9": "v"}
    return body


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet.load()


def builtin_documents() -> dict[str, dict]:
    folder = resources.files("playhead.schemas")
    return {p.name[:-5]: json.loads(p.read_text(encoding="utf-8"))
            for p in folder.iterdir() if p.name.endswith(".json")}


def stock_registry() -> Registry:
    """The schema files as plain jsonschema sees them: the oracle for SchemaSet's answers."""
    return Registry().with_resources(
        (SCHEMA_BASE + name + ".json", Resource.from_contents(doc, DRAFT202012))
        for name, doc in builtin_documents().items())


def paths(errors: list[SchemaError]) -> list[str]:
    return [e.path for e in errors]


def param_path(key: str) -> str:
    return f"$.params.{key}" if key.isidentifier() else f"$.params['{key}']"


# --- the files -------------------------------------------------------------------------------

def test_one_valid_2020_12_schema_per_documented_type_plus_defs():
    docs = builtin_documents()
    assert set(docs) == {*EVENT_TYPES, "defs"}
    assert len(EVENT_TYPES) == 20
    for name, doc in docs.items():
        Draft202012Validator.check_schema(doc)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert doc["$id"] == SCHEMA_BASE + name + ".json"
    for kind in EVENT_TYPES:
        assert docs[kind]["properties"]["eventType"] == {"const": kind}
        assert docs[kind]["$ref"].startswith("defs.json#/$defs/")


def test_required_params_are_exactly_the_documented_ones():
    docs = builtin_documents()
    for kind in EVENT_TYPES:
        params = docs[kind]["properties"]["params"]
        assert set(params.get("required", [])) == set(REQUIRED.get(kind, {})), kind


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_minimal_and_full_bodies_pass(schemas, kind):
    assert schemas.validate(kind, minimal(kind)) == []
    assert schemas.validate(kind, full(kind)) == []


# --- required params -------------------------------------------------------------------------

REQUIRED_CASES = [(kind, key, t) for kind, keys in REQUIRED.items() for key, t in keys.items()]


@pytest.mark.parametrize("kind,key,type_", REQUIRED_CASES)
def test_missing_required_param_is_reported_at_its_path(schemas, kind, key, type_):
    body = minimal(kind)
    del body["params"][key]
    errors = schemas.validate(kind, body)
    assert paths(errors) == [f"$.params['{key}']"]
    assert key in errors[0].message and "missing" in errors[0].message


@pytest.mark.parametrize("kind,key,type_", REQUIRED_CASES)
def test_mistyped_required_param_is_reported_at_its_path(schemas, kind, key, type_):
    body = minimal(kind)
    body["params"][key] = BAD[type_]
    errors = schemas.validate(kind, body)
    assert paths(errors) == [f"$.params['{key}']"]
    assert errors[0].message.startswith(f"expected {type_}, got")


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_types_with_required_params_need_params(schemas, kind):
    body = minimal(kind)
    del body["params"]
    assert paths(schemas.validate(kind, body)) == ["$.params"]


def test_integers_and_numbers_as_documented(schemas):
    body = minimal("adBreakStart")
    body["params"].update({"media.ad.podIndex": 2.0, "media.ad.podSecond": 21.5})
    assert schemas.validate("adBreakStart", body) == []  # 2.0 is an integer in JSON Schema
    body["params"]["media.ad.podIndex"] = True
    assert paths(schemas.validate("adBreakStart", body)) == ["$.params['media.ad.podIndex']"]
    session = minimal("sessionStart")
    session["params"]["media.length"] = 60.333
    assert schemas.validate("sessionStart", session) == []
    session["playerTime"]["ts"] = TS + 0.5
    assert paths(schemas.validate("sessionStart", session)) == ["$.playerTime.ts"]


# --- optional params, enums ------------------------------------------------------------------

@pytest.mark.parametrize("kind,key", [(k, p) for k, ps in OPTIONAL.items() for p in ps])
def test_every_optional_param_is_known_and_typed(schemas, kind, key):
    assert key in schemas.known_params(kind)
    body = full(kind)
    body["params"][key] = [1]  # no documented param is an array
    assert param_path(key) in paths(schemas.validate(kind, body))


def test_known_params_come_from_the_schema(schemas):
    assert "media.show" in schemas.known_params("sessionStart")
    assert "media.ad.creativeURL" in schemas.known_params("adStart")
    assert schemas.known_params("sessionStart") == (
        set(REQUIRED["sessionStart"]) | set(OPTIONAL["sessionStart"]))
    assert schemas.known_params("adStart") == set(REQUIRED["adStart"]) | set(OPTIONAL["adStart"])
    assert schemas.known_params("statesUpdate") == {"statesStart", "statesEnd"}
    assert schemas.known_params("ping") == frozenset()
    assert schemas.known_params("pause") == frozenset()
    docs = builtin_documents()
    for kind in EVENT_TYPES:
        assert schemas.known_params(kind) == set(docs[kind]["properties"]["params"]["properties"])


@pytest.mark.parametrize("key,good,bad", [
    ("media.streamType", ["audio", "video"], ["vod", "Video", 1]),
    ("media.showType", ["0", "1", "2", "3"], ["4", 0, "full"]),
    ("visitor.customerIDs", [{}, {"crm": {"id": "1", "authState": 2}}],
     [{"crm": {"id": "1", "authState": 3}}, {"crm": {"id": "1", "authState": True}},
      {"crm": {"id": 1, "authState": 1}}, {"crm": {"id": "1"}}, {"crm": "1"}, ["crm"]]),
    ("visitor.aamLocationHint", [1, 9], ["9", 1.5]),
    ("media.resume", [True, False], ["true", 1]),
])
def test_enumerated_and_structured_params(schemas, key, good, bad):
    for value in good:
        body = minimal("sessionStart")
        body["params"][key] = value
        assert schemas.validate("sessionStart", body) == [], value
    for value in bad:
        body = minimal("sessionStart")
        body["params"][key] = value
        errors = schemas.validate("sessionStart", body)
        assert errors and all(e.path.startswith(param_path(key)) for e in errors), value


def test_params_accept_unknown_keys(schemas):
    """Undocumented keys are the unknown-param rule's business, never a schema error."""
    for kind in EVENT_TYPES:
        body = minimal(kind)
        body["params"] = {**body.get("params", {}), "my.extra": {"any": ["thing"]}}
        assert schemas.validate(kind, body) == [], kind


# --- error, ping, qoeData, customMetadata ---------------------------------------------------

def test_the_three_error_shapes_pass(schemas):
    bare = {"playerTime": TIME, "eventType": "error"}
    in_params = {**bare, "params": {"media.errorId": "E1", "media.errorSource": "external"}}
    in_qoe = {**bare, "qoeData": {"media.qoe.errorID": "-1", "media.qoe.errorSource": "player",
                                  "media.qoe.bitrate": 1, "media.qoe.droppedFrames": 0,
                                  "media.qoe.framesPerSecond": 30, "media.qoe.timeToStart": 9}}
    for body in (bare, in_params, in_qoe, {**bare, "params": {}, "qoeData": {}}):
        assert schemas.validate("error", body) == []


def test_broken_error_events(schemas):
    bare = {"playerTime": TIME, "eventType": "error"}
    assert [str(e) for e in schemas.validate("error", {**bare, "params": {"media.errorId": "E1"}})] == [
        "$.params['media.errorSource']: missing 'media.errorSource', which must come with 'media.errorId'"]
    assert paths(schemas.validate("error", {**bare, "params": {
        "media.errorId": "E1", "media.errorSource": "server"}})) == ["$.params['media.errorSource']"]
    assert paths(schemas.validate("error", {**bare, "qoeData": {
        "media.qoe.errorSource": "player"}})) == ["$.qoeData['media.qoe.errorID']"]
    assert paths(schemas.validate("error", {**bare, "qoeData": {
        "media.qoe.errorID": 7, "media.qoe.errorSource": "player"}})) == ["$.qoeData['media.qoe.errorID']"]


def test_error_keys_only_on_error_events(schemas):
    body = {"playerTime": TIME, "eventType": "play",
            "qoeData": {"media.qoe.errorID": "E", "media.qoe.errorSource": "player"}}
    assert paths(schemas.validate("play", body)) == [
        "$.qoeData['media.qoe.errorID']", "$.qoeData['media.qoe.errorSource']"]


def test_qoe_keys_without_their_prefix_fail(schemas):
    """Adobe's own pages show qoeData {"bitrate": ...}; SPEC §11: a real schema error."""
    for kind in ("play", "ping", "bitrateChange", "error"):
        body = {"playerTime": TIME, "eventType": kind, "qoeData": {"bitrate": 1}}
        errors = schemas.validate(kind, body)
        assert paths(errors) == ["$.qoeData.bitrate"], kind
        assert "unexpected key 'bitrate'" in errors[0].message
        assert "media.qoe.bitrate" in errors[0].message


def test_qoe_metrics_are_integers(schemas):
    body = {"playerTime": TIME, "eventType": "bitrateChange", "qoeData": {"media.qoe.framesPerSecond": 29.97}}
    assert paths(schemas.validate("bitrateChange", body)) == ["$.qoeData['media.qoe.framesPerSecond']"]


def test_empty_params_and_qoe_on_ping_pass(schemas):
    assert schemas.validate("ping", {"playerTime": TIME, "eventType": "ping"}) == []
    assert schemas.validate("ping", {"playerTime": TIME, "eventType": "ping", "params": {},
                                     "qoeData": {}, "customMetadata": {}}) == []


def test_custom_metadata_is_a_flat_string_map_with_plain_keys(schemas):
    body = full("sessionStart")
    body["customMetadata"] = {"ok_key.1": "v", "n": 1, "nested": {"a": "b"}, "bad key": "v",
                              "trailing\n": "v", "": "v", "ünï": "v"}
    errors = {e.path: e.message for e in schemas.validate("sessionStart", body)}
    assert list(errors) == [
        "$.customMetadata['bad key']", "$.customMetadata['trailing\\u000a']", "$.customMetadata['']",
        "$.customMetadata['ünï']", "$.customMetadata.n", "$.customMetadata.nested"]
    assert errors["$.customMetadata.n"] == "expected string, got 1"
    assert errors["$.customMetadata.nested"] == "expected string, got an object (1 key)"
    assert errors["$.customMetadata['bad key']"].startswith("key 'bad key' does not match ^[a-zA-Z0-9_.]+$")


def test_player_time_is_exactly_playhead_and_ts(schemas):
    body = minimal("play")
    body["playerTime"] = {"playhead": "12", "ts": "<timestamp>", "rate": 1}
    assert [str(e) for e in schemas.validate("play", body)] == [
        "$.playerTime.playhead: expected number, got '12'",
        "$.playerTime.ts: expected integer, got '<timestamp>'",
        "$.playerTime.rate: unexpected key 'rate' (allowed: playhead, ts)"]
    assert paths(schemas.validate("play", {"eventType": "play"})) == ["$.playerTime"]


def test_statesupdate_needs_one_of_its_lists(schemas):
    body = {"playerTime": TIME, "eventType": "statesUpdate", "params": {}}
    assert [str(e) for e in schemas.validate("statesUpdate", body)] == [
        "$.params: needs one of 'statesStart', 'statesEnd'"]
    body["params"] = {"statesEnd": [], "statesStart": [{"media.state.name": 3}]}
    assert paths(schemas.validate("statesUpdate", body)) == [
        "$.params.statesStart[0]['media.state.name']"]


def test_misspelled_top_level_key_is_an_error(schemas):
    body = {"playerTime": TIME, "eventType": "adStart", "params": minimal("adStart")["params"],
            "customMetaData": {"a": "b"}}
    errors = schemas.validate("adStart", body)
    assert paths(errors) == ["$.customMetaData"]


# --- unknown types and odd bodies ------------------------------------------------------------

def test_unknown_type_gets_the_envelope_only(schemas):
    assert not schemas.is_known("pause") and not schemas.is_known("")
    assert all(schemas.is_known(kind) for kind in EVENT_TYPES)
    body = {"playerTime": TIME, "eventType": "pause", "params": {"anything": 1}}
    assert schemas.validate("pause", body) == []
    body["qoeData"] = {"bitrate": 1}
    body["playerTime"] = {"ts": TS}
    assert paths(schemas.validate("pause", body)) == ["$.playerTime.playhead", "$.qoeData.bitrate"]
    assert paths(schemas.validate("", {"playerTime": TIME})) == ["$.eventType"]


def test_type_mismatch_between_body_and_validated_type(schemas):
    assert [str(e) for e in schemas.validate("play", minimal("ping"))] == [
        "$.eventType: expected 'play', got 'ping'"]


@pytest.mark.parametrize("body,shown", [
    (None, "null"), ([], "an array (0 items)"), ("x", "'x'"), (5, "5"), (True, "true")])
def test_non_object_bodies_are_one_error_at_the_root(schemas, body, shown):
    assert [str(e) for e in schemas.validate("play", body)] == [f"$: expected object, got {shown}"]


def test_messages_stay_short_one_line_and_literal(schemas):
    body = minimal("sessionStart")
    body["params"]["media.id"] = {"k": "v" * 1_000_000}
    body["params"]["media.channel"] = 10 ** 4000
    body["params"]["media.playerName"] = ["[bold]x[/]"] * 5000
    body["customMetadata"] = {"\x1b[31mred": "v", "q'uote": 1}
    body["playerTime"]["playhead"] = "\x1b]0;title\x07" * 1000
    errors = schemas.validate("sessionStart", body)
    assert len(errors) == 7  # 5 values of the wrong type, 2 keys with forbidden characters
    for error in errors:
        assert len(error.message) < 300 and len(error.path) < 300
        assert not any(ord(c) < 32 or ord(c) == 0x7f for c in error.path + error.message)
    by_path = {e.path: e.message for e in errors}
    assert by_path["$.params['media.id']"] == "expected string, got an object (1 key)"
    assert by_path["$.params['media.playerName']"] == "expected string, got an array (5000 items)"
    assert by_path["$.customMetadata['\\u001b[31mred']"].startswith("key '\\x1b[31mred' does not match")
    assert by_path["$.params['media.channel']"].startswith("expected string, got 10000")
    assert [e.message for e in errors if e.path == "$.customMetadata['q\\'uote']"] == [
        """key "q'uote" does not match ^[a-zA-Z0-9_.]+$(?!\\n)""", "expected string, got 1"]


def test_nan_and_infinity_are_numbers_but_not_integers(schemas):
    body = minimal("play")
    body["playerTime"] = {"playhead": math.nan, "ts": TS}
    assert schemas.validate("play", body) == []
    body["playerTime"] = {"playhead": math.inf, "ts": math.inf}
    assert [str(e) for e in schemas.validate("play", body)] == [
        "$.playerTime.ts: expected integer, got Infinity"]


def test_adobe_sdk_and_doc_shaped_bodies_pass(schemas):
    """What Adobe's Android media extension builds (MediaReportHelper/MediaCollectionHelper:
    libraryVersion, streamType, resume, customerIDs map, integer qoe casts, error qoeData) and
    the sessions-request sample of Adobe's API reference."""
    session = minimal("sessionStart")
    session["params"].update({
        "analytics.enableSSL": True, "visitor.marketingCloudUserId": "ecid",
        "visitor.aamLocationHint": 9, "visitor.customerIDs": {"userid": {"id": "u", "authState": 1}},
        "media.libraryVersion": "3.0.0", "media.sdkVersion": "app 1", "media.name": "n",
        "media.streamType": "video", "media.resume": False, "media.show": "Show"})
    session["customMetadata"] = {"cmk1": "v"}
    assert schemas.validate("sessionStart", session) == []
    doc_sample = {"playerTime": {"playhead": 0, "ts": 1509045324153}, "eventType": "sessionStart",
                  "params": {"media.playerName": "sample-html5-api-player",
                             "analytics.trackingServer": "ts", "analytics.reportSuite": "rs",
                             "analytics.visitorId": "vid", "media.contentType": "VOD",
                             "media.length": 60.39333333333333, "media.id": "MA API Sample Player",
                             "visitor.marketingCloudOrgId": "org", "media.name": "ClickMe",
                             "media.channel": "sample-channel", "media.sdkVersion": "va-api-0.0.0",
                             "analytics.enableSSL": False},
                  "customMetadata": {"myCustomData": "x", "myCustomData2": "y"}}
    assert schemas.validate("sessionStart", doc_sample) == []
    play = {"playerTime": {"playhead": 12.5, "ts": TS}, "eventType": "play",
            "qoeData": {"media.qoe.bitrate": 1, "media.qoe.droppedFrames": 2,
                        "media.qoe.framesPerSecond": 3, "media.qoe.timeToStart": 4}}
    assert schemas.validate("play", play) == []


# --- a team's tracking plan ------------------------------------------------------------------

def write(folder: Path, name: str, content: object | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_extra_schemas_tighten_the_builtins(tmp_path):
    plan = tmp_path / "plan"
    write(plan, "sessionStart.json", {
        "required": ["customMetadata"],
        "properties": {"customMetadata": {"required": ["show_id"],
                                          "properties": {"show_id": {"pattern": "^S[0-9]+$"}}}}})
    write(plan, "all.json", {"properties": {"params": {"properties": {"plan.flag": {"type": "boolean"}}}}})
    write(plan, "README.md", "not a schema, ignored")
    strict = SchemaSet.load([plan])
    body = minimal("sessionStart")
    assert [str(e) for e in strict.validate("sessionStart", body)] == [
        "$.customMetadata: missing required property 'customMetadata' (required by sessionStart.json)"]
    body["customMetadata"] = {"other": "x"}
    assert paths(strict.validate("sessionStart", body)) == ["$.customMetadata.show_id"]
    body["customMetadata"] = {"show_id": "X1"}
    assert paths(strict.validate("sessionStart", body)) == ["$.customMetadata.show_id"]
    body["customMetadata"] = {"show_id": "S1"}
    assert strict.validate("sessionStart", body) == []
    del body["params"]["media.id"]  # the built-in schema still applies
    assert paths(strict.validate("sessionStart", body)) == ["$.params['media.id']"]
    assert SchemaSet.load().validate("sessionStart", minimal("sessionStart")) == []
    ping = {"playerTime": TIME, "eventType": "ping", "params": {"plan.flag": "yes"}}
    assert [str(e) for e in strict.validate("ping", ping)] == [
        "$.params['plan.flag']: expected boolean, got 'yes' (required by all.json)"]
    assert "plan.flag" in strict.known_params("ping") and "plan.flag" in strict.known_params("play")


def test_extra_schema_may_be_another_draft_and_reference_builtin_defs(tmp_path):
    plan = tmp_path / "plan"
    write(plan, "adStart.json", {"$schema": "http://json-schema.org/draft-04/schema#",
                                 "properties": {"params": {"required": ["media.ad.advertiser"]}}})
    write(plan, "chapterStart.json", {"properties": {"customMetadata": {
        "$ref": SCHEMA_BASE + "defs.json#/$defs/customMetadata", "minProperties": 1}}})
    strict = SchemaSet.load([plan])
    assert paths(strict.validate("adStart", minimal("adStart"))) == ["$.params['media.ad.advertiser']"]
    chapter = {**minimal("chapterStart"), "customMetadata": {}}
    assert paths(strict.validate("chapterStart", chapter)) == ["$.customMetadata"]


def test_best_match_keeps_one_error_per_failed_alternative(tmp_path):
    plan = tmp_path / "plan"
    write(plan, "error.json", {"anyOf": [
        {"required": ["params"], "properties": {"params": {"required": ["media.errorId"]}}},
        {"required": ["qoeData"], "properties": {"qoeData": {"required": ["media.qoe.errorID"]}}},
        {"required": ["customMetadata"]}]})
    strict = SchemaSet.load([plan])
    bare = {"playerTime": TIME, "eventType": "error"}
    assert [str(e) for e in strict.validate("error", {**bare, "params": {}})] == [
        "$.params['media.errorId']: missing required property 'media.errorId' (required by error.json)"]
    assert [str(e) for e in strict.validate("error", bare)] == [
        "$: needs one of 'params', 'qoeData', 'customMetadata' (required by error.json)"]
    assert strict.validate("error", {**bare, "customMetadata": {}}) == []


@pytest.mark.parametrize("name,content,fragment", [
    ("play.json", "{not json", "not JSON"),
    ("play.json", b"\xff\xfe{}", "cannot read"),
    ("play.json", [1, 2], "must be a JSON object"),
    ("play.json", {"type": "strin"}, "not a valid JSON Schema at $.type"),
    ("play.json", {"properties": {"x": {"pattern": "[unclosed"}}}, "not a valid JSON Schema"),
    ("play.json", {"$ref": "defs.json#/$defs/customMetadata"}, "cannot be resolved"),
    ("play.json", {"$schema": "https://example.com/mine"}, "unsupported $schema"),
    ("contentComplete.json", {}, "is not a documented event type"),
])
def test_broken_extra_schema_raises_a_one_line_error_naming_the_file(tmp_path, name, content, fragment):
    plan = tmp_path / "plan"
    plan.mkdir()
    path = plan / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(SchemaLoadError) as raised:
        SchemaSet.load([plan])
    message = str(raised.value)
    assert message.startswith(str(path)) and fragment in message and "\n" not in message


def test_unreadable_or_missing_extra_dir(tmp_path):
    (tmp_path / "plan" / "play.json").mkdir(parents=True)  # a directory where a file should be
    with pytest.raises(SchemaLoadError, match="play.json: cannot read"):
        SchemaSet.load([tmp_path / "plan"])
    with pytest.raises(SchemaLoadError, match="not a directory"):
        SchemaSet.load([tmp_path / "nowhere"])


# --- the fast path agrees with jsonschema -----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)  # NaN never survives the body parser
    | st.sampled_from([INF, NINF, 0.5, 1.0, 3, 5.0, 10, -1, 2**53 + 1])
    | st.sampled_from(["", "x", "0", "3", "video", "player", "external", "a b", "k\n", "ünï"])
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["media.state.name", "id", "authState", "x", "bitrate"]) | st.text(max_size=4),
        inner, max_size=3),
    max_leaves=8)


@st.composite
def mutated_bodies(draw):
    """A documented body with a few keys removed, retyped or added, at any depth."""
    kind = draw(st.sampled_from(EVENT_TYPES + ("pause",)))
    body = full(kind) if draw(st.booleans()) else minimal(kind if kind != "pause" else "play")
    for _ in range(draw(st.integers(0, 3))):
        node = body
        while isinstance(node, dict) and node and draw(st.booleans()):
            child = node[draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict):
                break
            node = child
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["drop", "retype", "add"]))
        if action == "add" or not node:
            node[draw(st.text(max_size=6) | st.sampled_from(["media.qoe.errorID", "statesEnd"]))] = draw(json_values)
        elif action == "drop":
            del node[draw(st.sampled_from(sorted(node)))]
        else:
            node[draw(st.sampled_from(sorted(node)))] = draw(json_values)
    return kind, body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated_bodies())
def test_fast_path_and_jsonschema_agree_on_bodies(schemas, case):
    kind, body = case
    registry = REGISTRY
    schema = DOCS.get(kind, {"$ref": SCHEMA_BASE + "defs.json#/$defs/event"})
    oracle = Draft202012Validator(schema, registry=registry).is_valid
    assert answer(schema, DOCUMENTS, oracle, body) == oracle(body)
    assert (schemas.validate(kind, body) == []) == oracle(body)


DOCS = builtin_documents()
REGISTRY = stock_registry()
DOCUMENTS = Documents({SCHEMA_BASE + name + ".json": doc for name, doc in DOCS.items()})


def holds_overflow(value) -> bool:
    if isinstance(value, dict):
        return any(holds_overflow(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_overflow(v) for v in value)
    return isinstance(value, Overflow)


def answer(schema, documents, oracle, value) -> bool:
    """jsonschema-rs's answer, or jsonschema's (`oracle`) where jsonschema-rs cannot judge the
    value, as SchemaSet.validate does: only a value holding an Overflow may be refused, and a "no"
    for one is only a reason to ask jsonschema (jsonschema-rs 0.61 reads a float subclass as the
    float it is and says no to inf, where jsonschema accepts it as a number)."""
    quick = fast_check(schema, documents)
    assert quick is not None
    try:
        fast = quick(value)
    except ValueError:
        assert holds_overflow(value), value
        return oracle(value)
    return oracle(value) if not fast and holds_overflow(value) else fast

KEYWORD_SCHEMA = {
    "type": ["object", "array", "number", "string", "null", "boolean"],
    "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
                   "s": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^a"},
                   "c": {"const": [1, {"a": True}]}, "e": {"enum": [1, "1", None, False]}},
    "patternProperties": {"^p": {"type": "number", "maximum": 5, "exclusiveMinimum": -1}},
    "additionalProperties": {"type": "string", "maxLength": 3},
    "propertyNames": {"maxLength": 3},
    "minProperties": 1, "maxProperties": 4,
    "dependentRequired": {"n": ["s"]},
    "items": {"oneOf": [{"type": "integer"}, {"minimum": 0.5}]},
    "minItems": 1, "maxItems": 3,
    "allOf": [{"not": {"const": "zz"}}], "anyOf": [{"type": "object"}, {"minLength": 1}, {"type": "number"}],
}


@settings(max_examples=600, deadline=None)
@given(json_values | st.dictionaries(st.sampled_from(["n", "s", "c", "e", "p1", "pq", "x", "yyyy"]),
                                     json_values, max_size=5))
def test_fast_path_and_jsonschema_agree_on_every_supported_keyword(value):
    oracle = Draft202012Validator(KEYWORD_SCHEMA).is_valid
    assert answer(KEYWORD_SCHEMA, Documents({}), oracle, value) == oracle(value)


# Every value a parsed body can hold: huge integers, and ±inf as the parser keeps them (Overflow,
# from `1e400`); not NaN, which the parser rejects.
TRICKY_VALUES = [
    None, True, False, 0, 1, 1.0, 1.5, -1, 3, 5.0, 10, 2**64, -(2**70), INF, NINF,
    "", "a", "ab", "abcd", "zz", "1", "player", "k\n", [], [1], [1.0], [True], [INF], [0.5],
    [1, 2, 3, 4], [[1]], {}, {"p1": 3}, {"p1": "x"}, {"pq": 6}, {"pq": -1}, {"n": 3}, {"n": 3, "s": "ab"},
    {"s": "abcde"}, {"x": "abc"}, {"x": "abcd"}, {"yyyy": "a"}, {"e": True}, {"e": 1.0}, {"e": 0},
    {"e": "1"}, {"c": [1, {"a": True}]}, {"c": [1.0, {"a": 1}]}, {"c": [True, {"a": True}]},
    {"a": 1, "b": 2, "c3": 3, "d": 4}, {"a": 1, "b": 2, "c3": 3, "d": 4, "e": 5},
]
KEYWORD_CASES = [KEYWORD_SCHEMA, *({k: v} for k, v in KEYWORD_SCHEMA.items()),
                 {"enum": ["player", "external"]}, {"const": False}, {"const": 1}, {"type": "integer"},
                 {"properties": {"a": {"type": "integer"}}, "additionalProperties": False},
                 {"patternProperties": {"^p": {"type": "number"}}, "additionalProperties": False},
                 {"minimum": 1}, {"maximum": 5}, {"exclusiveMinimum": -1}, {"exclusiveMaximum": 10},
                 {"$defs": {"tree": {"type": ["object", "array", "integer"],  # recursive $ref
                                     "properties": {"c": {"$ref": "#/$defs/tree"}},
                                     "items": {"$ref": "#/$defs/tree"}}},
                  "$ref": "#/$defs/tree"}]


@pytest.mark.parametrize("schema", KEYWORD_CASES, ids=lambda s: ",".join(s)[:40])
def test_fast_path_and_jsonschema_agree_on_tricky_values(schema):
    oracle = Draft202012Validator(schema).is_valid
    for value in TRICKY_VALUES:
        assert answer(schema, Documents({}), oracle, value) == oracle(value), value


def test_a_schema_jsonschema_rs_cannot_compile_is_validated_by_jsonschema_alone(tmp_path):
    # jsonschema-rs has no draft 3; jsonschema does, so a team's draft-3 schema still works.
    schema = {"$schema": "http://json-schema.org/draft-03/schema#",
              "properties": {"params": {"properties": {"media.state.name": {"required": True}}}}}
    assert fast_check(schema, Documents({})) is None
    plan = tmp_path / "plan"
    write(plan, "stateStart.json", schema)
    strict = SchemaSet.load([plan])
    body = {**minimal("stateStart")}
    assert strict.validate("stateStart", body) == []
    body["params"] = {k: v for k, v in body["params"].items() if k != "media.state.name"}
    assert "$.params['media.state.name']" in paths(strict.validate("stateStart", body))
