"""`playhead proxy --headless` and plain `mitmdump -s` as real processes: signals, reports,
recordings that survive kill -9, and the same findings whichever way the addon runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from playhead.cli import main
from playhead.cli.proxy import _is_loopback
from playhead.simulate import SCENARIOS, Player
from support_proxy import (
    API_HOST,
    LISTENING,
    MITMDUMP,
    MITMDUMP_LISTENING,
    PLAYHEAD,
    TIMEOUT,
    ProxyClient,
    event_body,
    now_ms,
    running_proxy,
    session_start_body,
    spawn,
    stop_process,
    wait_for,
)

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """HOME for the processes: mitmproxy's CA goes to its ~/.mitmproxy, not the user's."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def env(home):
    return {**os.environ, "HOME": str(home), "NO_COLOR": "1"}


def documented_script_path(env) -> str:
    out = subprocess.run([*PLAYHEAD, "proxy", "--script-path"], capture_output=True, text=True,
                         env=env, timeout=TIMEOUT, check=True).stdout.strip()
    assert out.endswith("mitm_script.py") and Path(out).is_file()
    return out


def play(port: int, name: str):
    return Player(f"http://{API_HOST}", proxy=f"127.0.0.1:{port}", speed=0).play(SCENARIOS[name])


def findings_of(report: dict) -> list[tuple]:
    return sorted((f["rule"], f["severity"], f["session"], f["call"], f["eventType"], f["ts"])
                  for f in report["findings"])


# -- playhead proxy --headless ------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_headless_streams_findings_and_a_signal_writes_the_report(tmp_path, env, sig):
    report = tmp_path / "run.json"
    proc, out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--sink", "--port", "0",
                            "--report", str(report)], env=env)
    try:
        port = int(err.wait_for(LISTENING).group(1))
        assert "http://mitm.it" in err.wait_for(r"mitm\.it").string
        result = play(port, "ad-outside-break")
        line = out.wait_for(r"error ad-outside-break session (\w+)").string  # as it happens
        assert result.sid.startswith(line.split("session ")[1][:12])
        proc.send_signal(sig)
        assert proc.wait(TIMEOUT) == 0
    finally:
        stop_process(proc)
    assert "\x1b" not in out.rest()  # not a terminal (and NO_COLOR): no colour codes
    assert "report written to" in err.rest()
    data = json.loads(report.read_text())
    assert data["summary"]["sessions"] == 1
    assert data["summary"]["calls"] == len(SCENARIOS["ad-outside-break"].steps)
    assert "ad-outside-break" in {f["rule"] for f in data["findings"]}
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600


