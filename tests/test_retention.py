"""The memory cap of long runs (core/retention.py), on a real Tracker fed the simulator's scenarios.

What must hold whatever the cap: the same findings (rule, session, call index, message) as with no
cap, the same per-session counts, spans and states, every session keeping its newest call, and the
calls in memory staying near the cap. What the cap chooses: closed sessions first, then the oldest
calls of open ones.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playhead.core.call import Call
from playhead.core.config import Config
from playhead.core.engine import check_calls
from playhead.core.metrics import session_metrics
from playhead.core.tracker import Tracker
from playhead.io.recording import RecordingWriter
from playhead.simulate import SCENARIOS
from playhead.simulate.offline import scenario_as_calls
from support_proxy import event_body, session_start_body

START = 1764115200000
HOST = "https://x.hb-api.omtrdc.net"


def scenario_calls(copies: int = 1, overlap: bool = False, seed: int = 0,
                   names: tuple[str, ...] = tuple(SCENARIOS)) -> list[Call]:
    """The scenarios, `copies` times with fresh sids; `overlap` plays them all at once (their
    calls interleaved as a proxy would see them), else one after the other."""
    calls, start = [], START
    for n in range(copies):
        for i, name in enumerate(names):
            calls += scenario_as_calls(SCENARIOS[name], sid=f"{n:04d}{i:04d}" * 8, start_ts=start)
            if not overlap:
                start += 3_600_000
    if overlap:
        random.Random(seed).shuffle(calls)
        calls.sort(key=lambda c: c.time)  # stable: equal times keep the shuffled order
    return calls


def signature(tracker: Tracker):
    findings = sorted((f.rule, f.severity, f.session or "", -1 if f.call is None else f.call, f.message)
                      for f in tracker.findings)
    sessions = {sid: (s.calls, s.closed_by, s.state, dict(s.counts), [(p.kind, p.start_ts, p.end_ts) for p in s.spans],
                      list(s.ping_ts), s.first_ts, s.last_ts, s.params, session_metrics(s))
                for sid, s in tracker.sessions.items()}
    return findings, sessions, tracker.calls


def in_memory(tracker: Tracker) -> int:
    return sum(len(s.entries) for s in tracker.sessions.values()) + len(tracker.orphans)


def assert_consistent(tracker: Tracker) -> None:
    """Entries are the newest calls of each session, contiguous, and `entry(i)` finds them."""
    for session in tracker.sessions.values():
        assert session.entries, "every session keeps its newest call"
        assert [e.index for e in session.entries] == list(range(session.dropped, session.calls))
        assert session.entry(session.dropped - 1) is None
        assert session.entry(session.calls - 1) is session.entries[-1]
    assert in_memory(tracker) + tracker.retention.dropped == tracker.calls


@pytest.mark.parametrize("overlap", [False, True], ids=["one-after-another", "interleaved"])
@pytest.mark.parametrize("cap", [1, 7, 40, 200])
def test_a_cap_changes_no_finding_count_or_span(cap, overlap):
    calls = scenario_calls(copies=2, overlap=overlap)
    full = check_calls(calls)
    capped = check_calls(calls, config=Config(max_calls=cap))
    assert capped.retention.dropped > 0
    assert signature(capped) == signature(full)
    assert_consistent(capped)


@settings(max_examples=25, deadline=None)
@given(cap=st.integers(1, 120), seed=st.integers(0, 10_000), overlap=st.booleans())
def test_any_cap_any_order_same_findings(cap, seed, overlap):
    calls = scenario_calls(overlap=overlap, seed=seed)
    assert signature(check_calls(calls, config=Config(max_calls=cap))) == signature(check_calls(calls))


def test_memory_stays_near_the_cap_while_calls_keep_coming():
    cap = 100
    tracker = Tracker(config=Config(max_calls=cap))
    peak = 0
    for call in scenario_calls(copies=3, overlap=True):
        tracker.feed(call)
        peak = max(peak, in_memory(tracker))
    assert tracker.calls > 5 * cap
    sessions = len(tracker.sessions)  # each keeps one call: a floor no cap goes under
    assert peak <= max(cap, sessions + tracker.retention.batch) + 1
    tracker.finish()  # events held for a sid never started are released into a session
    assert_consistent(tracker)


def test_closed_sessions_are_summarised_before_an_open_session_loses_a_call():
    long_open = "0f" * 32
    tracker = Tracker(config=Config(max_calls=100))  # room for the session being played, not for all
    t = START
    feed = [Call("POST", f"{HOST}/api/v1/sessions", session_start_body(t), 201, (),
                 (("Location", f"/api/v1/sessions/{long_open}"),), b"", t / 1000)]
    feed += [Call("POST", f"{HOST}/api/v1/sessions/{long_open}/events", event_body("play", 0, t + 1000), 204,
                  time=t / 1000 + 1)]
    feed += scenario_calls(copies=5, names=("vod-clean",))  # 5 × 58 calls, each session played to its end
    for call in feed:
        tracker.feed(call)
    assert tracker.retention.dropped > 0
    open_session = tracker.sessions[long_open]
    assert open_session.dropped == 0 and open_session.calls == 2
    # Offline, a session's sessionComplete waits in the reorder window until the capture ends,
    # but it has arrived: the session counts as closed and is summarised whole, newest call kept.
    summarised = [s for s in tracker.sessions.values() if s.dropped]
    assert len(summarised) >= 3 and all(len(s.entries) == 1 for s in summarised)
    assert all(s.entries[0].event_type == "sessionComplete" for s in summarised)


def test_open_sessions_lose_their_oldest_calls_first():
    """Two sessions that never close, pinging: the cap drops the calls seen first across both."""
    a, b = "0a" * 32, "0b" * 32
    tracker = Tracker(config=Config(max_calls=50))
    calls = []
    for sid, begin in ((a, 0), (b, 100)):  # b starts 100 s after a
        calls.append(Call("POST", f"{HOST}/api/v1/sessions", session_start_body(START + begin * 1000), 201, (),
                          (("Location", f"/api/v1/sessions/{sid}"),), b"", START / 1000 + begin))
        calls += [Call("POST", f"{HOST}/api/v1/sessions/{sid}/events",
                       event_body("ping", k * 10, START + (begin + k * 10) * 1000), 204,
                       time=START / 1000 + begin + k * 10) for k in range(1, 40)]
    for call in sorted(calls, key=lambda c: c.time):
        tracker.feed(call)
    assert tracker.sessions[a].dropped > tracker.sessions[b].dropped > 0
    kept = {id(e.call) for sid in (a, b) for e in tracker.sessions[sid].entries}
    assert max(c.time for c in calls if id(c) not in kept) <= min(c.time for c in calls if id(c) in kept)


def test_rejected_session_starts_go_too():
    tracker = Tracker(config=Config(max_calls=10))
    for k in range(40):
        tracker.feed(Call("POST", f"{HOST}/api/v1/sessions", session_start_body(START + k), 400, (), (), b"",
                          START / 1000 + k))
    assert tracker.calls == 40 and len(tracker.orphans) <= 10
    assert [f.rule for f in tracker.findings].count("session-start-rejected") == 40


def test_calls_that_cannot_go_do_not_make_every_call_a_trim():
    """Events of a sid not linked yet are held, not droppable: once a trim can do nothing, the
    next waits for another batch of calls instead of running on every call."""
    cap, sid = 100, "0c" * 32
    tracker = Tracker(config=Config(max_calls=cap))
    updates = []
    tracker.subscribe(updates.append)
    held = 500
    for k in range(held):
        tracker.feed(Call("POST", f"{HOST}/api/v1/sessions/{sid}/events", event_body("ping", k, START + k * 10_000),
                          204, time=START / 1000 + k * 10))
    trims = len(updates) - held  # each feed notifies once; a trim once more
    assert 0 < trims <= (held - cap) // tracker.retention.batch + 1
    tracker.finish()  # released at the end: none lost
    assert tracker.sessions[sid].calls == held


def test_a_live_tick_after_a_trim_still_says_ping_overdue():
    tracker = Tracker(config=Config(max_calls=5))
    sid = "0d" * 32
    t = START / 1000
    tracker.feed(Call("POST", f"{HOST}/api/v1/sessions", session_start_body(START), 201, (),
                      (("Location", f"/api/v1/sessions/{sid}"),), b"", t))
    for k in range(1, 20):
        tracker.feed(Call("POST", f"{HOST}/api/v1/sessions/{sid}/events", event_body("ping", k * 10, START + k * 10_000),
                          204, time=t + k * 10))
    session = tracker.sessions[sid]
    assert session.dropped > 0
    late = tracker.tick(t + 19 * 10 + 30).findings
    assert [(f.rule, f.call) for f in late] == [("ping-late", 19)]
    assert session.entry(19).findings == late


def test_check_with_max_calls_prints_the_same_report(tmp_path):
    recording = tmp_path / "run.jsonl"
    with RecordingWriter(recording) as writer:
        for call in scenario_calls(copies=2, overlap=True):
            writer.write(call)

    def check(*extra: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "playhead.cli", "check", str(recording), "--format", "json",
                              *extra], capture_output=True, text=True, timeout=60)
        assert out.returncode == 1, out.stderr
        return json.loads(out.stdout)

    assert check("--max-calls", "25") == check()


# -- the session cap ------------------------------------------------------------------------------


def made_up_sessions(count: int) -> list[Call]:
    """One-call sessions with made-up sids, never closed: what any client can send the proxy."""
    return [Call("POST", f"{HOST}/api/v1/sessions", session_start_body(ts=START + n, media_id=f"m-{n}"), 201,
                 (("Content-Type", "application/json"),), (("Location", f"/api/v1/sessions/{n:064x}"),), b"",
                 (START + n) / 1000) for n in range(count)]


@pytest.mark.parametrize("calls", [
    pytest.param(made_up_sessions(1000), id="made-up sids"),
    pytest.param(scenario_calls(copies=12), id="scenarios one after another"),
])
def test_past_the_session_cap_sessions_are_summarised_with_the_same_findings(calls):
    whole = Tracker(config=Config())
    whole.feed_all(calls)
    whole.finish()
    capped = Tracker(config=Config(max_calls=2000))  # session cap: max(100, 2000 // 20)
    kept_in_full = []
    for call in calls:
        capped.feed(call)
        kept_in_full.append(len(capped._timelines))
    capped.finish()
    assert capped.retention.session_cap == 100 and max(kept_in_full) <= 100
    assert capped.retention.summarised == len(capped.sessions) - len(capped._timelines) > 0
    # Summarising finishes a session early: it says what the end of the run would have said.
    same = lambda t: sorted((f.rule, f.severity, f.session or "", f.call, f.message) for f in t.findings)  # noqa: E731
    assert same(capped) == same(whole)
    for sid, session in capped.sessions.items():
        assert (session.calls, dict(session.counts), session.first_ts, session.last_ts) == (
            whole.sessions[sid].calls, dict(whole.sessions[sid].counts), whole.sessions[sid].first_ts,
            whole.sessions[sid].last_ts)
        if sid not in capped._timelines:  # the small record: no calls, the start's metadata
            assert session.entries == [] and session.params == whole.sessions[sid].params


def test_a_call_for_a_summarised_session_is_counted_not_checked():
    tracker = Tracker(config=Config(max_calls=2000))
    tracker.feed_all(made_up_sessions(200))
    first = f"{0:064x}"
    assert first not in tracker._timelines  # the least recently seen went first
    findings = len(tracker.findings)
    tracker.feed(Call("POST", f"{HOST}/api/v1/sessions/{first}/events", event_body("play", ts=START + 500),
                      204, (), (), b"", START / 1000 + 1))
    session = tracker.sessions[first]
    assert (session.calls, session.entries, tracker.retention.unchecked) == (2, [], 1)
    assert len(tracker.findings) == findings
