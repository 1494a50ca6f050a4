"""Checklists (SPEC §13): the file format, the built-in checklists against correct and broken
playbacks, incremental evaluation and what an incomplete checklist waits for."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from playhead.checklists import (
    FAILED, INCOMPLETE, PASSED, ChecklistError, ChecklistWatch, load_checklists, select)
from playhead.checklists.format import load_file
from playhead.cli import main
from playhead.io.recording import RecordingWriter
from playhead.core.config import Config
from playhead.core.findings import Severity
from playhead.core.tracker import Tracker
from playhead.simulate.certification import CERTIFICATION
from playhead.simulate.offline import scenario_as_calls

BUILTIN = load_checklists()

# checklist -> the steps its broken playback fails (exactly)
BROKEN_FAILS = {
    "test1-standard-playback": {"Content complete: sessionComplete"},
    "test2-media-interruption": {"No tracking calls after the player closed", "No error finding"},
    "vod-no-ads": {"No ad break"},
    "vod-preroll-ads": {"The break ends: adBreakComplete", "No error finding"},
    "vod-midroll-ads": {"A mid-roll ad break inside the content", "The break ends: adBreakComplete",
                        "No error finding"},
    "vod-postroll-ads": {"A post-roll ad break after the content", "The ad starts: adStart",
                         "The ad completes: adComplete", "The break ends: adBreakComplete"},
    "vod-skipped-ad": {"The ad is skipped: adSkip", "No adComplete for the skipped ad"},
    "vod-chapters": {"Chapters bookended (no chapter finding)", "No error finding"},
    "live-main-content": {"Content plays: pings", "Content keeps playing: a second ping"},
    "live-with-ads": {"The break ends: adBreakComplete", "No error finding"},
    "buffering": {"Buffering ends: play"},
    "pause": {"Resume: play (there is no resume event)", "No error finding"},
    "bitrate-change": {"The bitrate changes: bitrateChange with media.qoe.bitrate"},
    "error": {"The player reports an error: error"},
    "player-states": {"States bookended (no state finding)"},
    "downloaded-content": {"Content complete: sessionComplete"},
}


def run(scenario, checklists):
    tracker = Tracker()
    watch = ChecklistWatch(tracker, checklists)
    tracker.feed_all(scenario_as_calls(scenario))
    tracker.finish()
    return tracker, watch


def test_every_builtin_checklist_has_a_correct_and_a_broken_playback():
    assert set(CERTIFICATION) == set(BUILTIN) == set(BROKEN_FAILS)


@pytest.mark.parametrize("name", sorted(CERTIFICATION))
def test_builtin_checklist_passes_on_a_correct_playback(name):
    good, _ = CERTIFICATION[name]
    tracker, watch = run(good, [BUILTIN[name]])
    assert {f.rule for f in tracker.findings if f.severity >= Severity.WARNING} == set()
    result = watch.result(BUILTIN[name], final=True)
    assert [s.status for v in result.verdicts for s in v.steps] == [PASSED] * len(BUILTIN[name].steps)
    assert result.status == PASSED and len(result.verdicts) == 1


@pytest.mark.parametrize("name", sorted(CERTIFICATION))
def test_builtin_checklist_fails_the_right_step_on_a_broken_playback(name):
    _, broken = CERTIFICATION[name]
    tracker, watch = run(broken, [BUILTIN[name]])
    assert {f.rule for f in tracker.findings if f.severity >= Severity.WARNING} == set(broken.expected)
    result = watch.result(BUILTIN[name], final=True)
    (verdict,) = result.verdicts
    assert {s.step.title for s in verdict.steps if s.status != PASSED} == BROKEN_FAILS[name]
    assert {s.status for s in verdict.steps if s.status != PASSED} == {FAILED}
    assert result.status == FAILED


def test_every_step_cites_an_adobe_page():
    for checklist in BUILTIN.values():
        assert checklist.source.startswith(("https://experienceleague.adobe.com/", "https://docs.adobe.com/"))
        assert all(s.source.startswith("https://") for s in checklist.steps)


def test_an_incomplete_checklist_says_what_it_waits_for_and_ticks_as_calls_arrive():
    good, _ = CERTIFICATION["vod-preroll-ads"]
    checklist = BUILTIN["vod-preroll-ads"]
    calls = scenario_as_calls(good)
    tracker = Tracker()
    watch = ChecklistWatch(tracker, [checklist])
    assert watch.result(checklist).detail == "waiting for a session (contentType vod)"
    tracker.feed_all(calls[:3])  # sessionStart, adBreakStart, adStart
    (verdict,) = watch.verdicts(next(iter(tracker.sessions)))
    assert [s.status for s in verdict.steps[:4]] == [PASSED, PASSED, PASSED, INCOMPLETE]
    assert verdict.status == INCOMPLETE
    assert verdict.waiting_for == "waiting for adComplete"
    tracker.feed_all(calls[3:])
    (verdict,) = watch.verdicts(next(iter(tracker.sessions)))
    assert verdict.status == PASSED  # sessionComplete closed it: nothing waits for the capture's end


def test_a_session_cut_short_stays_incomplete_until_the_capture_ends():
    good, _ = CERTIFICATION["buffering"]
    calls = scenario_as_calls(good)
    tracker = Tracker()
    watch = ChecklistWatch(tracker, [BUILTIN["buffering"]])
    tracker.feed_all(calls[:-1])  # no sessionComplete yet
    assert watch.result(BUILTIN["buffering"]).status == INCOMPLETE
    tracker.finish()
    result = watch.result(BUILTIN["buffering"], final=True)
    assert result.status == FAILED
    assert "never seen before the session closed: sessionComplete or sessionEnd" in result.detail


def test_checklists_apply_by_content_type():
    good, _ = CERTIFICATION["live-main-content"]
    tracker, watch = run(good, [BUILTIN["vod-no-ads"], BUILTIN["live-main-content"]])
    (sid,) = tracker.sessions
    assert [v.checklist.name for v in watch.verdicts(sid, final=True)] == ["live-main-content"]
    assert watch.result(BUILTIN["vod-no-ads"], final=True).status == INCOMPLETE


def test_reset_forgets_progress():
    good, _ = CERTIFICATION["pause"]
    tracker, watch = run(good, [BUILTIN["pause"]])
    assert watch.result(BUILTIN["pause"], final=True).status == PASSED
    tracker.reset()
    assert watch.result(BUILTIN["pause"], final=True).verdicts == ()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_team_checklist_in_toml_loads_and_runs(tmp_path):
    write(tmp_path, "show-id.toml", """
