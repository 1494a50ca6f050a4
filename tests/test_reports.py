"""Report writers over real sessions built from the core data model (and, further down, over the
real engine's output): the JSON contract of SPEC §7, JUnit that parses, text that keeps wire
strings literal, Markdown/HTML with the lane picture, and owner-only atomic report files."""

from __future__ import annotations

import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

import playhead
from playhead.core.call import Call
from playhead.core.engine import check_calls
from playhead.core.findings import REGISTRY, Finding, Registry, Rule, Severity
from playhead.core.metrics import METRIC_LABELS
from playhead.core.model import Entry, Session, Span
from playhead.io.reports import FORMATS, format_for_path, render, write_report
from playhead.io.reports.lanes import ROW_KINDS, lane_rows
from playhead.io.reports.markdown import escape
from playhead.io.reports.safe import literal

T0 = 1_764_115_200_000  # epoch ms
HOST = "https://example.hb-api.omtrdc.net"
EVIL = "\x1b[31mred\x1b[0m [bold red]boom[/] <script>alert(1)</script> \x9b2J \u202eevil\n2nd"

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


def _rules() -> Registry:
    """A registry of real Rule records, independent of which rule modules are imported."""
    reg = Registry()
    for rid, sev, family, fix in [
        ("ad-outside-break", E, "ads", "Send adBreakStart before the first adStart of a break."),
        ("ad-break-empty", W, "ads", "Only open a break when an ad plays in it."),
        ("ping-late", W, "cadence", "Ping every 10 s while content plays."),
        ("ts-duplicate", W, "ordering", "Stamp each event with its own ts."),
        ("session-start-rejected", E, "http", "Fix the sessionStart body until it gets a 201."),
        ("schema", E, "body", "Make the body match the event's schema."),
    ]:
        reg.add(Rule(rid, (sev,), family, f"{rid} fires", "skews reports", fix, "SPEC §5"))
    return reg


RULES = _rules()


@dataclass
class Capture:
    """The engine's result shape (sessions, findings, calls) filled with hand-built real data."""

    sessions: dict[str, Session] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    calls: int = 0


def _entry(sid: str, index: int, event_type: str, t: float, playhead_s: float) -> Entry:
    ts = T0 + int(t * 1000)
    body = {"eventType": event_type, "playerTime": {"playhead": playhead_s, "ts": ts}}
    path = "/api/v1/sessions" if event_type == "sessionStart" else f"/api/v1/sessions/{sid}/events"
    call = Call("POST", HOST + path, json.dumps(body).encode(), 201 if index == 0 else 204,
                time=ts / 1000)
    return Entry(index, call, body, event_type, ts, playhead_s)


def _session(sid: str, name: str, events: list[tuple[str, float, float]], closed_by: str | None,
             spans: list[tuple[str, float, float | None]]) -> Session:
    s = Session(sid, has_start=True, closed_by=closed_by)
    s.params = {"media.id": f"id-{sid[:4]}", "media.name": name, "media.contentType": "vod",
                "media.length": 60.33}
    s.entries = [_entry(sid, i, ev, t, ph) for i, (ev, t, ph) in enumerate(events)]
    s.ping_ts = [e.ts for e in s.entries if e.event_type == "ping"]
    s.first_ts, s.last_ts = s.entries[0].ts, s.entries[-1].ts
    s.spans = [Span(kind, T0 + int(a * 1000), None if b is None else T0 + int(b * 1000))
               for kind, a, b in spans]
    return s


def _find(capture: Capture, rule: str, sev: Severity, message: str, session: Session | None = None,
          call: int | None = None) -> Finding:
    entry = session.entries[call] if session is not None and call is not None else None
    f = Finding(rule, sev, message, session.sid if session else None, call,
                entry.event_type if entry else None, entry.ts if entry else None)
    capture.findings.append(f)
    if session is not None:
        session.add_finding(f)
    return f


