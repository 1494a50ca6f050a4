"""Issue 11's reproductions, each as it was seen: real processes, real files, loopback, bounded.

A decompression bomb through the live proxy and in capture files; outputs aimed at devices,
FIFOs, missing folders and full disks; a recording that cannot keep up or is not a file; a
dashboard with no terminal, or whose terminal goes away; a flow file with an absurd record
length; an IPv4-mapped listen address. The README's hostile-input tables list the same cases.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from playhead.core.call import Call
from playhead.io.recording import RecordingWriter
from playhead.proxy.recorder import BackgroundRecording
from support_proxy import (
    LISTENING,
    PLAYHEAD,
    TIMEOUT,
    ProxyClient,
    running_proxy,
    session_start_body,
    spawn,
    stop_process,
    upstream_server,
    wait_for,
)
from support_tui import Terminal

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
BOMB_BR = (DATA / "bomb-1gib.br").read_bytes()  # 1,681 bytes of brotli: 1 GiB of zeros
MIB = 1 << 20
LIMIT = 1 << 20  # the engine's body limit (Config.body_limit)
OVER = f"body of {LIMIT + 1} bytes is over the {LIMIT}-byte limit; not parsed"
# What one sessionStart whose body is over the limit leaves at the end of a run: the body is not
# read (so no play, no close), the 201 still opened its session.
BOMB_FINDINGS = {("body-not-json", 0), ("content-never-started", 0), ("session-not-closed", 0)}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")  # mitmproxy's CA goes here, not to the user's home
    return {**os.environ, "HOME": str(home), "NO_COLOR": "1"}


def gzip_bomb(inflated: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    return b"".join(c.compress(zeros) for _ in range(inflated // MIB)) + c.flush()


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def check(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*PLAYHEAD, "check", *args], capture_output=True, text=True, env=env,
                          timeout=TIMEOUT * 3, **kwargs)


def check_peak(args: list[str], env: dict[str, str]) -> tuple[int, str, int]:
    """`playhead check` in a fresh child of a fresh interpreter: (exit, stderr, its peak RSS KiB)."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.stderr.write(p.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code, *PLAYHEAD, "check", *args], capture_output=True,
                          text=True, env=env, timeout=TIMEOUT * 6)
    rc, peak = done.stdout.split()
    return int(rc), done.stderr, int(peak)


def rules_at(report: dict) -> set[tuple[str, int | None]]:
    return {(f["rule"], f["call"]) for f in report["findings"]}


# -- a decompression bomb ------------------------------------------------------------------------


def test_a_brotli_bomb_through_the_proxy_passes_untouched_and_costs_what_a_1_mib_body_costs(tmp_path, env):
    """Before: 1,681 bytes held the proxy 10.5 s at 2.1 GiB peak and 1.1 GiB after."""
    report = tmp_path / "run.json"
    with upstream_server() as up:
        proc, _out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--port", "0", "--report", str(report)], env=env)
        try:
            port = int(err.wait_for(LISTENING).group(1))
            idle = peak_kib(proc.pid)
            client = ProxyClient(("127.0.0.1", port))
            answer = client.post(f"{up.url}/api/v1/sessions", BOMB_BR, {"Content-Encoding": "br"})
            other = client.post(f"{up.url}/static/beacon", b"{}")  # the proxy still serves others
            client.close()
            peak = peak_kib(proc.pid)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(TIMEOUT) == 0
        finally:
            stop_process(proc)
    assert answer.status == 201 and other.status == 404
    assert up.requests[0].body == BOMB_BR  # the flow passed as it was sent
    assert up.requests[0].headers["Content-Encoding"] == "br"
    assert peak - idle < 64 * 1024, f"peak grew {peak - idle} KiB"  # inflating whole took 2 GiB
    data = json.loads(report.read_text())
    assert rules_at(data) == BOMB_FINDINGS
    assert [f["message"] for f in data["findings"] if f["rule"] == "body-not-json"] == [OVER]


