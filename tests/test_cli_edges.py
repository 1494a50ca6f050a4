"""Issue 12's rough edges of the `playhead` command, each as the reporter met it: the real command
in a subprocess, real files, and the exit code a CI job or a shell script would act on (0 clean,
1 errors found, 2 unusable input, bad usage or unusable setup)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from support_proxy import PLAYHEAD, TIMEOUT
from support_tui import Terminal

DATA = Path(__file__).parent / "data"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*PLAYHEAD, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=TIMEOUT * 3)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A readable HAR with errors in it, a JSON file that is not a HAR, a recording, a file."""
    (tmp_path / "ok.har").write_bytes((DATA / "reader_chrome.har").read_bytes())
    (tmp_path / "notahar.json").write_text('{"hello": "world"}\n')
    (tmp_path / "afile").write_text("a file, not a folder\n")
    done = run("check", "ok.har", "-o", "run.json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # errors found: the HAR is a good input
    return tmp_path


def test_an_output_in_a_missing_or_impossible_folder_is_one_line_naming_the_users_path(files):
    """Item 1: the rename's temporary name reached the user in a traceback."""
    (files / "dangling.json").symlink_to(files / "gone" / "r.json")
    cases = {
        "missing-dir/x.json": f"-o missing-dir/x.json: folder {files / 'missing-dir'} does not exist",
        "afile/x.json": f"-o afile/x.json: {files / 'afile'} is not a folder",
        "dangling.json": f"-o dangling.json: folder {files / 'gone'} does not exist",
    }
    for target, line in cases.items():
        done = run("check", "ok.har", "-o", target, cwd=files)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"playhead: {line}\n")
    assert sorted(p.name for p in files.iterdir()) == ["afile", "dangling.json", "notahar.json", "ok.har",
                                                       "run.json"]


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_check_of_files_it_cannot_read_prints_no_report(files, fmt):
    """Item 3: an empty summary (or a whole empty JSON report) came before the error, exit 2."""
    for name, line in (("nope.har", "nope.har: no such file"),
                       ("notahar.json", "notahar.json: not a HAR file (no log object)")):
        done = run("check", name, "--format", fmt, cwd=files)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"playhead: {line}\n")
    # Every file is judged before any is read: one line for each that cannot be, first; the
    # others are still checked and reported, and the run exits 2.
    done = run("check", "ok.har", "nope.har", "missing.jsonl", "--format", fmt, cwd=files)
    assert done.returncode == 2 and "d2a1c8f0" in done.stdout  # ok.har's session
    assert done.stderr.splitlines()[:3] == ["playhead: nope.har: no such file",
                                            "playhead: missing.jsonl: no such file",
                                            "playhead: ok.har: har, 6 records, 5 API calls"]


def test_view_refuses_what_check_refuses_with_the_same_line_before_drawing(files):
    """Item 2: `view notahar.json` opened an empty dashboard, toasted the error and exited 0.
    No terminal here: a view that got as far as drawing would say it needs one instead."""
    for name in ("notahar.json", "nope.har"):
        checked, viewed = run("check", name, cwd=files), run("view", name, cwd=files)
        assert (viewed.returncode, viewed.stdout) == (2, "")
        assert viewed.stderr == checked.stderr and viewed.stderr.count("\n") == 1
    # A recording damaged mid-file (not a cut last line): refused the same way.
    (files / "cut.jsonl").write_text('{"playhead_recording": 1}\nnot json at all\n{"also": "not a call"}\n')
    checked, viewed = run("check", "cut.jsonl", cwd=files), run("view", "cut.jsonl", cwd=files)
    assert checked.returncode == viewed.returncode == 2
    assert viewed.stderr == checked.stderr and viewed.stderr.startswith("playhead: cut.jsonl: line ")


@pytest.mark.parametrize("command, flag", [("check", "ok.har"), ("simulate", "--list"), ("view", "ok.har"),
                                           ("rules", ""), ("proxy", "--headless")])
def test_an_unknown_flag_is_told_with_its_commands_own_usage_exit_2(files, command, flag):
    """Item 6: the top-level usage (`playhead [-h] [--version] COMMAND ...`) came instead."""
    done = run(command, *([flag] if flag else []), "--bogus", cwd=files)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"usage: playhead {command} ")
    assert done.stderr.splitlines()[-1] == f"playhead {command}: error: unrecognized arguments: --bogus"


def test_simulate_through_a_proxy_that_is_not_there_says_so_and_predicts_nothing():
    """Item 5: it blamed the upstream host for the proxy's refusal ("no answer from
    https://example.hb-api.omtrdc.net/...: Connection refused" 58 times), then printed what
    playhead "should report" about traffic that never reached it, and exited 1."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
        done = run("simulate", "--proxy", proxy, "--scenario", "vod-clean", "--speed", "0")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"playhead: --proxy {proxy}: cannot connect to the proxy (Connection refused); "
                           "is it running?\n")
    done = run("simulate", "--proxy", "http://[::1", "--scenario", "vod-clean")
    assert (done.returncode, done.stderr) == (2, "playhead: --proxy http://[::1: not a proxy URL (Invalid IPv6 URL)\n")


@pytest.mark.parametrize("command", ["proxy", "demo"])
def test_a_taken_port_under_the_dashboard_is_unusable_setup_exit_2(command):
    """Item 6, in a terminal (the dashboard needs one): exit 1 would read as "errors found"."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        term = Terminal(["-m", "playhead.cli", command, "--port", str(taken.getsockname()[1])])
        try:
            assert term.wait() == 2
        finally:
            term.close()
    assert "already in use" in term.text() and "Traceback" not in term.text()
