"""The simulated player: scenario data, the bodies it builds, and real HTTP against a local peer.

The peer below is a minimal stand-in for the collection server (201 + Location, 204, 404 for
unknown sids) so the player is exercised over real sockets; the proxy's own sink is tested with
the proxy.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from playhead.core.findings import Severity
from playhead.simulate import ALL_SCENARIOS, SCENARIOS, STALE_SID, Player, Script, build_body, scenario_calls
from playhead.simulate.scenarios import Scenario

START_TS = 1_764_115_200_000  # 2025-11-26T00:00:00Z
REQUIRED_SESSION_PARAMS = {
    "analytics.trackingServer": str,
    "analytics.reportSuite": str,
    "visitor.marketingCloudOrgId": str,
    "media.id": str,
    "media.contentType": str,
    "media.playerName": str,
    "media.channel": str,
    "media.length": (int, float),
    "media.name": str,
}
EVENT_TYPES = {
    "sessionStart", "play", "ping", "bitrateChange", "bufferStart", "pauseStart", "adBreakStart",
    "adStart", "adComplete", "adSkip", "adBreakComplete", "chapterStart", "chapterComplete",
    "chapterSkip", "error", "sessionComplete", "sessionEnd", "stateStart", "stateEnd",
    "statesUpdate",
}
_EVENTS_PATH = re.compile(r"/api/v1/sessions/([^/]+)/events")


# -- a local collection-server peer -------------------------------------------------------------


class Collector(ThreadingHTTPServer):
    """Records every request; answers like the collection server does."""

    daemon_threads = True

    def __init__(self, give_location: bool = True, session_status: int = 201) -> None:
        super().__init__(("127.0.0.1", 0), _CollectorHandler)
        self.give_location = give_location
        self.session_status = session_status
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.sids: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.requests.append((self.path, dict(self.headers.items()), body))
            if self.path == "/api/v1/sessions":
                sid = secrets.token_hex(32)
                self.server.sids.append(sid)
                self.send_response(self.server.session_status)
                if self.server.give_location:
                    self.send_header("Location", f"/api/v1/sessions/{sid}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            m = _EVENTS_PATH.fullmatch(self.path)
            known = m is not None and m.group(1) in self.server.sids
        if known:
            self.send_response(204)
            self.end_headers()
        else:
            message = b'{"error": "session not found"}'
            self.send_response(404)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


def _serve(server: ThreadingHTTPServer):
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def collector():
    server = Collector()
    thread = _serve(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- scenario data ------------------------------------------------------------------------------


def test_the_cli_scenario_names_exist():
    required = {
        "vod-clean", "live-chapters", "adobe-timeline-1", "adobe-timeline-3", "ad-outside-break",
        "missing-ad-break-complete", "late-pings", "event-after-end", "ts-in-seconds", "ignored-404",
    }
    assert required <= set(SCENARIOS)
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name
        assert scenario.title and scenario.description
        assert scenario.clean == (scenario.expected == ())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_builds_well_formed_bodies(name):
    scenario = SCENARIOS[name]
    calls = scenario_calls(scenario, START_TS)
    assert len(calls) == len(scenario.steps) > 3
    ats = [c["at"] for c in calls]
    assert ats == sorted(ats), "steps go back in time"
    lies_about_ts = "ts-units" in scenario.expected
    for call in calls:
        body = call["body"]
        json.dumps(body, allow_nan=False)  # sendable as strict JSON
        assert set(body) <= {"playerTime", "eventType", "params", "qoeData", "customMetadata"}
        assert set(body["playerTime"]) == {"playhead", "ts"}
        ts, playhead = body["playerTime"]["ts"], body["playerTime"]["playhead"]
        assert isinstance(ts, int) and isinstance(playhead, (int, float))
        if not lies_about_ts:
            assert 1e11 <= ts <= 1e14
        assert (body["eventType"] == "sessionStart") == (call["endpoint"] == "sessions")
        for part in ("params", "qoeData", "customMetadata"):
            assert isinstance(body.get(part, {}), dict)
        if body["eventType"] == "sessionStart":
            for key, kind in REQUIRED_SESSION_PARAMS.items():
                assert isinstance(body["params"][key], kind), key
    if scenario.clean:
        assert all(c["body"]["eventType"] in EVENT_TYPES for c in calls)
        assert calls[0]["body"]["eventType"] == "sessionStart"


def test_ts_is_start_plus_at_in_milliseconds():
    scenario = SCENARIOS["vod-clean"]
    for step in scenario.steps:
        assert build_body(step, START_TS)["playerTime"]["ts"] == START_TS + round(step.at * 1000)


def test_clean_builder_scenarios_never_repeat_a_ts():
    for name in ("vod-clean", "live-chapters"):
        ts = [c["body"]["playerTime"]["ts"] for c in scenario_calls(SCENARIOS[name], START_TS)]
        assert all(a < b for a, b in zip(ts, ts[1:])), name


def _gaps(calls):
    ts = [c["body"]["playerTime"]["ts"] for c in calls]
    return [(b - a) / 1000 for a, b in zip(ts, ts[1:])]


def test_vod_clean_has_regular_pings_and_a_consistent_playhead():
    calls = scenario_calls(SCENARIOS["vod-clean"], START_TS)
    types = [c["body"]["eventType"] for c in calls]
    assert max(_gaps(calls)) <= 12
    assert types[-1] == "sessionComplete" and types.count("sessionComplete") == 1
    assert types.count("adBreakStart") == types.count("adBreakComplete") == 2
    assert types.count("adStart") == types.count("adComplete") == 3
    assert {"bufferStart", "pauseStart", "chapterStart"} <= set(types)
    length = calls[0]["body"]["params"]["media.length"]

    in_ad = playing = False
    previous = None
    ad_pings = 0
    for call in calls:
        body = call["body"]
        kind, ts, ph = body["eventType"], body["playerTime"]["ts"], body["playerTime"]["playhead"]
        assert 0 <= ph <= length
        if previous is not None:
            p_ts, p_ph = previous
            if in_ad and kind == "ping":
                assert ts - p_ts == 1000, "ad pings come every second"
                ad_pings += 1
            if playing:
                assert ph - p_ph == pytest.approx((ts - p_ts) / 1000, abs=0.002)
            else:
                assert ph == p_ph, f"playhead moved while not playing ({kind})"
        in_ad = {"adStart": True, "adComplete": False}.get(kind, in_ad)
        playing = {
            "play": True, "pauseStart": False, "bufferStart": False, "adBreakStart": False,
            "sessionComplete": False,
        }.get(kind, playing)
        previous = (ts, ph)
    assert ad_pings == 14 + 9 + 9  # 15 s, 10 s and 10 s ads, a ping every second inside each


def test_live_chapters_reports_seconds_since_utc_midnight():
    scenario = SCENARIOS["live-chapters"]
    one_am = START_TS + 3600 * 1000
    calls = scenario_calls(scenario, one_am)
    params = calls[0]["body"]["params"]
    assert params["media.contentType"] == "live" and params["media.length"] == 86400
    for call in calls:
        ts, ph = call["body"]["playerTime"]["ts"], call["body"]["playerTime"]["playhead"]
        midnight = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        assert ph == pytest.approx(ts / 1000 - midnight.timestamp(), abs=0.2)
    assert max(_gaps(calls)) <= 12
    types = [c["body"]["eventType"] for c in calls]
    assert types[-1] == "sessionEnd" and types.count("chapterStart") >= 3


def test_live_playhead_wraps_at_midnight_instead_of_passing_86400():
    a_minute_to_midnight = START_TS - 60 * 1000
    playheads = [
        c["body"]["playerTime"]["playhead"]
        for c in scenario_calls(SCENARIOS["live-chapters"], a_minute_to_midnight)
    ]
    assert all(0 <= p < 86400 for p in playheads)
    assert playheads[0] == 86340 and min(playheads) < 200


def test_adobe_timelines_keep_the_documented_times_and_quirks():
    t1 = [(c["at"], c["body"]["eventType"], c["body"]["playerTime"]["playhead"])
          for c in scenario_calls(SCENARIOS["adobe-timeline-1"], START_TS)]
    assert t1[0] == (0, "sessionStart", 0) and t1[-1] == (88, "sessionComplete", 45)
    assert (33, "bufferStart", 11) in t1 and (36, "play", 11) in t1 and (64, "pauseStart", 31) in t1
    assert [at for at, kind, _ in t1 if kind == "ping"] == [1, 2, 3, 20, 30, 40, 50, 60, 70, 80]
    positions = [c["body"]["params"]["media.ad.podPosition"]
                 for c in scenario_calls(SCENARIOS["adobe-timeline-1"], START_TS)
                 if c["body"]["eventType"] == "adStart"]
    assert positions == [1, 1, 2]  # the page's second ad repeats podPosition 1
    t3 = [(c["at"], c["body"]["eventType"], c["body"]["playerTime"]["playhead"])
          for c in scenario_calls(SCENARIOS["adobe-timeline-3"], START_TS)]
    chapters = [(at, kind, ph) for at, kind, ph in t3 if kind.startswith("chapter")]
    assert chapters == [(23, "chapterStart", 1), (45, "chapterComplete", 20),
                        (55, "chapterStart", 22), (87, "chapterComplete", 44)]


def test_broken_scenarios_carry_their_defect():
    late = scenario_calls(SCENARIOS["late-pings"], START_TS)
    assert max(_gaps(late)) == pytest.approx(40)
    after_end = [c["body"]["eventType"] for c in scenario_calls(SCENARIOS["event-after-end"], START_TS)]
    assert after_end.index("sessionEnd") < len(after_end) - 1
    seconds = scenario_calls(SCENARIOS["ts-in-seconds"], START_TS)
    assert all(1e9 <= c["body"]["playerTime"]["ts"] < 1e11 for c in seconds)
    stale = scenario_calls(SCENARIOS["ignored-404"], START_TS)
    assert all(c["sid"] == STALE_SID and c["endpoint"] == "events" for c in stale)
    outside = [c["body"]["eventType"] for c in scenario_calls(SCENARIOS["ad-outside-break"], START_TS)]
    assert "adStart" in outside and "adBreakStart" not in outside


def test_script_refuses_to_go_back_in_time():
    script = Script().at(10)
    with pytest.raises(ValueError):
        script.at(5)


# -- real HTTP ----------------------------------------------------------------------------------


def test_vod_clean_over_http_uses_the_sid_from_location(collector):
    scenario = SCENARIOS["vod-clean"]
    result = Player(collector.url, speed=0).play(scenario)

    assert not result.interrupted and not result.errors
    assert result.statuses == [201] + [204] * (len(scenario.steps) - 1)
    assert result.sid == collector.sids[0]
    expected = scenario_calls(scenario, result.start_ts)
    assert len(collector.requests) == len(expected)
    for (path, headers, body), call in zip(collector.requests, expected):
        if call["endpoint"] == "sessions":
            assert path == "/api/v1/sessions"
        else:
            assert path == f"/api/v1/sessions/{result.sid}/events"
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == call["body"]


def test_ignored_404_gets_404s_and_keeps_sending(collector):
    scenario = SCENARIOS["ignored-404"]
    result = Player(collector.url, speed=0).play(scenario)
    assert result.statuses == [404] * len(scenario.steps)
    assert len(collector.requests) == len(scenario.steps)
    assert all(path == f"/api/v1/sessions/{STALE_SID}/events" for path, _, _ in collector.requests)
    assert all(x.error and x.error.startswith("HTTP 404") and "session not found" in x.error
               for x in result.exchanges)
    assert result.sid is None


def test_ts_is_not_compressed_by_speed(collector):
    scenario = SCENARIOS["event-after-end"]
    speed = 100
    began = time.monotonic()
    result = Player(collector.url, speed=speed).play(scenario)
    elapsed = time.monotonic() - began
    assert not result.interrupted
    sent = [json.loads(body)["playerTime"]["ts"] for _, _, body in collector.requests]
    assert [ts - sent[0] for ts in sent] == [round(s.at * 1000) for s in scenario.steps]
    assert sent[-1] - sent[0] == pytest.approx(scenario.duration * 1000)
    assert elapsed >= scenario.duration / speed  # it did wait, scaled down


def test_no_server_is_recorded_not_raised():
    port = _free_port()  # nothing listens here
    scenario = SCENARIOS["ts-in-seconds"]
    result = Player(f"http://127.0.0.1:{port}", speed=0, timeout=2).play(scenario)
    first, *rest = result.exchanges
    assert first.status is None and first.error.startswith("no answer from")
    assert rest and all(x.status is None and x.error.startswith("not sent") for x in rest)
    assert len(result.exchanges) == len(scenario.steps)


@pytest.mark.parametrize(
    "give_location, status, message",
    [
        (False, 201, "201 without a usable Location"),
        (True, 200, "sessionStart answered 200, not 201"),
        (True, 500, "HTTP 500"),
    ],
)
def test_a_failed_session_start_is_recorded_and_events_are_held_back(give_location, status, message):
    server = Collector(give_location=give_location, session_status=status)
    thread = _serve(server)
    try:
        result = Player(server.url, speed=0).play(SCENARIOS["late-pings"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    first, *rest = result.exchanges
    assert first.status == status and first.error.startswith(message) and result.sid is None
    assert len(server.requests) == 1  # no event goes out without a sid
    assert len(rest) == len(SCENARIOS["late-pings"].steps) - 1
    assert all(x.status is None and x.error.startswith("not sent") for x in rest)


def test_stop_ends_a_play_at_its_next_wait(collector):
    player = Player(collector.url, speed=1)
    results = []
    thread = threading.Thread(target=lambda: results.append(player.play(SCENARIOS["vod-clean"])))
    thread.start()
    deadline = time.monotonic() + 10
    while not collector.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    player.stop()
    thread.join(10)
    assert not thread.is_alive()
    (result,) = results
    assert result.interrupted
    assert 1 <= len(result.exchanges) < len(SCENARIOS["vod-clean"].steps)


def test_play_many_runs_sessions_side_by_side(collector):
    chosen = [SCENARIOS[n] for n in ("event-after-end", "ts-in-seconds", "late-pings")]
    results = Player(collector.url, speed=100).play_many(chosen, concurrency=3)
    assert [r.scenario for r in results] == [s.name for s in chosen]
    sids = [r.sid for r in results]
    assert len(set(sids)) == 3 and set(sids) == set(collector.sids)
    order = [m.group(1) for p, _, _ in collector.requests if (m := _EVENTS_PATH.fullmatch(p))]
    # while one session was still sending, another had started: they overlapped
    last_of_first = max(i for i, sid in enumerate(order) if sid == sids[0])
    assert any(sid != sids[0] for sid in order[:last_of_first])


# -- https with a CA file -----------------------------------------------------------------------


def _make_ca_and_cert(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "playhead test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


def test_https_is_verified_against_the_given_ca_file(tmp_path):
    ca_file, cert_file, key_file = _make_ca_and_cert(tmp_path)
    server = Collector()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = _serve(server)
    url = f"https://localhost:{server.server_address[1]}"
    scenario = SCENARIOS["ts-in-seconds"]
    try:
        trusted = Player(url, speed=0, verify=str(ca_file)).play(scenario)
        untrusted = Player(url, speed=0).play(scenario)  # system CAs do not know the test CA
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert trusted.statuses == [201] + [204] * (len(scenario.steps) - 1)
    assert untrusted.exchanges[0].status is None
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.exchanges[0].error


# -- the scenarios against the engine -----------------------------------------------------------


def _findings(scenario: Scenario, start_ts: int = START_TS):
    from playhead.core.engine import check_calls
    from playhead.simulate.offline import scenario_as_calls

    return check_calls(scenario_as_calls(scenario, sid=secrets.token_hex(32), start_ts=start_ts)).findings


@pytest.mark.parametrize("name", ["vod-clean", "live-chapters"])
def test_clean_scenarios_raise_no_error_and_no_warning(name):
    from playhead.core.findings import Severity

    bad = [f.as_dict() for f in _findings(SCENARIOS[name]) if f.severity >= Severity.WARNING]
    assert bad == []


def test_live_chapters_stays_clean_across_utc_midnight():
    from playhead.core.findings import Severity

    findings = _findings(SCENARIOS["live-chapters"], START_TS - 60 * 1000)
    assert [f.as_dict() for f in findings if f.severity >= Severity.WARNING] == []


@pytest.mark.parametrize("name", ["adobe-timeline-1", "adobe-timeline-3"])
def test_adobe_timelines_raise_no_error(name):
    from playhead.core.findings import Severity

    findings = _findings(SCENARIOS[name])
    assert [f.as_dict() for f in findings if f.severity is Severity.ERROR] == []
    # the page's own quirk is seen, as a warning: the second pre-roll ad repeats podPosition 1
    assert any(f.rule == "ad-pod-position" and f.severity is Severity.WARNING for f in findings)


@pytest.mark.parametrize("name", sorted(ALL_SCENARIOS))
def test_every_scenario_gives_exactly_its_expected_rules(name):
    """What `simulate --list` and the demo say a scenario yields is what it yields: the exact set
    of rules at warning or error (clean ones: none)."""
    from playhead.core.findings import REGISTRY

    scenario = ALL_SCENARIOS[name]
    fired = {f.rule for f in _findings(scenario) if f.severity >= Severity.WARNING}
    assert all(rule_id in REGISTRY for rule_id in scenario.expected)
    assert fired == set(scenario.expected)
