"""A report worth looking at in a browser, and Chromium to look at it: the browser test
(test_report_browser.py) and the README's screenshot (report_screenshot.py) use the same one.

The report is a real engine run over the simulator's scenarios: 64-hex sids, Media Collection and
Media Edge sessions, a session with many findings, one whose media name is long, unbroken and
hostile, and a finding about no session.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from playhead.core.call import Call
from playhead.core.engine import check_calls
from playhead.core.tracker import Tracker
from playhead.simulate import ALL_SCENARIOS, Script
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import session_params
from realclient.harness import run_browser

START = 1764115200000
HOSTILE_NAME = "<script>alert(1)</script>[bold red]\x1b[31m" + "Ü" * 160  # no space to break at
_NAMES = ("edge-path-mismatch", "adobe-timeline-1", "edge-vod-clean", "mixed-bag", "late-pings",
          "event-after-end", "edge-ad-outside-break")


def _hostile():
    b = Script()
    b.session_start(session_params("x" * 120, HOSTILE_NAME, 60))
    b.play().wait(20, 10).event("resume").wait(5).session_complete()
    return b.build("hostile", "a hostile media name", "a long, unbroken, hostile name")


def example_tracker() -> Tracker:
    """The sessions above, an hour apart, each on its own 64-hex sid."""
    calls = []
    for i, scenario in enumerate([*(ALL_SCENARIOS[n] for n in _NAMES), _hostile()]):
        calls += scenario_as_calls(scenario, sid=f"{i:x}{'3f9a1c2e' * 8}"[:64], start_ts=START + i * 3_600_000)
    start = scenario_as_calls(ALL_SCENARIOS["vod-clean"], start_ts=START)[0]
    calls.append(Call(start.method, start.url, start.request_body, 400, time=start.time))  # no session
    return check_calls(calls)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


_MEASURE = """<script>
(function () {
  var root = document.documentElement, vw = root.clientWidth;
  var box = function (e) { var r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; };
  var out = {viewport: vw, page: root.scrollWidth, sections: [], tables: [], links: [], wider: []};
  document.querySelectorAll('section.session').forEach(function (s) { out.sections.push(s.id); });
  document.querySelectorAll('table').forEach(function (t) {
    out.tables.push({box: box(t), scroll: t.scrollWidth, client: t.clientWidth});
  });
  document.querySelectorAll('#summary + table a').forEach(function (a) {
    var target = document.getElementById(a.getAttribute('href').slice(1));
    out.links.push({href: a.getAttribute('href'), target: target ? target.tagName + '.' + target.className : null,
                    heading: target ? target.querySelector('h2').textContent : null});
  });
  document.querySelectorAll('body *').forEach(function (e) {  /* a pre may scroll inside itself */
    if (e.closest('pre') !== null) return;
    if (e.getBoundingClientRect().right > vw + 0.5 || (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1))
      out.wider.push(e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40));
  });
  var pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""
_RESULT = re.compile(r'<pre id="measure">(.*?)</pre>', re.S)


def measure(report: Path, width: int, workdir: Path) -> dict:
    """Layout facts of `report` as Chromium lays it out in a window `width` px wide: a copy of the
    page with a measuring script (the report itself has none) writes them into the DOM."""
    probe = workdir / f"probe-{width}.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", _MEASURE + "\n</body>"),
                     encoding="utf-8")
    dom = run_browser([chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                       "--no-first-run", f"--user-data-dir={workdir / 'profile'}", "--hide-scrollbars",
                       f"--window-size={width},900", "--dump-dom", probe.as_uri()])
    found = _RESULT.search(dom)
    assert found is not None, f"the measuring script did not run:\n{dom[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(report: Path, png: Path, width: int, height: int, workdir: Path) -> None:
    run_browser([chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 f"--user-data-dir={workdir / 'profile'}", "--hide-scrollbars",
                 f"--window-size={width},{height}", f"--screenshot={png}", report.as_uri()])