def test_bombs_in_capture_files_are_cut_at_the_body_limit_and_a_zhar_bomb_is_refused(tmp_path, env):
    """Before: a .zhar of 510 KB made `check` take 1.5 GiB."""
    sid = "b" * 64
    entry = {"startedDateTime": "2025-11-26T00:00:00Z",
             "request": {"method": "POST", "url": "https://x.hb-api.omtrdc.net/api/v1/sessions",
                         "headers": [{"name": "Content-Encoding", "value": "gzip"}],
                         "postData": {"text": base64.b64encode(gzip_bomb(256 * MIB)).decode(),
                                      "encoding": "base64"}},
             "response": {"status": 201, "headers": [{"name": "Location", "value": f"/api/v1/sessions/{sid}"}],
                          "content": {"size": 0}}}
    har = tmp_path / "bomb.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    rc, stderr, peak = check_peak([str(har), "--format", "json", "-o", str(tmp_path / "har.json")], env)
    assert rc == 1 and peak < 200 * 1024, (rc, stderr, peak)
    assert rules_at(json.loads((tmp_path / "har.json").read_text())) == BOMB_FINDINGS

    from mitmproxy import http, io
    from mitmproxy.test import tflow

    request = http.Request.make("POST", "http://x.hb-api.omtrdc.net/api/v1/sessions", BOMB_BR,
                                {"Content-Encoding": "br"})
    response = http.Response.make(201, b"", {"Location": f"/api/v1/sessions/{sid}"})
    flows = tmp_path / "bomb.mitm"
    with flows.open("wb") as f:
        io.FlowWriter(f).add(tflow.tflow(req=request, resp=response))
    rc, stderr, peak = check_peak([str(flows), "--format", "json", "-o", str(tmp_path / "flows.json")], env)
    assert rc == 1 and peak < 200 * 1024, (rc, stderr, peak)
    assert rules_at(json.loads((tmp_path / "flows.json").read_text())) == BOMB_FINDINGS

    zhar = tmp_path / "bomb.zhar"
    c = zlib.compressobj(9)
    zhar.write_bytes(c.compress(b'{"log": {"entries": [') + b"".join(
        c.compress(b" " * MIB) for _ in range(512)) + c.compress(b"]}}") + c.flush())
    assert 500_000 < zhar.stat().st_size < 530_000  # the size of the issue's .zhar
    rc, stderr, peak = check_peak([str(zhar)], env)
    assert rc == 2 and peak < 300 * 1024, (rc, stderr, peak)  # refused once past 200 x its size
    assert stderr.strip().splitlines()[-1] == (
        f"playhead: {zhar}: refused: its zlib data inflates past {200 * zhar.stat().st_size >> 20} MiB, "
        "over 200 times its size (a decompression bomb?)")


# -- outputs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capture(tmp_path_factory, env):
    """A small HAR with errors in it (check exits 1 over it)."""
    path = tmp_path_factory.mktemp("capture") / "x.har"
    path.write_bytes((DATA / "reader_chrome.har").read_bytes())
    assert check(str(path), env=env).returncode == 1
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="only root could replace a device node")
@pytest.mark.parametrize("flag", ["-o", "--report"])
def test_outputs_aimed_at_devices_are_written_into_never_replaced(capture, env, tmp_path, flag):
    null_before = os.stat("/dev/null")
    if flag == "-o":
        done = check(str(capture), "-o", "/dev/null", env=env)
        assert done.returncode == 1, done.stderr  # errors found, written into /dev/null
        full = check(str(capture), "-o", "/dev/full", env=env)
    else:
        done = headless_until_stopped(["--report", "/dev/null"], env)
        assert done.returncode == 0, done.stderr
        full = headless_until_stopped(["--report", "/dev/full"], env)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == null_before.st_rdev
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert full.returncode == 2
    assert full.stderr.strip().splitlines()[-1].endswith("/dev/full: cannot write (No space left on device)")