def sample() -> Capture:
    """Two sessions (one broken, one clean, its media name hostile) and a rejected sessionStart
    that never got a sid. Findings are emitted out of call order on purpose."""
    a = _session("a" * 64, "Big Buck Bunny",
                 [("sessionStart", 0, 0), ("adBreakStart", 0, 0), ("adStart", 0, 0),
                  ("adComplete", 15, 0), ("adBreakComplete", 15, 0), ("play", 15, 0),
                  ("ping", 25, 10), ("pauseStart", 30, 15), ("play", 35, 15), ("adStart", 40, 20),
                  ("ping", 58, 38), ("sessionComplete", 60, 40)],
                 "sessionComplete",
                 [("ad-break", 0, 15), ("ad", 0, 15), ("content", 15, 60), ("pause", 30, 35),
                  ("ad", 40, 60)])
    b = _session("b" * 64, EVIL, [("sessionStart", 0, 0), ("play", 0, 0), ("ping", 10, 10),
                                   ("sessionEnd", 12, 12)],
                 "sessionEnd", [("content", 0, 12)])
    cap = Capture({a.sid: a, b.sid: b}, [], 0)
    _find(cap, "ping-late", W, "gap 18.0 s > 12 s", a, 10)
    _find(cap, "session-start-rejected", E, "sessionStart answered 400")
    _find(cap, "ad-outside-break", E, "adStart with no open ad break", a, 9)
    _find(cap, "ts-duplicate", W, "adComplete and adBreakComplete share ts", a, 4)
    _find(cap, "ad-outside-break", E, "adStart with no open ad break (again)", a, 9)
    _find(cap, "schema", E, "bad value " + EVIL, b, 1)
    cap.calls = len(a.entries) + len(b.entries) + 1
    return cap


# --- literal -----------------------------------------------------------------------------------


def test_literal_escapes_controls_and_keeps_printable_text():
    assert literal("\x1b[31mx") == "\\x1b[31mx"
    assert literal("a\nb\tc\rd\x00\x07\x7f") == "a\\nb\\tc\\rd\\x00\\x07\\x7f"
    assert literal("\x9b2J\x85") == "\\x9b2J\\x85"  # C1: CSI, NEL
    assert literal("\u202eabc\u2066") == "\\u202eabc\\u2066"  # bidi overrides
    assert literal("x\ud800y") == "x\\ud800y"  # lone surrogate: printable and encodable
    plain = "Épisode 3 — 日本 [bold red]not markup[/] café 🎬"
    assert literal(plain) == plain
    literal("x\ud800y").encode("utf-8")  # would raise if the surrogate survived


# --- json --------------------------------------------------------------------------------------


def test_json_report_has_exactly_the_spec_shape():
    cap = sample()
    text = render(cap, "json", rules=RULES)
    assert not {"\x1b", "\x9b", "\u202e"} & set(text)  # printed on a terminal, it stays inert
    data = json.loads(text)
    assert list(data) == ["tool", "version", "summary", "sessions", "findings"]
    assert data["tool"] == "playhead" and data["version"] == playhead.__version__
    assert data["summary"] == {"sessions": 2, "calls": 17, "error": 4, "warning": 2, "info": 0}
    assert [s["id"] for s in data["sessions"]] == ["a" * 64, "b" * 64]
    for s in data["sessions"]:
        assert list(s) == ["id", "media", "calls", "closed_by", "error", "warning", "info", "protocol", "metrics"]
        assert list(s["media"]) == ["id", "name", "contentType", "length"]
        assert all(isinstance(s[k], int) for k in ("calls", "error", "warning", "info"))
    a, b = data["sessions"]
    assert a["media"] == {"id": "id-aaaa", "name": "Big Buck Bunny", "contentType": "vod",
                          "length": 60.33}
    assert (a["calls"], a["closed_by"], a["error"], a["warning"], a["info"]) == (
        12, "sessionComplete", 2, 2, 0)
    assert b["media"]["name"] == EVIL  # JSON carries the exact wire string
    for f in data["findings"]:
        assert list(f) == ["rule", "severity", "session", "call", "eventType", "ts", "message", "path"]
        assert f["severity"] in ("error", "warning", "info")
        assert f["call"] is None or isinstance(f["call"], int)
        assert f["ts"] is None or isinstance(f["ts"], int)


def test_json_findings_are_in_session_then_call_then_emission_order():
    data = json.loads(render(sample(), "json", rules=RULES))
    order = [(f["session"], f["call"], f["message"]) for f in data["findings"]]
    assert order == [
        ("a" * 64, 4, "adComplete and adBreakComplete share ts"),
        ("a" * 64, 9, "adStart with no open ad break"),
        ("a" * 64, 9, "adStart with no open ad break (again)"),
        ("a" * 64, 10, "gap 18.0 s > 12 s"),
        ("b" * 64, 1, "bad value " + EVIL),
        (None, None, "sessionStart answered 400"),  # no session: still listed and counted
    ]


