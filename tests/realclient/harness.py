"""Run one scenario page in Debian's Chromium, headless, through mitmdump with playhead's script.

`mitmdump -s pages.py -s <playhead's mitmdump script>` on 127.0.0.1 with a free port and
`playhead_sink=true` (playhead answers Media Edge, with the pages' org for alloy's cookies), writing a HAR (`hardump`) and a playhead recording
(`playhead_record`); Chromium with the flags of `../shared/reference/alloy-wire.md` and a fresh
profile opens `https://page.test/<scenario>.html`, and `--dump-dom` prints the page once the
virtual-time budget is spent: the page's `<pre id="result">` says every command finished and how
(alloy's promises: resolved, or rejected with its message). Every wait is bounded and both
processes are stopped whatever happens.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from realclient.pages import ALLOY_JS, EDGE_HOST, PAGE_HOST
from support_proxy import MITMDUMP, MITMDUMP_LISTENING, spawn, stop_process

HERE = Path(__file__).resolve().parent
ORG_ID = "5BFE274A5F6980A50A495C08@AdobeOrg"  # the pages configure alloy with this orgId (player.js)
CHROMIUM_TIMEOUT = 60.0  # wall seconds: a scenario takes 1-3 s; virtual time runs ahead of it
_RESULT = re.compile(r'<pre id="result">(.*?)</pre>', re.S)


@dataclass(frozen=True)
class Scenario:
    name: str
    virtual_seconds: int  # how long the page plays, in virtual time
    summary: str


SCENARIOS = {s.name: s for s in [
    Scenario("vod", 140, "VOD with initial buffering, two pauses and a rebuffer, watched to the end"),
    Scenario("ads", 135, "a pre-roll of two ads, a mid-roll whose first ad is skipped"),
    Scenario("chapters", 110, "three chapters and a pause"),
    Scenario("qoe", 75, "QoE on every call, a bitrate switch, a player error, player states"),
    Scenario("abandon", 50, "sessionEnd during a mid-roll ad: abandonment"),
    Scenario("legacy", 110, "the legacy tracker API (getMediaAnalyticsTracker)"),
    Scenario("broken-ad-no-break", 80, "BROKEN: an ad with no ad break around it"),
    Scenario("broken-after-end", 65, "BROKEN: play, pauseStart, sessionComplete after sessionEnd"),
    Scenario("broken-never-closed", 40, "BROKEN: no sessionComplete or sessionEnd; alloy pings on"),
]}


@dataclass
class Capture:
    scenario: Scenario
    har: Path
    recording: Path
    result: dict  # the page's own account: {"done", "sessionIds", "commands": [{command, status, message?}]}


def edge_entries(har: Path) -> list[dict]:
    """The HAR entries of the Media Edge host, in the order they were sent."""
    entries = json.loads(har.read_text())["log"]["entries"]
    edge = [e for e in entries if urlsplit(e["request"]["url"]).hostname == EDGE_HOST]
    return sorted(edge, key=lambda e: e["startedDateTime"])


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why the real-client tests cannot run here (`.ci/run` installs both), or None."""
    if chromium() is None:
        return "Chromium is not installed (bash .ci/run installs Debian's chromium)"
    if not ALLOY_JS.is_file():
        return f"Adobe's Web SDK is not installed ({ALLOY_JS} missing; run npm ci at the repo top)"
    return None


def playhead_script() -> str:
    out = subprocess.run([sys.executable, "-m", "playhead.cli", "proxy", "--script-path"],
                         capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


def mitmdump_args(workdir: Path, har: Path, recording: Path) -> list[str]:
    return [MITMDUMP, "--listen-host", "127.0.0.1", "-p", "0", "-s", str(HERE / "pages.py"),
            "-s", playhead_script(), "--set", "playhead_sink=true", "--set", f"playhead_sink_org={ORG_ID}",
            "--set", f"playhead_record={recording}",
            "--set", f"hardump={har}", "--set", f"confdir={workdir / 'mitmproxy'}",
            "--set", "connection_strategy=lazy"]


def chromium_args(port: int, profile: Path, scenario: Scenario) -> list[str]:
    budget_ms = (scenario.virtual_seconds + 30) * 1000
    return [chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{port}",
            "--ignore-certificate-errors", f"--virtual-time-budget={budget_ms}", "--dump-dom",
            f"https://{PAGE_HOST}/{scenario.name}.html"]


def run_browser(args: list[str]) -> str:
    """Chromium's --dump-dom output. Chromium runs in a process group of its own, killed whole
    afterwards, so no renderer or zygote outlives the test, even when the browser overran."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=CHROMIUM_TIMEOUT)
        return out
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def page_result(dom: str) -> dict:
    m = _RESULT.search(dom)
    if m is None:
        raise AssertionError(f"the page never finished (no <pre id=result> in the dumped DOM):\n{dom[-2000:]}")
    return json.loads(html.unescape(m.group(1)))


def run_scenario(scenario: Scenario, workdir: Path) -> Capture:
    workdir.mkdir(parents=True, exist_ok=True)
    har, recording = workdir / f"{scenario.name}.har", workdir / f"{scenario.name}.jsonl"
    proc, out, err = spawn(mitmdump_args(workdir, har, recording),
                           env={**os.environ, "NO_COLOR": "1"})
    try:
        port = int(out.wait_for(MITMDUMP_LISTENING).group(1))
        dom = run_browser(chromium_args(port, workdir / "profile", scenario))
        proc.send_signal(signal.SIGINT)  # mitmdump writes the HAR when it shuts down
        proc.wait(30)
    finally:
        stop_process(proc)
    if not har.is_file():
        raise AssertionError(f"mitmdump wrote no HAR:\n{out.rest()}{err.rest()}")
    return Capture(scenario, har, recording, page_result(dom))