name = "show-id"
title = "Every session names its show"
source = "https://wiki.example/tracking-plan"
[applies_to]
contentType = "vod"
[[steps]]
title = "sessionStart with media.show"
expect = { event = { type = "sessionStart", params = { "media.show" = { present = true } } } }
""")
    available = load_checklists([tmp_path])
    (checklist,) = select(available, ["show-id"])
    good, _ = CERTIFICATION["pause"]  # no media.show
    _, watch = run(good, [checklist])
    result = watch.result(checklist, final=True)
    assert result.status == FAILED
    assert result.verdicts[0].steps[0].detail == (
        "never seen before the session closed: sessionStart with media.show present "
        "(call 0 was sessionStart with media.show missing)")


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not valid JSON"),
    ("[]", "the document: expected an object"),
    ('{"source": "x", "steps": []}', "steps: a non-empty list of steps"),
    ('{"steps": [{"title": "t", "expect": {"event": "play"}}]}', "source: a non-empty string"),
    ('{"source": "s", "steps": [{"title": "t", "expect": {"evnt": "play"}}]}',
     "steps[0].expect: exactly one of event, absent, no_findings"),
    ('{"source": "s", "steps": [{"title": "t", "expect": {"event": {"type": "adStart", "params": '
     '{"media.ad.podIndex": {"min": "0"}}}}}]}', "steps[0].expect.event.params.media.ad.podIndex.min: a number"),
    ('{"source": "s", "steps": [{"title": "t", "expect": {"no_findings": {"severity": "fatal"}}}]}',
     "steps[0].expect.no_findings.severity: error, warning or info"),
    ('{"source": "s", "colour": 1, "steps": []}', "the document: unknown key 'colour'"),
    ('{"name": "a b/c", "source": "s", "steps": [{"title": "t", "expect": {"event": "play"}}]}',
     "name 'a b/c': letters, digits, '.', '_' and '-' only"),
])
def test_a_bad_checklist_file_is_one_clear_line(tmp_path, text, message):
    path = write(tmp_path, "bad.json", text)
    with pytest.raises(ChecklistError) as caught:
        load_file(path)
    line = str(caught.value)
    assert line.startswith(f"{path}: ") and message in line and "\n" not in line


def test_unknown_checklist_names_the_way_to_list_them():
    with pytest.raises(ChecklistError, match="unknown checklist 'nope'; `playhead checklists` lists them"):
        select(BUILTIN, ["nope"])


def test_builtin_files_are_plain_json_a_team_can_copy():
    for checklist in BUILTIN.values():
        assert json.loads(Path(checklist.path).read_text())["name"] == checklist.name


# -- playhead check --checklist, playhead checklists ----------------------------------------------



def recording(path: Path, *scenarios) -> Path:
    with RecordingWriter(path) as writer:
        for n, scenario in enumerate(scenarios):
            for call in scenario_as_calls(scenario, sid=f"{n:064x}"):
                writer.write(call)
    return path


def test_check_with_a_checklist_exits_by_its_verdict(tmp_path, capsys):
    good, bad = CERTIFICATION["vod-preroll-ads"]
    assert main(["check", str(recording(tmp_path / "good.jsonl", good)), "--checklist", "vod-preroll-ads"]) == 0
    out = capsys.readouterr().out
    assert "checklist vod-preroll-ads: PASSED" in out and "✓ 5. The break ends: adBreakComplete" in out
    # the broken one has an error finding too; --fail-on does not matter: the checklist fails
    assert main(["check", str(recording(tmp_path / "bad.jsonl", bad)), "--checklist", "vod-preroll-ads"]) == 1
    assert "✗ 5. The break ends: adBreakComplete: never seen before the session closed" in capsys.readouterr().out


def test_check_with_a_checklist_no_session_fits_stays_incomplete_and_exits_1(tmp_path, capsys):
    live, _ = CERTIFICATION["live-main-content"]
    path = recording(tmp_path / "live.jsonl", live)
    assert main(["check", str(path)]) == 0
    assert main(["check", str(path), "--checklist", "vod-no-ads"]) == 1
    assert "checklist vod-no-ads: INCOMPLETE" in capsys.readouterr().out


def test_check_reports_checklists_in_json_junit_and_html(tmp_path):
    good, bad = CERTIFICATION["pause"]
    path = recording(tmp_path / "two.jsonl", good, bad)
    assert main(["check", str(path), "--checklist", "pause", "-o", str(tmp_path / "r.json")]) == 1
    (result,) = json.loads((tmp_path / "r.json").read_text())["checklists"]
    assert result["name"] == "pause" and result["status"] == FAILED
    assert [v["status"] for v in result["sessions"]] == [PASSED, FAILED]
    assert main(["check", str(path), "--checklist", "pause", "-o", str(tmp_path / "r.xml")]) == 1
    suites = {s.get("name"): s for s in ET.parse(tmp_path / "r.xml").getroot()}
    suite = suites["checklist pause"]
    assert (suite.get("tests"), suite.get("failures")) == ("14", "2")
    assert main(["check", str(path), "--checklist", "pause", "-o", str(tmp_path / "r.html")]) == 1
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Checklists</h2>" in page and "Resume: play (there is no resume event)" in page


def test_check_with_an_unknown_or_broken_checklist_is_one_line_exit_2(tmp_path, capsys):
    good, _ = CERTIFICATION["pause"]
    path = str(recording(tmp_path / "r.jsonl", good))
    assert main(["check", path, "--checklist", "nope"]) == 2
    assert capsys.readouterr().err == "playhead: unknown checklist 'nope'; `playhead checklists` lists them\n"
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine", "x.json", "{")
    assert main(["check", path, "--checklist", "pause", "--checklists", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"playhead: {tmp_path / 'mine' / 'x.json'}: not valid JSON") and err.count("\n") == 1


def test_playhead_checklists_lists_each_with_its_source(capsys, tmp_path):
    assert main(["checklists"]) == 0
    out = capsys.readouterr().out
    for checklist in BUILTIN.values():
        assert f"source: {checklist.source}" in out and checklist.name in out
    assert main(["checklists", "--steps"]) == 0
    assert " 1. Media start: the sessionStart" in capsys.readouterr().out


def test_sessions_summarised_by_the_session_cap_are_let_go():
    """Made-up sids must not grow the checklists' memory past the engine's session cap."""
    tracker = Tracker(config=Config(max_calls=2000))  # a session cap of 100
    watch = ChecklistWatch(tracker, list(BUILTIN.values()))
    good, _ = CERTIFICATION["pause"]
    for n in range(300):
        tracker.feed_all(scenario_as_calls(good, sid=f"{n:064x}")[:1])  # a sessionStart each
    assert tracker.retention.summarised > 0
    assert 0 < len(watch.result(BUILTIN["pause"]).verdicts) <= tracker.retention.session_cap