def test_json_stays_strict_with_nan_and_lone_surrogates_from_the_wire():
    cap = sample()
    s = cap.sessions["a" * 64]
    s.params["media.length"] = float("nan")
    s.params["media.name"] = "half \ud83d emoji"
    text = render(cap, "json", rules=RULES)
    text.encode("utf-8")  # encodable: the surrogate is written as an escape

    def reject(token):
        raise ValueError(token)

    data = json.loads(text, parse_constant=reject)
    assert data["sessions"][0]["media"]["length"] == "NaN"
    assert data["sessions"][0]["media"]["name"] == "half \ud83d emoji"


def test_json_of_an_empty_run():
    data = json.loads(render(Capture(), "json", rules=RULES))
    assert data["summary"] == {"sessions": 0, "calls": 0, "error": 0, "warning": 0, "info": 0}
    assert data["sessions"] == [] and data["findings"] == []


# --- junit -------------------------------------------------------------------------------------


def test_junit_parses_and_counts_match_the_elements():
    text = render(sample(), "junit", rules=RULES)
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("name") == "playhead"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [  # named as a person names the session
        "Big Buck Bunny · Media Collection API · aaaaaaaa…",
        f"{literal(EVIL)} · Media Collection API · bbbbbbbb…", "capture"]
    total_tests = total_failures = 0
    for suite in suites:
        cases = suite.findall("testcase")
        assert all(len(c.findall("failure")) <= 1 for c in cases)  # reporters show one per testcase
        failed = [c for c in cases if c.find("failure") is not None]
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(failed)
        total_tests += len(cases)
        total_failures += len(failed)
    assert int(root.get("tests")) == total_tests and int(root.get("failures")) == total_failures

    a, b, capture = suites
    assert a.find("properties/property[@name='session']").get("value") == "a" * 64
    metrics = {p.get("name") for p in a.findall("properties/property") if p.get("name").startswith("metrics.")}
    assert metrics == {f"metrics.{key}" for key in METRIC_LABELS}
    families = ["ads", "cadence", "ordering", "http", "body"]
    assert [c.get("name") for c in a.findall("testcase")] == families  # every family, per session
    assert [c.get("name") for c in capture.findall("testcase")] == ["http"]
    (failure,) = a.find("testcase[@name='ads']").findall("failure")
    assert failure.get("message") == "2 errors; first ad-outside-break: adStart with no open ad break"
    assert failure.text.splitlines() == [  # both errors, the fix once
        "ad-outside-break at 00:40, call 9, adStart: adStart with no open ad break",
        "  fix: Send adBreakStart before the first adStart of a break.",
        "ad-outside-break at 00:40, call 9, adStart: adStart with no open ad break (again)",
    ]
    cadence = a.find("testcase[@name='cadence']")
    assert cadence.find("failure") is None  # a warning is not a failure ...
    assert cadence.find("system-out").text == (
        "warning ping-late at 00:58, call 10, ping: gap 18.0 s > 12 s")  # ... but is shown
    assert b.find("testcase[@name='ads']").find("failure") is None
    assert b.find("properties/property[@name='media.name']").get("value") == literal(EVIL)


def test_junit_reads_back_with_the_parser_ci_plugins_use(tmp_path):
    """junitparser (as the GitLab/Jenkins-style tooling reads it): one result per failed case,
    and the suite totals a reporter computes equal the report's own."""
    from junitparser import Failure, JUnitXml  # noqa: PLC0415 - a test dependency

    path = tmp_path / "report.xml"
    write_report(sample(), path, rules=RULES)
    xml = JUnitXml.fromfile(str(path))
    seen_tests = seen_failures = 0
    for suite in xml:
        for case in suite:
            failures = [r for r in case.result if isinstance(r, Failure)]
            assert len(failures) <= 1
            seen_tests += 1
            seen_failures += bool(failures)
        assert (suite.tests, suite.failures) == (len(list(suite)), sum(
            any(isinstance(r, Failure) for r in c.result) for c in suite))
    assert (seen_tests, seen_failures) == (xml.tests, xml.failures) == (11, 3)  # 5 + 5 families, 1 capture