def headless_until_stopped(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc, out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--sink", "--port", "0", *args], env=env)
    try:
        err.wait_for(LISTENING)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(TIMEOUT)
    finally:
        stop_process(proc)
    return subprocess.CompletedProcess(args, code, out.rest(), err.rest())


def test_report_into_stdout_and_a_fifo_is_written_as_they_are(capture, env, tmp_path):
    done = check(str(capture), "--format", "json", "-o", "/dev/stdout", env=env)
    assert done.returncode == 1 and json.loads(done.stdout)["summary"]["sessions"] == 1
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    assert check(str(capture), "-o", str(fifo), env=env).returncode == 2  # nobody reads it: no hang
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        done = check(str(capture), "--format", "json", "-o", str(fifo), env=env)
    finally:
        if reader.is_alive():  # the writer never opened it: let the reader go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(TIMEOUT)
    assert done.returncode == 1 and json.loads(got[0])["summary"]["sessions"] == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_unwritable_outputs_are_one_line_exit_2(capture, env, tmp_path):
    (tmp_path / "folder").mkdir()
    cases = {
        str(tmp_path / "missing" / "x.json"): f"-o {tmp_path / 'missing' / 'x.json'}: folder {tmp_path / 'missing'} does not exist",
        str(tmp_path / "folder"): f"-o {tmp_path / 'folder'}: is a directory",
    }
    for target, line in cases.items():
        done = check(str(capture), "-o", target, env=env)
        assert (done.returncode, done.stderr.strip().splitlines()) == (2, [f"playhead: {line}"])
    with open("/dev/full", "w") as full:
        done = subprocess.run([*PLAYHEAD, "check", str(capture)], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=TIMEOUT * 3)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "playhead: stdout: cannot write (No space left on device)"
    assert "Traceback" not in done.stderr


# -- the recording -------------------------------------------------------------------------------


def test_record_refuses_a_fifo_and_a_device_at_start(tmp_path, env):
    """Before: a FIFO with no reader hung all traffic after 65 calls; /dev/zero lost every call."""
    fifo = tmp_path / "run.fifo"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero"):
        done = subprocess.run([*PLAYHEAD, "proxy", "--headless", "--port", "0", "--record", target],
                              capture_output=True, text=True, env=env, timeout=TIMEOUT * 2)
        assert done.returncode == 2  # unusable setup, not "errors found"
        assert done.stderr.strip().splitlines()[-1] == (
            f"playhead: playhead_record: {target}: not a regular file; a recording must be a file "
            "it can append to")


def test_an_existing_recording_readable_by_others_is_made_owner_only(tmp_path, env):
    record = tmp_path / "run.jsonl"
    record.write_bytes(b"")
    os.chmod(record, 0o644)
    done = headless_until_stopped(["--record", str(record)], env)
    assert done.returncode == 0
    assert stat.S_IMODE(os.stat(record).st_mode) == 0o600
    assert f"  {record}: was readable by others (mode 0644); made owner-only (0600)" in done.stderr.splitlines()


class _StalledDisk(RecordingWriter):
    """A real recording whose writes wait until released: a disk that stopped answering."""

    release = threading.Event()

    def write(self, call: Call) -> None:
        self.release.wait(TIMEOUT)
        super().write(call)


def test_a_stalled_recording_never_blocks_traffic_and_falling_behind_is_a_finding(confdir, tmp_path, monkeypatch):
    import playhead.proxy.addon as addon_module
    import playhead.proxy.recorder as recorder_module

    monkeypatch.setattr(addon_module, "RecordingWriter", _StalledDisk)
    monkeypatch.setattr(recorder_module, "MAX_QUEUED_BYTES", 20 * 1024)  # ~20 calls' worth
    _StalledDisk.release.clear()
    record = tmp_path / "run.jsonl"
    with running_proxy(confdir, sink=True, record=record) as proxy:
        client = ProxyClient(proxy.listen_address)
        answers = [client.post("http://x.hb-api.omtrdc.net/api/v1/sessions", session_start_body())
                   for _ in range(100)]
        client.close()
        assert [a.status for a in answers] == [201] * 100  # the loop answered while the disk hung
        wait_for(lambda: proxy.tracker.calls == 100)
        recording = proxy.addon.recording
        behind = [f for f in proxy.tracker.findings if f.rule == "internal-error"]
        assert len(behind) == 1 and "fell behind" in behind[0].message
        _StalledDisk.release.set()
    recorded = sum(1 for line in record.read_text().splitlines() if line.startswith('{"method"'))
    assert recorded == 100 - recording.unrecorded and 0 < recorded < 100
    assert sorted({f.rule for f in proxy.tracker.findings} - {"session-not-closed", "content-never-started"}) \
        == ["internal-error"]


def test_background_recording_writes_in_order_and_close_drains_it(tmp_path):
    path = tmp_path / "run.jsonl"
    calls = [Call("POST", "http://x/api/v1/sessions", b'{"n": %d}' % n, 201, (), (), b"", float(n))
             for n in range(50)]
    errors: list[Exception] = []
    recording = BackgroundRecording(RecordingWriter(path), errors.append)
    assert all(recording.put(call) for call in calls)
    assert recording.close() and not errors
    assert not recording.put(calls[0])  # closed: refused, counted
    from playhead.io import read_capture

    assert [c.request_body for c in read_capture(path)] == [c.request_body for c in calls]


@pytest.fixture(scope="module")
def confdir(tmp_path_factory):
    return tmp_path_factory.mktemp("mitmproxy")


# -- the dashboard and its terminal ----------------------------------------------------------------


def test_a_dashboard_without_a_terminal_refuses_in_one_line(tmp_path, env, capture):
    """Before: `view f >file` drew escape codes into the file and burnt a core until killed."""
    line = ("playhead: the dashboard needs a terminal and {} is not one; for a report use "
            "`playhead check FILE...`, for the proxy alone `playhead proxy --headless`")
    out = tmp_path / "out.txt"
    for argv, stdin, name in ((["view", str(capture)], None, "stdout"), (["demo"], subprocess.DEVNULL, "stdin"),
                              (["proxy", "--port", "0"], subprocess.DEVNULL, "stdin")):
        with out.open("w") as f:
            done = subprocess.run([*PLAYHEAD, *argv], stdin=stdin, stdout=f, stderr=subprocess.PIPE,
                                  text=True, env=env, timeout=TIMEOUT * 2)
        if stdin is None:  # pytest's stdin may be anything; stdout is the file
            assert done.stderr.strip().endswith("is not one; for a report use `playhead check FILE...`, "
                                                "for the proxy alone `playhead proxy --headless`")
        else:
            assert done.stderr.strip() == line.format(name)
        assert done.returncode == 2 and out.read_text() == ""


@pytest.mark.parametrize("how", ["terminal closed", "SIGHUP"])
def test_a_dashboard_whose_terminal_goes_away_stops_and_writes_what_it_owes(tmp_path, how):
    """Before: a killed terminal left `playhead demo` running at 92 % CPU, for good."""
    report, record = tmp_path / "run.json", tmp_path / "run.jsonl"
    term = Terminal(["-m", "playhead.cli", "demo", "--speed", "50", "--report", str(report),
                     "--record", str(record)])
    try:
        assert term.read_until(lambda: "SINK" in term.text()), term.text()[-2000:]
        assert term.read_until(lambda: record.exists() and record.stat().st_size > 2000)
        if how == "SIGHUP":
            os.kill(term.pid, signal.SIGHUP)
            status = term.wait()
        else:
            os.close(term.fd)
            term.fd = os.open(os.devnull, os.O_RDONLY)  # for close(): the terminal itself is gone
            term.status = status = _reaped(term.pid)
    finally:
        term.close()
    assert status == 0
    data = json.loads(report.read_text())
    assert data["summary"]["calls"] > 0
    assert record.read_bytes().endswith(b"\n")  # the recording's last call is whole


def _reaped(pid: int, limit: float = TIMEOUT) -> int | None:
    """The exit code of a child once it ends, or None if it is still running after `limit`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(code)
        time.sleep(0.1)
    return None


# -- the two small ones --------------------------------------------------------------------------


def test_a_flow_file_with_an_absurd_record_length_says_why(tmp_path, env):
    path = tmp_path / "x.mitm"
    path.write_bytes(b"999999999999:")
    done = check(str(path), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"playhead: {path}: not a mitmproxy flow file (Invalid data format.)"]


def test_an_ipv4_mapped_listen_host_listens_on_its_ipv4_address(env):
    proc, _out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--port", "0", "--listen-host",
                             "::ffff:127.0.0.1"], env=env)
    try:
        assert err.wait_for(LISTENING)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
    finally:
        stop_process(proc)
    assert "reachable from the network" not in err.rest()  # loopback, said as such
