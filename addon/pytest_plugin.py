"""The pytest plugin (SPEC §12): a `playhead` fixture for device-test automation.

Installed with playhead (a `pytest11` entry point), it starts one proxy per test session (sink
mode unless `--playhead-forward`), resets it before each test, and talks to it over the
automation API like any client would:

    def test_playback_is_tracked_right(playhead):
        drive_the_app_through(playhead.proxy_url)        # Appium, Espresso, a simulator...
        playhead.wait_for_sessions(1, closed=True, timeout=60)
        playhead.assert_clean()                           # fails listing the findings
        playhead.assert_checklist("vod-preroll-ads")

No files, no signals, no sleeping: waiting is the API's long-poll.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

SEVERITIES = ("info", "warning", "error")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("playhead", "playhead: Adobe streaming-media analytics QA")
    group.addoption("--playhead-forward", action="store_true",
                    help="forward the API calls to Adobe instead of answering them locally (sink)")
    group.addoption("--playhead-port", type=int, default=0, metavar="N",
                    help="port for the playhead fixture's proxy (default 0: any free port)")
    group.addoption("--playhead-listen-host", default="127.0.0.1", metavar="HOST",
                    help="address the fixture's proxy listens on (default 127.0.0.1)")
    group.addoption("--playhead-record", default=None, metavar="FILE",
                    help="record every captured call of the test session to this JSON Lines file")
    group.addoption("--playhead-checklists", action="append", default=[], metavar="DIR",
                    help="a folder of your own checklists beside the built-in ones")


class PlayheadError(Exception):
    """The automation API answered something other than what was asked for."""


class Playhead:
    """A client of a running playhead proxy's automation API. `proxy_url` is what the device or
    the HTTP client under test uses as its proxy."""

    def __init__(self, proxy_url: str, api_url: str, timeout: float = 30.0) -> None:
        self.proxy_url = proxy_url
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    # -- reading ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return self._get("/v1/status")

    def sessions(self, state: str | None = None) -> list[dict[str, Any]]:
        """The sessions seen since the test began (`state`: "open" or "closed")."""
        return self._get("/v1/sessions", state=state)["sessions"]

    def session(self, sid: str) -> dict[str, Any]:
        return self._get(f"/v1/sessions/{urllib.parse.quote(sid, safe='')}")

    def findings(self, severity: str | None = None, rule: str | None = None,
                 session: str | None = None) -> list[dict[str, Any]]:
        """Findings of this severity or worse (all without one), of one rule or session."""
        return self._get("/v1/findings", severity=severity, rule=rule, session=session)["findings"]

    def checklist(self, name: str) -> dict[str, Any]:
        return self._get(f"/v1/checklists/{urllib.parse.quote(name, safe='')}")

    def report(self, format: str = "text") -> str:  # noqa: A002 - the API's own parameter name
        return self._request("/v1/report", {"format": format})[1].decode("utf-8")

    def wait_for_sessions(self, n: int = 1, closed: bool = True, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until `n` sessions (closed ones, by default) were seen; they are returned.
        Fails the test when they do not come within `timeout` seconds."""
        status, body = self._request("/v1/wait", {"sessions": n, "closed": str(closed).lower(), "timeout": timeout},
                                     ok=(200, 408), timeout=timeout + self.timeout)
        if status == 408:
            seen = self.sessions()
            pytest.fail(f"playhead: {json.loads(body)['error']} (seen: {len(seen)} session"
                        f"{'' if len(seen) == 1 else 's'}, {sum(s['closed'] for s in seen)} closed)", pytrace=False)
        return json.loads(body)["sessions"]

    # -- asserting -------------------------------------------------------------------------------

    def assert_clean(self, fail_on: str = "error") -> None:
        """Fail the test when any finding of `fail_on` severity or worse was seen; the message is
        the text report of what was seen, grouped by session, errors first, with the fix."""
        if fail_on not in SEVERITIES:
            raise ValueError(f"fail_on={fail_on!r}: one of {', '.join(SEVERITIES)}")
        found = self.findings(severity=fail_on)
        if found:
            rules = sorted({f["rule"] for f in found})
            pytest.fail(f"playhead found {len(found)} finding{'' if len(found) == 1 else 's'} of severity "
                        f"{fail_on} or worse ({', '.join(rules)}):\n\n{self.report('text')}", pytrace=False)

    def assert_checklist(self, name: str) -> None:
        """Fail the test unless the checklist passed (every step, on every session it applies to)."""
        result = self.checklist(name)
        if result["status"] != "passed":
            lines = [f"checklist {name}: {result['status']}: {result['detail']}"]
            for verdict in result["sessions"]:
                lines.append(f"  session {verdict['session']}: {verdict['status']}")
                lines += [f"    {step['status']:<10} {step['title']}: {step['detail']}"
                          for step in verdict["steps"] if step["status"] != "passed"]
            pytest.fail("\n".join(lines), pytrace=False)

    def reset(self) -> None:
        self._request("/v1/reset", None, method="POST")

    # -- the wire --------------------------------------------------------------------------------

    def _get(self, path: str, **query: Any) -> dict[str, Any]:
        return json.loads(self._request(path, query)[1])

    def _request(self, path: str, query: dict[str, Any] | None, method: str = "GET",
                 ok: tuple[int, ...] = (200,), timeout: float | None = None) -> tuple[int, bytes]:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.api_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the API is not behind a proxy
        try:
            with opener.open(request, timeout=timeout or self.timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if exc.code in ok:
                return exc.code, body
            raise PlayheadError(f"{method} {path}: {exc.code} {body[:300]!r}") from None


@pytest.fixture(scope="session")
def playhead_proxy(request: pytest.FixtureRequest) -> Iterator[Playhead]:
    """The proxy, started once per test session; `playhead` resets it for each test."""
    from .proxy.runner import ProxyError, ProxyRunner

    config = request.config
    runner = ProxyRunner(listen_host=config.getoption("playhead_listen_host"),
                         port=config.getoption("playhead_port"), sink=not config.getoption("playhead_forward"),
                         record=config.getoption("playhead_record"), api_port=0,
                         checklists=config.getoption("playhead_checklists"))
    try:
        runner.start()
    except ProxyError as exc:
        pytest.fail(f"playhead: {exc}", pytrace=False)
    try:
        host, port = runner.listen_address
        api_host, api_port = runner.api_address
        yield Playhead(f"http://{host}:{port}", f"http://{api_host}:{api_port}")
    finally:
        runner.stop()


@pytest.fixture
def playhead(playhead_proxy: Playhead) -> Playhead:
    """The session's proxy, with what earlier tests sent forgotten."""
    playhead_proxy.reset()
    return playhead_proxy
