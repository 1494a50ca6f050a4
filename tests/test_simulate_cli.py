"""`playhead simulate`: scenarios through a real proxy (playhead's own, in sink mode)."""

from __future__ import annotations


import pytest

from playhead.cli import main
from playhead.simulate import SCENARIOS
from support_proxy import API_HOST, ca_file, running_proxy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def confdir(tmp_path_factory):
    return tmp_path_factory.mktemp("mitmproxy")


def test_list_names_every_scenario_and_what_it_should_trigger(capsys):
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    for name, scenario in SCENARIOS.items():
        assert name in out
        for rule in scenario.expected:
            assert rule in out


def test_a_broken_scenario_through_the_sink_is_reported(confdir, capsys):
    with running_proxy(confdir, sink=True) as proxy:
        code = main(["simulate", "--proxy", f"http://127.0.0.1:{proxy.listen_address[1]}",
                     "--scenario", "ad-outside-break", "--speed", "0", "--target", f"http://{API_HOST}"])
    out = capsys.readouterr().out
    assert code == 0
    assert "playhead should report: ad-outside-break" in out
    sid = next(iter(proxy.tracker.sessions))
    assert f"session {sid}" in out
    assert "ad-outside-break" in {f.rule for f in proxy.tracker.findings}


def test_the_default_https_target_works_with_mitmproxys_ca(confdir, capsys):
    with running_proxy(confdir, sink=True) as proxy:
        code = main(["simulate", "--proxy", f"127.0.0.1:{proxy.listen_address[1]}",
                     "--scenario", "ts-in-seconds", "--speed", "0", "--cafile", str(ca_file(confdir))])
    assert code == 0, capsys.readouterr().out
    (session,) = proxy.tracker.sessions.values()
    assert session.entries[0].call.url == f"https://{API_HOST}/api/v1/sessions"
    assert "ts-units" in {f.rule for f in session.findings}


def test_all_plays_every_scenario_at_once(confdir, capsys):
    with running_proxy(confdir, sink=True) as proxy:
        code = main(["simulate", "--proxy", f"http://127.0.0.1:{proxy.listen_address[1]}",
                     "--scenario", "all", "--speed", "0", "--target", f"http://{API_HOST}"])
    out = capsys.readouterr().out
    assert code == 0, out
    for name in SCENARIOS:
        assert f"\n{name}:" in f"\n{out}"
    media = {s.params.get("media.id") for s in proxy.tracker.sessions.values()}
    starts = {step.params["media.id"] for scenario in SCENARIOS.values() for step in scenario.steps
              if step.endpoint == "sessions"}
    assert starts <= media


@pytest.mark.parametrize("args, message", [
    (["--scenario", "vod-clean"], "--proxy URL is required"),
    (["--proxy", "http://127.0.0.1:9"], "--scenario NAME is required"),
    (["--proxy", "http://127.0.0.1:9", "--scenario", "nope"], "unknown scenario 'nope'"),
    (["--proxy", "http://127.0.0.1:9", "--scenario", "vod-clean", "--speed", "-1"], "--speed must be"),
    (["--proxy", "http://127.0.0.1:9", "--scenario", "vod-clean", "--cafile", "/no/such.pem"], "no such file"),
    (["--proxy", "http://127.0.0.1:9", "--scenario", "vod-clean", "--target", "ftp://x"], "must start with"),
])
def test_bad_usage_exits_2_with_one_line(capsys, args, message):
    assert main(["simulate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