def test_junit_keeps_control_characters_from_breaking_the_xml():
    cap = sample()
    odd = "sid\x00\x1b\x0c<&>\"'"
    s = Session(odd, has_start=True)
    cap.sessions[odd] = s
    _find(cap, "schema", E, "bad \x01\x1b[2J value", s, None)
    root = ET.fromstring(render(cap, "junit", rules=RULES).encode("utf-8"))
    suite = next(x for x in root.findall("testsuite") if "sid\\x00" in x.get("name"))
    assert suite.get("name") == "unnamed media · Media Collection API · sid\\x00\\x1b\\x0c<&>\"'"
    failure = suite.find("testcase[@name='body']/failure")
    assert failure.get("message") == "schema: bad \\x01\\x1b[2J value"


# --- text --------------------------------------------------------------------------------------


def test_text_groups_by_session_errors_first_with_fix_hints_once():
    out = render(sample(), "text", rules=RULES)
    lines = out.splitlines()
    header_a = next(i for i, l in enumerate(lines) if l.startswith("session " + "a" * 64))
    assert ("media id-aaaa \"Big Buck Bunny\"  12 calls  closed by sessionComplete  "
            "2 errors, 2 warnings, 0 info") in lines[header_a]
    block = lines[header_a + 1:lines.index("", header_a)]
    assert block.pop(0).startswith("  metrics (playhead's computation): media starts 0, content starts 0")
    kinds = [l.split()[3] for l in block if l.startswith("  call")]
    assert kinds == ["error", "error", "warning", "warning"]
    assert block[0].split() == ["call", "9", "adStart", "error", "ad-outside-break", "adStart",
                                "with", "no", "open", "ad", "break"]
    fixes = [l.strip() for l in block if l.strip().startswith("fix:")]
    assert fixes == ["fix: Send adBreakStart before the first adStart of a break.",
                     "fix: Stamp each event with its own ts.",
                     "fix: Ping every 10 s while content plays."]  # once per rule per session
    assert "capture (findings about no session)" in out
    assert lines[-1] == "2 sessions, 17 calls: 4 errors, 2 warnings, 0 info"


def test_text_shows_wire_strings_literally_and_colours_only_on_request():
    plain = render(sample(), "text", rules=RULES)
    assert "\x1b" not in plain and "\x9b" not in plain and "\u202e" not in plain
    shown = literal(EVIL)
    assert shown == ("\\x1b[31mred\\x1b[0m [bold red]boom[/] <script>alert(1)</script> "
                     "\\x9b2J \\u202eevil\\n2nd")
    assert f'"{shown}"' in plain  # the hostile media name, visible character for character
    assert "bad value " + shown in plain
    coloured = render(sample(), "text", rules=RULES, color=True)
    assert "\x1b[1;31merror  \x1b[0m" in coloured and "\x1b[33mwarning\x1b[0m" in coloured
    without_ours = coloured
    for code in ("\x1b[1;31m", "\x1b[33m", "\x1b[36m", "\x1b[1m", "\x1b[2m", "\x1b[0m"):
        without_ours = without_ours.replace(code, "")
    assert without_ours == plain  # colour adds our codes and nothing else


# --- markdown and html -------------------------------------------------------------------------


