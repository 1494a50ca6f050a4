"""The addon as mitmproxy sees it (mitmproxy.test.taddons): its options are checked in
`configure`, findings are written onto the flows they concern, the script for `mitmdump -s`
provides it; plus the console line format and the host patterns."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest
from mitmproxy import exceptions, http
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.test import taddons, tflow

from playhead.core.findings import Finding, Severity
from playhead.core.tracker import Tracker
from playhead.proxy import script_path
from playhead.proxy.addon import PlayheadAddon
from playhead.proxy.capture import HostFilter
from playhead.proxy.console import FindingPrinter, finding_text
from playhead.proxy.marking import COMMENT_PREFIX, mark
from support_proxy import event_body, now_ms, session_start_body

HOST = "https://example.hb-api.omtrdc.net"
SID = "5e551011" * 8
AD = {"media.ad.id": "ad-1", "media.ad.length": 15, "media.ad.podPosition": 1,
      "media.ad.playerName": "test-player"}


def api_flow(path: str, body: bytes, status: int, headers: dict[str, str] | None = None) -> http.HTTPFlow:
    request = http.Request.make("POST", f"{HOST}{path}", body, {"Content-Type": "application/json"})
    return tflow.tflow(req=request, resp=http.Response.make(status, b"", headers or {}))


# -- options ------------------------------------------------------------------------------------


def test_host_patterns_are_checked():
    addon = PlayheadAddon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, playhead_hosts=["*.hb-api.omtrdc.net", "Media.Example.com"])
        assert addon.hosts.patterns == ("*.hb-api.omtrdc.net", "media.example.com")
        with pytest.raises(exceptions.OptionsError, match="playhead_hosts: host pattern 'a b'"):
            tctx.configure(addon, playhead_hosts=["a b"])
        assert addon.hosts.patterns == ("*.hb-api.omtrdc.net", "media.example.com")  # kept


def test_the_recording_is_opened_owner_only_and_a_bad_path_is_refused(tmp_path):
    addon = PlayheadAddon()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="playhead_record: .*cannot open for recording"):
            tctx.configure(addon, playhead_record=str(tmp_path / "missing" / "run.jsonl"))
        first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
        tctx.configure(addon, playhead_record=str(first))
        tctx.configure(addon, playhead_record=str(second))
        assert addon.recording.path == str(second)
        for path in (first, second):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        tctx.configure(addon, playhead_record="")
        assert addon.recording is None


def test_a_report_in_a_missing_folder_is_refused_at_start(tmp_path):
    addon = PlayheadAddon()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="folder .* does not exist"):
            tctx.configure(addon, playhead_report=str(tmp_path / "nowhere" / "r.json"))
        tctx.configure(addon, playhead_report=str(tmp_path / "r.json"))


def test_schemas_are_loaded_checked_and_only_before_the_first_call(tmp_path):
    addon = PlayheadAddon()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="not a directory"):
            tctx.configure(addon, playhead_schemas=[str(tmp_path / "none")])
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "play.json").write_text("{not json")
        with pytest.raises(exceptions.OptionsError, match=r"playhead_schemas: .*play\.json: not JSON"):
            tctx.configure(addon, playhead_schemas=[str(bad)])
        plan = tmp_path / "plan"
        plan.mkdir()
        (plan / "sessionStart.json").write_text(json.dumps({"required": ["customMetadata"]}))
        tctx.configure(addon, playhead_schemas=[str(plan)])
        addon.response(api_flow("/api/v1/sessions", session_start_body(), 201,
                                {"Location": f"/api/v1/sessions/{SID}"}))
        assert [f.path for f in addon.tracker.findings if f.rule == "schema"] == ["$.customMetadata"]
        with pytest.raises(exceptions.OptionsError, match="before the first API call"):
            tctx.configure(addon, playhead_schemas=[])


def test_the_memory_cap_is_an_option_set_before_the_first_call():
    addon = PlayheadAddon()
    with taddons.context(addon) as tctx:
        assert addon.tracker.retention.cap == 200_000  # the live default, as `playhead proxy`
        with pytest.raises(exceptions.OptionsError, match="playhead_max_calls: must be 0"):
            tctx.configure(addon, playhead_max_calls=-1)
        tctx.configure(addon, playhead_max_calls=3)
        ts = now_ms()
        addon.response(api_flow("/api/v1/sessions", session_start_body(ts), 201,
                                {"Location": f"/api/v1/sessions/{SID}"}))
        for k in range(1, 11):
            addon.response(api_flow(f"/api/v1/sessions/{SID}/events", event_body("ping", k, ts + k * 10_000), 204))
        assert addon.tracker.calls == 11 and addon.tracker.retention.dropped >= 8
        with pytest.raises(exceptions.OptionsError, match="before the first API call"):
            tctx.configure(addon, playhead_max_calls=0)


def test_a_tracker_built_by_the_host_takes_no_schemas_option(tmp_path):
    addon = PlayheadAddon(Tracker())
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match="pass --schemas"):
            tctx.configure(addon, playhead_schemas=[str(tmp_path)])


def test_sink_mode_switches_to_lazy_upstream_connections():
    addon = PlayheadAddon()
    with taddons.context(Proxyserver(), addon) as tctx:
        assert tctx.options.connection_strategy == "eager"
        tctx.configure(addon, playhead_sink=True)
        assert addon.sink is not None
        assert tctx.options.connection_strategy == "lazy"


# -- findings onto flows ------------------------------------------------------------------------


def test_findings_are_written_onto_the_flows_they_concern():
    addon = PlayheadAddon()
    with taddons.context(addon):
        ts = now_ms()
        start = api_flow("/api/v1/sessions", session_start_body(ts), 201, {"Location": f"/api/v1/sessions/{SID}"})
        play = api_flow(f"/api/v1/sessions/{SID}/events", event_body("play", 0, ts + 100), 204)
        ad = api_flow(f"/api/v1/sessions/{SID}/events", event_body("adStart", 0, ts + 200, params=AD), 204)
        ad.comment = "checked by hand"
        ping = api_flow(f"/api/v1/sessions/{SID}/events", event_body("ping", 0, ts + 1200, params={"x": "1"}), 204)
        for flow in (start, play, ad, ping):
            addon.response(flow)
        addon.done()  # end of capture: the reorder window is released
    assert (start.marked, start.comment) == ("", "")
    assert ad.marked == ":red_circle:"
    assert ad.comment.splitlines() == ["checked by hand", f"{COMMENT_PREFIX}ad-outside-break"]
    assert ping.marked == ":warning:"
    # the second finding came at the end of the capture, long after the flow completed
    assert ping.comment == f"{COMMENT_PREFIX}ping-has-params, session-not-closed"


def test_the_marker_shows_the_worst_severity_and_a_users_marker_is_kept():
    def finding(rule: str, severity: Severity) -> Finding:
        return Finding(rule, severity, "m")

    flow = tflow.tflow()
    mark(flow, [finding("ping-late", Severity.WARNING)])
    assert flow.marked == ":warning:"
    mark(flow, [finding("ad-outside-break", Severity.ERROR), finding("ad-outside-break", Severity.ERROR)])
    mark(flow, [finding("unknown-session", Severity.INFO)])
    assert flow.marked == ":red_circle:"
    assert flow.comment == f"{COMMENT_PREFIX}ping-late, ad-outside-break, unknown-session"
    own = tflow.tflow()
    own.marked = ":star:"
    mark(own, [finding("ad-outside-break", Severity.ERROR)])
    assert own.marked == ":star:" and own.comment == f"{COMMENT_PREFIX}ad-outside-break"


def test_a_rejected_session_start_marks_its_own_flow():
    addon = PlayheadAddon()
    with taddons.context(addon):
        flow = api_flow("/api/v1/sessions", session_start_body(), 500)
        addon.response(flow)
    assert flow.marked == ":red_circle:"
    assert "session-start-rejected" in flow.comment


def test_non_api_and_non_post_flows_are_left_alone():
    addon = PlayheadAddon()
    with taddons.context(addon):
        page = tflow.tflow(resp=True)
        preflight = tflow.tflow(req=http.Request.make("OPTIONS", f"{HOST}/api/v1/sessions"), resp=True)
        for flow in (page, preflight):
            addon.response(flow)
    assert addon.tracker.calls == 0
    assert page.marked == preflight.marked == ""


def test_the_mitmdump_script_provides_the_addon():
    with taddons.context() as tctx:
        script = tctx.script(str(script_path()))  # loaded by path, as mitmdump -s does
    assert [type(a) for a in script.addons] == [PlayheadAddon]


# -- console lines and host patterns ------------------------------------------------------------


def test_console_lines_show_wire_strings_literally():
    finding = Finding("schema", Severity.ERROR, "bad \x1b[2J value\nnext", session="s\x1b]0;x\x07id",
                      call=3, event_type="play\x1b[31m", ts=1, path="$.params['\x1b']")
    text = finding_text(finding)
    assert "\x1b" not in text and "\n" not in text and "\x07" not in text
    assert "\\x1b[2J" in text and "play\\x1b[31m" in text
    out = io.StringIO()
    FindingPrinter(out, color=True).print([finding])
    line = out.getvalue()
    assert line.count("\n") == 1
    assert "\x1b[1;31merror\x1b[0m" in line  # colour comes only from playhead's own codes
    assert line.replace("\x1b[1;31m", "").replace("\x1b[0m", "").replace("\x1b[2m", "").count("\x1b") == 0
    plain = io.StringIO()
    FindingPrinter(plain, color=False).print([finding])
    assert "\x1b" not in plain.getvalue()


@pytest.mark.parametrize("patterns, host, expected", [
    ((), "anything.example", True),
    (("*.hb-api.omtrdc.net",), "ns.hb-api.omtrdc.net", True),
    (("*.hb-api.omtrdc.net",), "NS.HB-API.OMTRDC.NET.", True),
    (("*.hb-api.omtrdc.net",), "hb-api.omtrdc.net.evil.example", False),
    (("media.example.com", "*.cdn.example"), "media.example.com", True),
    (("media.example.com",), "xmedia.example.com", False),
])
def test_host_patterns(patterns, host, expected):
    assert HostFilter(patterns).matches(host) is expected


@pytest.mark.parametrize("pattern", ["", "a b", "host/path", "http://x"])
def test_host_patterns_that_are_not_host_names_are_refused(pattern):
    with pytest.raises(ValueError):
        HostFilter([pattern])