def test_a_recording_cut_by_kill_9_is_still_readable_by_check(tmp_path, env):
    record = tmp_path / "run.jsonl"
    proc, out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--sink", "--port", "0",
                            "--record", str(record)], env=env)
    answered = []
    stop = threading.Event()

    def traffic(port: int) -> None:
        client = ProxyClient(("127.0.0.1", port))
        try:
            created = client.post(f"http://{API_HOST}/api/v1/sessions", session_start_body())
            answered.append(created.status)
            sid = created.headers["Location"].rsplit("/", 1)[-1]
            ts = now_ms()
            for i in range(5000):
                if stop.is_set():
                    break
                answered.append(client.post(f"http://{API_HOST}/api/v1/sessions/{sid}/events",
                                            event_body("ping", i, ts + i * 10_000)).status)
        except OSError:
            pass  # the proxy was killed under it
        finally:
            client.close()

    try:
        port = int(err.wait_for(LISTENING).group(1))
        sender = threading.Thread(target=traffic, args=(port,), daemon=True)
        sender.start()
        wait_for(lambda: len(answered) >= 50)
        proc.send_signal(signal.SIGKILL)
        proc.wait(TIMEOUT)
        stop.set()
        sender.join(TIMEOUT)
    finally:
        stop_process(proc)
    assert stat.S_IMODE(os.stat(record).st_mode) == 0o600
    checked = subprocess.run([*PLAYHEAD, "check", str(record), "--format", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert checked.returncode in (0, 1), checked.stderr
    calls = json.loads(checked.stdout)["summary"]["calls"]
    # Each call is queued for the recording before its answer leaves the proxy, and written by the
    # recording's thread (never on the event loop, which a hung disk would stall): a kill -9 loses
    # at most the calls still queued at that instant, a write's worth of milliseconds.
    assert calls >= len(answered) - 3

    # A crash in the middle of a write leaves half a line: that line is skipped, the rest is kept.
    cut = tmp_path / "cut.jsonl"
    data = record.read_bytes()
    cut.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 40])
    checked = subprocess.run([*PLAYHEAD, "check", str(cut), "--format", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert checked.returncode in (0, 1), checked.stderr
    assert json.loads(checked.stdout)["summary"]["calls"] == calls - 1


def test_a_taken_port_ends_the_headless_proxy_with_one_line_exit_2(env):
    """Unusable setup is exit 2; exit 1 is what `check` says for "errors found" (issue 12)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = subprocess.run([*PLAYHEAD, "proxy", "--headless", "--port", str(taken.getsockname()[1])],
                                capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and "already in use" in result.stderr


def test_listening_beyond_loopback_warns(capsys, tmp_path):
    # An unusable --schemas stops the run before anything binds.
    code = main(["proxy", "--headless", "--listen-host", "10.1.2.3", "--schemas", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2
    assert "warning: listening on 10.1.2.3: the proxy is reachable from the network" in err
    assert [h for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.20") if _is_loopback(h)] == \
        ["127.0.0.1", "::1", "localhost"]


# -- plain mitmdump -----------------------------------------------------------------------------


CHECKER = '''
import json, os

class RecordMarks:
    """Keeps every flow and writes their marker and comment when mitmdump ends."""

    def __init__(self):
        self.flows = []

    def response(self, flow):
        self.flows.append(flow)

    def done(self):
        with open(os.environ["PLAYHEAD_TEST_MARKS"], "w") as f:
            json.dump([[fl.request.path, fl.marked, fl.comment] for fl in self.flows], f)

addons = [RecordMarks()]
'''


def test_mitmdump_with_the_documented_script_logs_findings_and_marks_flows(tmp_path, env, home):
    checker = tmp_path / "record_marks.py"
    checker.write_text(CHECKER)
    marks = tmp_path / "marks.json"
    env = {**env, "PLAYHEAD_TEST_MARKS": str(marks)}
    proc, out, err = spawn([MITMDUMP, "-s", documented_script_path(env), "-s", str(checker),
                            "--listen-host", "127.0.0.1", "-p", "0", "--set", "playhead_sink=true",
                            "--set", f"confdir={home / '.mitmproxy'}"], env=env)
    try:
        port = int(out.wait_for(MITMDUMP_LISTENING).group(1))
        result = play(port, "ad-outside-break")
        assert result.statuses[0] == 201
        out.wait_for(r"playhead: error ad-outside-break session")
        proc.send_signal(signal.SIGINT)
        proc.wait(TIMEOUT)
    finally:
        stop_process(proc)
    flows = json.loads(marks.read_text())
    assert len(flows) == len(SCENARIOS["ad-outside-break"].steps)
    marked = [(marker, comment) for _, marker, comment in flows if marker]
    # the stray adStart is marked (its adComplete is the same defect), its comment names the rule
    assert [m for m, c in marked if "ad-outside-break" in c] == [":red_circle:"]
    assert all(c.startswith("playhead: ") for _, c in marked)


def test_mitmdump_quiet_still_prints_playheads_findings(env, home):
    """Issue 12: `-q` (mitmproxy's terminal log at errors only) hid every finding."""
    with socket.socket() as probe:  # -q hides the "listening at" line too: choose the port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc, out, err = spawn([MITMDUMP, "-q", "-s", documented_script_path(env), "--listen-host", "127.0.0.1",
                            "-p", str(port), "--set", "playhead_sink=true",
                            "--set", f"confdir={home / '.mitmproxy'}"], env=env)
    try:
        wait_for(lambda: proc.poll() is not None or _accepts(port))
        assert proc.poll() is None, err.rest()
        assert play(port, "ad-outside-break").statuses[0] == 201
        line = out.wait_for(r"^\d\d:\d\d:\d\d error ad-outside-break session \S+ call \d+ adStart: ").string
        proc.send_signal(signal.SIGINT)
        proc.wait(TIMEOUT)
    finally:
        stop_process(proc)
    assert line.count("ad-outside-break") == 1 and "\x1b" not in line
    assert out.text.count(line) == 1  # once, not once more through mitmproxy's own log


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_mitmdump_reading_a_har_finds_what_the_live_proxy_and_check_found(tmp_path, env, home):
    har = tmp_path / "capture.har"
    live_report = tmp_path / "live.json"
    with running_proxy(home / ".mitmproxy", sink=True, report=live_report,
                       options={"hardump": str(har)}) as proxy:
        play(proxy.listen_address[1], "missing-ad-break-complete")
    live = json.loads(live_report.read_text())
    assert "ad-break-not-closed" in {f["rule"] for f in live["findings"]}

    offline_report = tmp_path / "offline.json"
    done = subprocess.run([MITMDUMP, "-nr", str(har), "-s", documented_script_path(env),
                           "--set", f"playhead_report={offline_report}",
                           "--set", f"confdir={home / '.mitmproxy'}"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "playhead: error ad-break-not-closed" in done.stdout
    offline = json.loads(offline_report.read_text())

    checked = subprocess.run([*PLAYHEAD, "check", str(har), "--format", "json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert checked.returncode == 1, checked.stderr
    assert findings_of(live) == findings_of(offline) == findings_of(json.loads(checked.stdout))


def by_id(session: dict) -> str:
    return session["id"]


def test_a_capped_live_run_keeps_every_call_in_the_recording(tmp_path, env):
    """--max-calls drops calls from memory, never from the recording: `check` over the recording
    (capped or not) finds exactly what the live proxy found, and counts every call."""
    record, report = tmp_path / "run.jsonl", tmp_path / "live.json"
    proc, out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--sink", "--port", "0", "--max-calls", "20",
                            "--record", str(record), "--report", str(report)], env=env)
    try:
        port = int(err.wait_for(LISTENING).group(1))
        player = Player(f"http://{API_HOST}", proxy=f"127.0.0.1:{port}", speed=0)
        results = player.play_many(list(SCENARIOS.values()), concurrency=4)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(TIMEOUT) == 0
    finally:
        stop_process(proc)
    sent = sum(len(r.statuses) for r in results)
    summary = err.rest()
    assert f"playhead: {sent} API calls" in summary
    assert "dropped from memory (--max-calls 20), the recording keeps every call" in summary
    live = json.loads(report.read_text())
    assert live["summary"]["calls"] == sent

    def check(*extra: str) -> dict:
        done = subprocess.run([*PLAYHEAD, "check", str(record), "--format", "json", *extra],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 1, done.stderr
        return json.loads(done.stdout)

    for offline in (check(), check("--max-calls", "20")):
        assert offline["summary"]["calls"] == sent
        assert findings_of(offline) == findings_of(live)
        # per-session calls and counts too; the order may differ: live sessions are listed as their
        # first call completed, a capture's as it was sent (readers sort by time; 4 players at once)
        assert sorted(offline["sessions"], key=by_id) == sorted(live["sessions"], key=by_id)
