"""Metrics (SPEC §14) pinned on Adobe's documented timelines and the simulator's scenarios, over both
protocols: a real Tracker fed the calls a proxy would have captured.

The expected numbers are read off Adobe's pages (SPEC §11 transcribes them): Timeline 1 plays a
15 s and a 7 s pre-roll ad (t0-t22), an 8 s mid-roll ad (t46-t54), buffers t33-t36, pauses
t64-t74 and completes at t88 with the playhead at 45 s, all of which the content played once.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from playhead.core.config import Config
from playhead.core.engine import check_calls
from playhead.core.metrics import METRIC_LABELS, session_metrics
from playhead.core.tracker import Tracker
from playhead.io.reports import render
from playhead.simulate import ALL_SCENARIOS
from playhead.simulate.certification import BY_NAME
from playhead.simulate.offline import scenario_as_calls

from fixtures.adobe_timelines import SID, as_calls, timeline_1, timeline_2, timeline_3

START = 1764115200000


def metrics_of(calls, config: Config | None = None) -> dict:
    tracker = check_calls(calls, config=config)
    (session,) = tracker.sessions.values()
    return session_metrics(session)


def scenario_metrics(name: str, protocol: str = "media-collection") -> dict:
    scenario = ALL_SCENARIOS.get(name) or BY_NAME[name]
    if protocol != scenario.protocol:
        scenario = replace(scenario, protocol=protocol)
    return metrics_of(scenario_as_calls(scenario, sid="5" * 64, start_ts=START))


TIMELINE_1 = {
    "mediaStarts": 1, "contentStarts": 1, "contentCompletes": 1,
    "contentTimeSpent": 45.0,  # t22-t33 + t36-t46 + t54-t64 + t74-t88: the playhead's 45 s
    "mediaTimeSpent": 75.0,  # the content's 45 s and the ads' 30 s
    "adBreaks": 2, "adStarts": 3, "adCompletes": 3,
    "adTimeSpent": 30.0,  # 15 + 7 + 8: each ad played its length
    "chapterStarts": 0, "chapterCompletes": 0,
    "pauseEvents": 1, "pauseTime": 10.0,  # t64-t74
    "bufferEvents": 1, "bufferTime": 3.0,  # t33-t36
    "bitrateChanges": 0, "errorEvents": 0,
    "timeToStart": 0.0,  # the pre-roll's first frame at t0
    "playerStates": 0,
}


def test_the_keys_are_the_labels_in_order_and_json_safe():
    metrics = metrics_of(as_calls(timeline_1()))
    assert list(metrics) == list(METRIC_LABELS)
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics


def test_timeline_1_yields_what_its_page_plays():
    assert metrics_of(as_calls(timeline_1())) == TIMELINE_1


@pytest.mark.parametrize("protocol", ["media-collection", "media-edge"])
def test_the_simulated_timeline_1_yields_the_same_over_either_protocol(protocol):
    assert scenario_metrics("adobe-timeline-1", protocol) == TIMELINE_1


def test_timeline_2_abandonment_counts_the_open_ad_but_no_complete():
    m = metrics_of(as_calls(timeline_2()))
    assert (m["contentStarts"], m["contentCompletes"]) == (1, 0)  # sessionEnd: abandoned
    assert (m["adBreaks"], m["adStarts"], m["adCompletes"]) == (2, 2, 1)  # the mid-roll ad never ends
    assert m["adTimeSpent"] == 12 + 3  # the 12 s pre-roll, then t45-t48 of the open ad
    assert m["contentTimeSpent"] == 45 - 12  # play at t12 to the mid-roll: an error stops nothing
    assert m["errorEvents"] == 1


@pytest.mark.parametrize("protocol", ["media-collection", "media-edge"])
def test_timeline_3_counts_both_chapters(protocol):
    m = scenario_metrics("adobe-timeline-3", protocol)
    assert (m["chapterStarts"], m["chapterCompletes"]) == (2, 2)
    assert {k: v for k, v in m.items() if not k.startswith("chapter")} == {
        k: v for k, v in TIMELINE_1.items() if not k.startswith("chapter")}
    assert metrics_of(as_calls(timeline_3()))["chapterCompletes"] == 2


@pytest.mark.parametrize("protocol", ["media-collection", "media-edge"])
def test_vod_clean_counts_its_scripted_playback(protocol):
    m = scenario_metrics("vod-clean", protocol)
    # pre-roll 15 + 10, mid-roll 10; 60 s of content; a 3 s buffer and a 15 s pause
    assert (m["adStarts"], m["adCompletes"], m["adTimeSpent"]) == (3, 3, 35.0)
    assert (m["contentTimeSpent"], m["mediaTimeSpent"]) == (60.0, 95.0)
    assert (m["bufferEvents"], m["bufferTime"], m["pauseEvents"], m["pauseTime"]) == (1, 3.0, 1, 15.0)
    assert (m["chapterStarts"], m["chapterCompletes"], m["contentCompletes"]) == (2, 2, 1)


@pytest.mark.parametrize("name", ["ad-outside-break", "edge-ad-outside-break"])
def test_an_ad_outside_a_break_never_counts(name):
    m = scenario_metrics(name, ALL_SCENARIOS[name].protocol)
    assert (m["adBreaks"], m["adStarts"], m["adCompletes"], m["adTimeSpent"]) == (0, 0, 0, 0.0)
    assert m["contentTimeSpent"] == m["mediaTimeSpent"] > 0


def test_a_pause_the_backend_refused_is_not_counted():
    m = scenario_metrics("edge-path-mismatch", "media-edge")  # pauseStart posted to /play: 400
    assert (m["pauseEvents"], m["pauseTime"]) == (0, 0.0)


def test_a_chapter_complete_without_start_is_not_a_complete():
    m = scenario_metrics("mixed-bag")
    assert (m["chapterStarts"], m["chapterCompletes"]) == (0, 0)


@pytest.mark.parametrize("protocol", ["media-collection", "media-edge"])
@pytest.mark.parametrize(("name", "key", "value"), [
    ("cert-states", "playerStates", 1), ("cert-bitrate", "bitrateChanges", 1),
    ("cert-error", "errorEvents", 1), ("cert-error-broken", "errorEvents", 0),
])
def test_certification_scenarios_count_their_events(name, key, value, protocol):
    assert scenario_metrics(name, protocol)[key] == value


def test_events_the_backend_answered_404_count_nothing():
    m = scenario_metrics("ignored-404")  # every event went to a stale sid
    assert m["timeToStart"] is None
    assert not any(m[k] for k in METRIC_LABELS if k != "timeToStart")


def test_durations_are_unknown_when_ts_is_not_epoch_ms():
    m = scenario_metrics("ts-in-seconds")
    assert m["contentTimeSpent"] is None and m["timeToStart"] is None
    assert m["contentStarts"] == 1  # counts do not depend on the clock


def test_metrics_are_the_same_when_the_cap_drops_the_calls():
    calls = as_calls(timeline_1())
    capped = check_calls(calls, config=Config(max_calls=1))
    assert capped.retention.dropped > 0
    assert session_metrics(capped.sessions[SID]) == TIMELINE_1


def test_metrics_grow_as_the_calls_arrive():
    """Live: the numbers are right at every call, not only at the end of the capture."""
    calls = as_calls(timeline_1())
    tracker = Tracker()
    seen = []
    for call in calls:
        tracker.feed(call)
        seen.append(session_metrics(tracker.sessions[SID])["adStarts"] if tracker.sessions else 0)
    assert seen == sorted(seen) and seen[-1] == 3


def test_every_report_shows_the_metrics_of_a_real_run():
    """Timeline 1 through the engine, then every format: the same numbers, labelled."""
    tracker = check_calls(as_calls(timeline_1()))
    data = json.loads(render(tracker, "json"))
    (session,) = data["sessions"]
    assert list(session)[-2:] == ["protocol", "metrics"] and session["metrics"] == TIMELINE_1
    text = render(tracker, "text")
    assert ("metrics (playhead's computation): media starts 1, content starts 1, content completes 1, "
            "content time spent (s) 45, media time spent, content + ads (s) 75, ad breaks 2") in text
    md = render(tracker, "markdown").splitlines()
    assert "| content time spent (s) | 45 |" in md and "| total pause duration (s) | 10 |" in md
    junit = ET.fromstring(render(tracker, "junit"))
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert {k: props[f"metrics.{k}"] for k in ("contentTimeSpent", "adStarts", "timeToStart")} == {
        "contentTimeSpent": "45.0", "adStarts": "3", "timeToStart": "0.0"}
    page = render(tracker, "html")
    assert "<dt>ad time spent (s)</dt><dd>30</dd>" in page and "<dt>buffer events</dt><dd>1</dd>" in page
