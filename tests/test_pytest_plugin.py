"""The pytest plugin (SPEC §12), run the way a user's suite runs it: pytester starts pytest in a
subprocess over a test file that drives simulated playbacks through the fixture's real proxy."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

PLAYBACKS = '''
from playhead.simulate import SCENARIOS, Player
from playhead.simulate.certification import CERTIFICATION


def play(playhead, scenario):
    Player("http://example.hb-api.omtrdc.net", proxy=playhead.proxy_url, speed=0).play(scenario)
'''


def run(pytester, tests: str, *args: str):
    pytester.makepyfile(test_device=PLAYBACKS + tests)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=120)


def test_a_clean_playback_passes_and_a_broken_one_fails_like_the_text_report(pytester):
    result = run(pytester, '''
def test_clean(playhead):
    play(playhead, SCENARIOS["vod-clean"])
    (session,) = playhead.wait_for_sessions(1, closed=True, timeout=30)
    assert session["media"]["id"] == "demo-vod-001" and session["protocol"] == "media-collection"
    playhead.assert_clean(fail_on="warning")
    playhead.assert_checklist("vod-preroll-ads")


def test_broken(playhead):
    assert playhead.sessions() == []  # reset: the clean session of the test before is forgotten
    play(playhead, SCENARIOS["ad-outside-break"])
    playhead.wait_for_sessions(1)
    assert [f["rule"] for f in playhead.findings(severity="error")] == ["ad-outside-break"]
    playhead.assert_clean()
''')
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*playhead found 1 finding of severity error or worse (ad-outside-break):",
        "session * media demo-vod-002 \"Harbour Lights, episode 2\"  19 calls  closed by sessionComplete  "
        "1 error, 0 warnings, 0 info  [[]Media Collection API[]]",
        "  call   3 adStart          error    ad-outside-break  adStart with no open ad break: counted as main content",
        "      fix: Send adBreakStart before the first ad of a pod and adBreakComplete after the last.",
        "1 session, 19 calls: 1 error, 0 warnings, 0 info",
    ])
    assert "Traceback" not in result.stdout.str()  # the failure is the report, not a stack


def test_a_failing_checklist_names_the_step_and_a_wait_that_times_out_says_what_it_saw(pytester):
    result = run(pytester, '''
def test_checklist(playhead):
    play(playhead, CERTIFICATION["pause"][1])
    playhead.wait_for_sessions(1)
    playhead.assert_checklist("pause")


def test_wait(playhead):
    playhead.wait_for_sessions(2, timeout=0.3)
''')
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*checklist pause: failed: session *: Resume: play (there is no resume event): never seen*",
        "    failed     Resume: play (there is no resume event): never seen before the session closed: play*",
        "*playhead: fewer than 2 closed sessions after 0.3 s (seen: 0 sessions, 0 closed)",
    ])


def test_forward_mode_and_the_options(pytester):
    result = run(pytester, '''
def test_mode(playhead):
    assert playhead.status()["mode"] == "forward"
    assert playhead.proxy_url.startswith("http://127.0.0.1:")
''', "--playhead-forward")
    result.assert_outcomes(passed=1)
    help_text = pytester.runpytest_subprocess("--help").stdout.str()
    for option in ("--playhead-forward", "--playhead-port", "--playhead-record", "--playhead-checklists"):
        assert option in help_text
