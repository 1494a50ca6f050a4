"""Property test: any well-formed session is clean; one planted defect makes its rule fire."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from playhead.core.engine import check_calls
from playhead.core.findings import Severity
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import Scenario, Script, session_params

START = 1764115200000
SID = "f" * 64

segment = st.one_of(
    st.tuples(st.just("content"), st.integers(1, 6)),  # tens of seconds of content
    st.tuples(st.just("pause"), st.integers(0, 4)),  # pings while paused
    st.tuples(st.just("buffer"), st.integers(0, 2)),
    st.tuples(st.just("ads"), st.lists(st.integers(1, 8), min_size=1, max_size=3)),  # ad lengths
    st.tuples(st.just("chapter"), st.integers(1, 4)),
)
sessions = st.tuples(
    st.booleans(),  # pre-roll
    st.lists(segment, min_size=1, max_size=8),
    st.sampled_from(["sessionComplete", "sessionEnd"]),
)


def build(preroll: bool, segments, closer: str) -> Scenario:
    s = Script()
    s.session_start(session_params("m1", "Property", 100000.0))
    breaks = 0

    def ads(lengths):
        nonlocal breaks
        s.ad_break_start(breaks, s.playhead)
        breaks += 1
        for position, length in enumerate(lengths, 1):
            s.ad(f"ad{breaks}-{position}", length, position)
        s.ad_break_complete()

    def stretch(seconds):
        s.wait(seconds, ping_every=10).ping()  # pings every 10 s, and one as the stretch ends

    if preroll:
        ads([5])
    s.play()
    stretch(10)  # a break before the content advanced would be a pre-roll after play
    for kind, arg in segments:
        if kind == "content":
            stretch(arg * 10)
        elif kind == "pause":
            s.pause_start()
            stretch((arg + 1) * 10)
            s.play()
        elif kind == "buffer":
            s.buffer_start()
            stretch(arg * 5 + 2)
            s.play()
        elif kind == "ads":
            ads(arg)
            s.play()
        elif kind == "chapter":
            s.chapter_start(1, s.playhead, arg * 10)
            stretch(arg * 10)
            s.chapter_complete()
    stretch(5)
    s.session_complete() if closer == "sessionComplete" else s.session_end()
    return s.build("property", "property", "generated")


def findings(scenario: Scenario):
    return check_calls(scenario_as_calls(scenario, sid=SID, start_ts=START)).findings


def drop(scenario: Scenario, index: int) -> Scenario:
    steps = list(scenario.steps)
    del steps[index]
    return replace(scenario, steps=tuple(steps))


def indexes(scenario: Scenario, event_type: str) -> list[int]:
    return [i for i, step in enumerate(scenario.steps) if step.event_type == event_type]


quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(sessions)
def test_well_formed_sessions_are_clean(spec):
    found = [f for f in findings(build(*spec)) if f.severity >= Severity.WARNING]
    assert found == []


DEFECTS = {
    # defect: (the event type dropped, rules of which at least one must fire)
    # A break left open is reported when something closes over it; before sessionEnd it is
    # abandonment, and then the content play inside the still-open break is what gives it away.
    "drop adBreakComplete": ("adBreakComplete", ("ad-break-not-closed", "playback-in-break")),
    "drop adBreakStart": ("adBreakStart", ("ad-outside-break",)),
    # The ad runs into the next adStart or adBreakComplete (or the sessionEnd: abandonment,
    # where the content play in the break shows it).
    "drop adComplete": ("adComplete", ("ad-not-closed", "playback-in-break")),
    "drop chapterStart": ("chapterStart", ("chapter-end-without-start",)),
}


@quick
@given(sessions, st.sampled_from(sorted(DEFECTS)), st.data())
def test_one_planted_defect_fires_its_rule(spec, defect, data):
    scenario = build(*spec)
    event_type, rule_ids = DEFECTS[defect]
    candidates = indexes(scenario, event_type)
    assume(candidates)  # the session must have the event the defect drops
    broken = drop(scenario, data.draw(st.sampled_from(candidates)))
    serious = [f for f in findings(broken) if f.severity >= Severity.WARNING]
    assert set(rule_ids) & {f.rule for f in serious}
    assert len(serious) == 1, f"one planted defect, one finding: {[(f.rule, f.call) for f in serious]}"


@quick
@given(sessions, st.sampled_from(["ping-late", "event-after-end", "ts-units", "playhead-units"]))
def test_timing_and_unit_defects_fire(spec, rule_id):
    scenario = build(*spec)
    steps = list(scenario.steps)
    if rule_id == "ping-late":
        # silence: every event from the middle on happens 30 s later
        cut = len(steps) // 2 or 1
        steps = steps[:cut] + [replace(s, at=s.at + 30) for s in steps[cut:]]
    elif rule_id == "event-after-end":
        last = steps[-1]
        steps += [replace(last, at=last.at + 1, event_type="sessionEnd", params=None)] \
            if last.event_type == "sessionComplete" else []
        steps += [replace(steps[-1], at=steps[-1].at + 1, event_type="ping", params=None)]
    elif rule_id == "ts-units":
        steps = [replace(s, ts_override="s") for s in steps]
    elif rule_id == "playhead-units":
        steps = [replace(s, playhead=s.playhead * 1000 + 1000 * 1000) for s in steps]
    fired = {f.rule for f in findings(replace(scenario, steps=tuple(steps)))}
    assert rule_id in fired


leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=12))
any_json = st.recursive(
    leaf, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=12)
event_types = st.sampled_from(["sessionStart", "play", "ping", "adBreakStart", "adStart", "adComplete",
                               "adBreakComplete", "chapterStart", "chapterComplete", "stateStart",
                               "statesUpdate", "error", "sessionEnd", "sessionComplete", "bogus"])
bodies = st.fixed_dictionaries({
    "eventType": st.one_of(event_types, leaf),
    "playerTime": st.one_of(any_json, st.fixed_dictionaries({
        "playhead": leaf, "ts": st.one_of(leaf, st.integers(START, START + 900_000))})),
    "params": any_json, "qoeData": any_json, "customMetadata": any_json,
})
raw_bodies = st.one_of(bodies.map(lambda b: __import__("json").dumps(b).encode()), st.binary(max_size=40))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(raw_bodies, st.sampled_from([201, 204, 400, 404, 410, 500, None]),
                          st.sampled_from(["start", "events", "odd sid"])), max_size=12))
def test_arbitrary_bodies_and_answers_never_break_the_engine(items):
    from playhead.core.call import Call

    calls = []
    for body, status, kind in items:
        if kind == "start":
            url = "https://h.example/api/v1/sessions"
            headers = None if status is None else ((("Location", "/api/v1/sessions/abc"),) if status == 201 else ())
        else:
            sid = "abc" if kind == "events" else "%5B%1b[31m"
            url = f"https://h.example/api/v1/sessions/{sid}/events"
            headers = None if status is None else ()
        calls.append(Call("POST", url, body, status, (), headers, b"", START / 1000))
    tracker = check_calls(calls)
    assert [f for f in tracker.findings if f.rule == "internal-error"] == []
    entries = sum(len(s.entries) for s in tracker.sessions.values()) + len(tracker.orphans)
    assert entries == len(calls)  # nothing lost