def test_markdown_has_tables_lanes_and_escapes_wire_markup():
    md = render(sample(), "markdown", rules=RULES)
    assert md.startswith("# playhead report\n")
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\x1b" not in md
    assert md.count("```text\n") == 2  # one lane picture per session
    block = md.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    rows = dict(line.split(" │", 1) for line in block[:-1])
    assert [k.strip() for k in rows] == list(ROW_KINDS)
    assert all(len(r) == 61 and r.endswith("│") for r in rows.values())  # 60 cells + frame
    assert "!" in rows["findings".ljust(8)]
    lines = md.splitlines()
    links = re.findall(r"\]\(#(session-\d+)\)", md)
    assert links == ["session-1", "session-2", "session-3"]  # the summary links every section ...
    assert all(f'<a id="{anchor}"></a>' in lines for anchor in links)  # ... to an anchor that exists
    assert "## 1. Big Buck Bunny · Media Collection API · aaaaaaaa…" in lines
    assert f"## 2. {escape(literal(EVIL))} · Media Collection API · bbbbbbbb…" in lines
    assert md.count("**Metrics Adobe would compute (playhead's computation)**") == 2
    assert "| 00:40 | 9 | adStart | error | ad-outside-break | adStart with no open ad break |" in lines
    assert "| ad\\-outside\\-break" not in md  # rule ids stay readable
    assert "## Rules that fired" in md and "Send adBreakStart before" in md


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_escaped_and_has_the_lanes():
    page = render(sample(), "html", rules=RULES)
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
                                "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "pre",
                                "span", "a", "section", "div", "dl", "dt", "dd", "ol", "li", "details",
                                "summary", "mark", "time"}
    assert not [v for k, v in parser.attrs if k == "src"]  # no external resources ...
    hrefs = [v for k, v in parser.attrs if k == "href"]
    ids = {v for k, v in parser.attrs if k == "id"}
    assert hrefs and all(h.startswith("#") and h[1:] in ids for h in hrefs)  # ... only links inside
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert page.count('<pre class="lanes">') == 2
    assert page.count('<div class="metrics">') == 2
    text = "".join(parser.text)
    assert literal(EVIL) in text  # shown as text, character for character
    assert "\x1b" not in page
    assert ("title", "a" * 64) in parser.attrs and "aaaaaaaa…" in text  # short, the full sid on hover


def test_html_findings_say_when_impact_fix_and_show_the_body_with_the_path_marked():
    cap = sample()
    a = cap.sessions["a" * 64]
    cap.findings.append(f := Finding("schema", E, "playhead must be a number", a.sid, 6, "ping",
                                     a.entries[6].ts, "$.playerTime.playhead"))
    a.add_finding(f)
    page = render(cap, "html", rules=RULES)
    finding = page.split("playhead must be a number", 1)[0].rsplit('<li class="finding error">', 1)[1]
    assert "at <time>00:25</time> · call 6 · ping" in finding
    after = page.split("playhead must be a number", 1)[1].split("</li>", 1)[0]
    assert "<dt>impact</dt><dd>skews reports</dd><dt>fix</dt><dd>Make the body match" in after
    assert "with $.playerTime.playhead marked" in after
    (marked,) = re.findall(r"<mark>(.*?)</mark>", after)
    assert marked == '    <span class="k">&quot;playhead&quot;</span>: <span class="n">10</span>,'


def test_html_caps_a_huge_body_and_says_so():
    cap = sample()
    a = cap.sessions["a" * 64]
    entry = a.entries[6]
    entry.body = {"eventType": "ping", "params": {f"k{i}": "x" * 5000 for i in range(1000)},
                  "playerTime": {"playhead": 10, "ts": entry.ts}}
    cap.findings.append(f := Finding("schema", E, "huge", a.sid, 6, "ping", entry.ts, "$.params.k500"))
    a.add_finding(f)
    page = render(cap, "html", rules=RULES)
    assert len(page) < 100_000  # 5 MB of body, a few KB of report
    assert "lines above left out (truncated)" in page and "more lines left out (truncated)" in page
    assert "4702 more characters (truncated)" in page  # 5000 x and two quotes, 300 shown
    assert re.search(r"<mark>.*&quot;k500&quot;", page)


# --- lanes -------------------------------------------------------------------------------------


def test_lane_rows_put_spans_pings_and_marks_in_the_right_columns():
    s = Session("s", first_ts=T0, last_ts=T0 + 60_000)
    s.spans = [Span("ad-break", T0 + 15_000, T0 + 30_000), Span("content", T0 + 30_000, None),
               Span("pause", T0 + 45_500, T0 + 45_500)]
    s.ping_ts = [T0 + 10_000, T0 + 59_999]
    s.findings = [Finding("ping-late", W, "late", "s", None, "ping", T0 + 40_000),
                  Finding("ad-outside-break", E, "x", "s", None, "adStart", T0 + 40_400),
                  Finding("ts-duplicate", W, "y", "s", None, "play", T0 + 50_000),
                  Finding("unknown-session", I, "z", "s", None, "play", T0 + 55_000)]
    rows = dict(lane_rows(s, width=60))
    assert list(rows) == list(ROW_KINDS) and all(len(r) == 60 for r in rows.values())
    assert rows["ad-break"] == " " * 15 + "█" * 15 + " " * 30
    assert rows["content"] == " " * 30 + "█" * 30  # open span runs to the end
    assert rows["pause"] == " " * 45 + "█" + " " * 14  # an instant still shows
    assert rows["pings"] == " " * 10 + "|" + " " * 48 + "|"
    assert rows["findings"] == " " * 40 + "!" + " " * 9 + "?" + " " * 9  # error wins; no info
    assert rows["ad"] == rows["chapter"] == rows["buffer"] == " " * 60


def test_lane_rows_of_a_session_without_ts_are_blank():
    rows = lane_rows(Session("s"), width=20)
    assert rows == [(kind, " " * 20) for kind in ROW_KINDS]
    with pytest.raises(ValueError):
        lane_rows(Session("s"), width=0)


# --- files and formats -------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt", [("r.json", "json"), ("r.XML", "junit"), ("r.md", "markdown"),
                                       ("r.html", "html"), ("r.htm", "html"), ("r.txt", "text"),
                                       ("report", "text")])
def test_format_for_path(name, fmt):
    assert format_for_path(name) == fmt


def test_render_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="csv"):
        render(sample(), "csv", rules=RULES)
    assert set(FORMATS) == {"text", "json", "junit", "markdown", "html"}


def test_write_report_is_owner_only_atomic_and_chosen_by_extension(tmp_path):
    cap = sample()
    old_umask = os.umask(0)  # a permissive umask must not widen the report's mode
    try:
        target = tmp_path / "run.json"
        target.write_text("old")
        os.chmod(target, 0o644)
        assert write_report(cap, target, rules=RULES) == "json"
        for name in ("run.xml", "run.md", "run.html", "run.log"):
            write_report(cap, tmp_path / name, rules=RULES)
    finally:
        os.umask(old_umask)
    for p in tmp_path.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run.html", "run.json", "run.log", "run.md", "run.xml"]  # no temporary files left
    assert json.loads((tmp_path / "run.json").read_text("utf-8"))["summary"]["error"] == 4
    ET.parse(tmp_path / "run.xml")
    assert (tmp_path / "run.md").read_text("utf-8").startswith("# playhead report")
    assert (tmp_path / "run.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "run.log").read_text("utf-8").endswith("0 info\n")


def test_write_report_that_cannot_be_written_raises_and_leaves_no_trace(tmp_path):
    with pytest.raises(OSError):
        write_report(sample(), tmp_path / "missing" / "r.json", rules=RULES)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken.json").mkdir()  # the rename over it fails after the data was written
    with pytest.raises(OSError):
        write_report(sample(), tmp_path / "taken.json", rules=RULES)
    assert [p.name for p in tmp_path.iterdir()] == ["taken.json"]  # temporary file removed
    assert list((tmp_path / "taken.json").iterdir()) == []


# --- over the real engine ----------------------------------------------------------------------

START_PARAMS = {
    "analytics.trackingServer": "example.sc.omtrdc.net", "analytics.reportSuite": "rsid",
    "visitor.marketingCloudOrgId": "ORG@AdobeOrg", "media.id": "vod-001",
    "media.name": "Pilot [bold red]<script>\x1b[2J", "media.contentType": "vod",
    "media.playerName": "test-player", "media.channel": "web", "media.length": 60.33,
}


def _event_call(sid: str | None, event_type: str, t: float, playhead_s: float,
                params: dict | None = None, status: int = 204) -> Call:
    ts = T0 + int(t * 1000)
    body = {"eventType": event_type, "playerTime": {"playhead": playhead_s, "ts": ts}}
    if params is not None:
        body["params"] = params
    if sid is None:  # a sessionStart: the sid comes back in the 201's Location
        return Call("POST", HOST + "/api/v1/sessions", json.dumps(body).encode(), status,
                    response_headers=(), time=ts / 1000)
    return Call("POST", f"{HOST}/api/v1/sessions/{sid}/events", json.dumps(body).encode(), status,
                time=ts / 1000)


def _started(sid: str, t: float = 0) -> Call:
    call = _event_call(None, "sessionStart", t, 0, START_PARAMS, 201)
    call.response_headers = (("Location", f"/api/v1/sessions/{sid}"),)
    return call


AD = {"media.ad.id": "ad-1", "media.ad.length": 10, "media.ad.podPosition": 1,
      "media.ad.playerName": "test-player"}


def _engine_run():
    """A clean session, one with an ad outside any break, and a sessionStart answered 400."""
    clean, broken = "c" * 64, "d" * 64
    calls = [_started(clean), _event_call(clean, "play", 0.2, 0)]
    calls += [_event_call(clean, "ping", t, t - 0.2) for t in range(10, 60, 10)]
    calls += [_event_call(clean, "sessionComplete", 60, 59.8)]
    calls += [_started(broken, 100), _event_call(broken, "play", 100.2, 0),
              _event_call(broken, "adStart", 105, 4.8, AD),
              _event_call(broken, "adComplete", 115, 4.8),
              _event_call(broken, "play", 115.2, 4.8),
              _event_call(broken, "sessionEnd", 120, 9.6)]
    calls.append(_event_call(None, "sessionStart", 130, 0, START_PARAMS, 400))  # refused, body fine
    return check_calls(calls)


def test_reports_over_the_real_engine_agree_with_its_findings():
    tracker = _engine_run()
    by_sev = {s: sum(1 for f in tracker.findings if f.severity == s) for s in (E, W, I)}
    rules_hit = {f.rule for f in tracker.findings}
    assert "ad-outside-break" in rules_hit and "session-start-rejected" in rules_hit
    assert all(f.rule in REGISTRY for f in tracker.findings)

    data = json.loads(render(tracker, "json"))
    assert data["summary"] == {"sessions": len(tracker.sessions), "calls": tracker.calls,
                               "error": by_sev[E], "warning": by_sev[W], "info": by_sev[I]}
    assert len(data["findings"]) == len(tracker.findings)
    sessions = {s["id"]: s for s in data["sessions"]}
    assert sessions["c" * 64]["closed_by"] == "sessionComplete" and sessions["c" * 64]["error"] == 0
    assert sessions["d" * 64]["error"] >= 1
    assert sessions["c" * 64]["media"]["name"] == START_PARAMS["media.name"]
    assert any(f["session"] is None and f["rule"] == "session-start-rejected"
               for f in data["findings"])

    root = ET.fromstring(render(tracker, "junit").encode("utf-8"))
    failing = {(f.session, REGISTRY[f.rule].family) for f in tracker.findings if f.severity == E}
    assert len(root.findall(".//failure")) == len(failing)  # one failure element per failing family
    by_sid = {suite.find("properties/property[@name='session']").get("value"): suite
              for suite in root.findall("testsuite") if suite.get("name") != "capture"}
    families = list(dict.fromkeys(r.family for r in REGISTRY))
    suite_c = by_sid["c" * 64]
    assert [c.get("name") for c in suite_c.findall("testcase")] == families
    assert suite_c.get("failures") == "0"
    family = REGISTRY["ad-outside-break"].family
    (failure,) = by_sid["d" * 64].find(f"testcase[@name='{family}']").findall("failure")
    assert "ad-outside-break at " in failure.text

    text = render(tracker, "text")
    assert "\x1b" not in text and "Pilot [bold red]<script>\\x1b[2J" in text
    assert REGISTRY["ad-outside-break"].fix in text

    md = render(tracker, "markdown")
    lanes = md.split("```text\n")[1].split("```")[0]  # the clean session: content all along
    assert "content  │" + "█" * 60 + "│" in lanes.splitlines()


def test_lane_rows_of_real_sessions_put_pings_content_and_marks_in_their_columns():
    tracker = _engine_run()
    clean = dict(lane_rows(tracker.sessions["c" * 64], width=60))  # 60 s over 60 columns
    assert clean["pings"] == "".join("|" if c in (10, 20, 30, 40, 50) else " " for c in range(60))
    assert clean["content"] == "█" * 60  # play at 0.2 s to sessionComplete at 60 s
    assert clean["findings"] == " " * 60
    broken = tracker.sessions["d" * 64]
    assert (broken.first_ts, broken.last_ts) == (T0 + 100_000, T0 + 120_000)
    rows = dict(lane_rows(broken, width=20))  # 20 s over 20 columns
    # adStart at 105 s outside any break: one error, in column 5 (its adComplete is the same defect)
    assert rows["findings"] == " " * 5 + "!" + " " * 14
    assert rows["ad-break"] == " " * 20
