"""Scripted playback sessions, as data: what the simulated player sends and when.

A `Scenario` is a list of `Step`s, each one event at `at` seconds since the session started. The
player turns `at` into the event's real `playerTime.ts` (start + at × 1000) whatever speed it plays
at, so a scenario replayed fast still *says* what a real player would have said. Clean scenarios
must raise no error and no warning; broken ones name the rule ids they exist to trigger, so the
engine and the scenarios keep each other honest.

`Script` is the small builder the scenarios are written with: it keeps a clock and a playhead
(advancing 1 s/s only while content plays), emits pings while time passes, and spaces events that
happen "at the same moment" a few milliseconds apart, as real players do, so clean sessions carry
no duplicate ts. Adobe's documented timelines are written with explicit times instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# Shaped like a real sid (64 hex digits) but never issued by any server, so the sink (like Adobe)
# answers 404 for it.
STALE_SID = "deadbeef" * 8


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a scenario.

    `playhead` is media seconds; on a live step (`live=True`) it is seconds since the session
    started and the player adds the start's seconds-since-UTC-midnight, as live players report.
    `ts_override` makes a step lie about its clock: an int is sent as the ts verbatim, "s" sends
    epoch seconds and "us" epoch microseconds. `sid` sends the event to that sid instead of the
    one the server gave (a player reusing a stored, stale sid).
    """

    at: float
    event_type: str
    playhead: float
    params: dict[str, Any] | None = None
    qoe: dict[str, Any] | None = None
    custom: dict[str, str] | None = None
    endpoint: str = "events"  # "events" | "sessions"
    ts_override: int | str | None = None
    sid: str | None = None
    live: bool = False
    edge_action: str | None = None  # Media Edge: send to this path action instead of the event's


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str  # the CLI value
    title: str
    description: str  # what is wrong with it, or "clean"
    expected: tuple[str, ...]  # exactly the rule ids it gives as warnings or errors; empty = clean
    steps: tuple[Step, ...]
    protocol: str = "media-collection"  # or "media-edge": the wire the player speaks

    @property
    def clean(self) -> bool:
        return not self.expected

    @property
    def duration(self) -> float:
        """Seconds from the first to the last step: how long playing it takes at speed 1."""
        return self.steps[-1].at - self.steps[0].at if self.steps else 0.0


def session_params(
    media_id: str,
    name: str,
    length: float,
    *,
    content_type: str = "vod",
    channel: str = "playhead-demo",
    **extra: Any,
) -> dict[str, Any]:
    """sessionStart params: every required one (SPEC §3) plus media.name and any extras."""
    params: dict[str, Any] = {
        "analytics.trackingServer": "playhead-demo.sc.omtrdc.net",
        "analytics.reportSuite": "playhead-demo-dev",
        "visitor.marketingCloudOrgId": "0123456789ABCDEF01234567@AdobeOrg",
        "media.id": media_id,
        "media.name": name,
        "media.contentType": content_type,
        "media.playerName": "playhead-simulator",
        "media.channel": channel,
        "media.length": length,
    }
    params.update(extra)
    return params


class Script:
    """Builder for a scenario's steps; every method returns the script so calls chain.

    An event happens at the clock's time with the playhead as it was then; what it does to
    playback (play starts content, pauseStart/bufferStart/adBreakStart/adStart stop it) takes
    effect after it.

    `spread` is the minimum spacing in seconds between two steps (0 keeps equal times, as the
    documented timelines have them); `ts_override`, `sid` and `live` apply to every step.
    """

    def __init__(
        self,
        *,
        spread: float = 0.05,
        live: bool = False,
        ts_override: int | str | None = None,
        sid: str | None = None,
    ) -> None:
        self.steps: list[Step] = []
        self.t = 0.0
        self.playhead = 0.0
        self.playing = False  # content playing: the playhead follows the clock
        self._spread = spread
        self._live = live
        self._ts_override = ts_override
        self._sid = sid

    # -- time --------------------------------------------------------------------------------

    def at(self, t: float, playhead: float | None = None) -> Script:
        """Move the clock to `t` (never backwards), optionally setting the playhead."""
        if t < self.t:
            raise ValueError(f"script goes back in time: {t} < {self.t}")
        self._advance(t - self.t)
        if playhead is not None:
            self.playhead = float(playhead)
        return self

    def wait(self, seconds: float, ping_every: float | None = None) -> Script:
        """Let `seconds` pass, pinging every `ping_every` seconds strictly inside the stretch."""
        end = self.t + seconds
        if ping_every:
            k = 1
            while k * ping_every < seconds - 1e-9:
                self.at(end - seconds + k * ping_every)
                self.ping()
                k += 1
        return self.at(max(end, self.t))

    def _advance(self, dt: float) -> None:
        self.t = round(self.t + dt, 3)
        if self.playing:
            self.playhead = round(self.playhead + dt, 3)

    # -- events ------------------------------------------------------------------------------

    def event(
        self,
        event_type: str,
        params: dict[str, Any] | None = None,
        *,
        qoe: dict[str, Any] | None = None,
        custom: dict[str, str] | None = None,
        endpoint: str = "events",
        playhead: float | None = None,
    ) -> Script:
        """Any event at the current time; `playhead` overrides the tracked one for this step."""
        if self.steps and self.t < self.steps[-1].at + self._spread:
            self._advance(self.steps[-1].at + self._spread - self.t)
        self.steps.append(
            Step(
                at=self.t,
                event_type=event_type,
                playhead=self.playhead if playhead is None else float(playhead),
                params=params,
                qoe=qoe,
                custom=custom,
                endpoint=endpoint,
                ts_override=self._ts_override,
                sid=self._sid,
                live=self._live,
            )
        )
        return self

    def session_start(self, params: dict[str, Any], custom: dict[str, str] | None = None) -> Script:
        return self.event("sessionStart", params, custom=custom, endpoint="sessions")

    def play(self, qoe: dict[str, Any] | None = None, custom: dict[str, str] | None = None) -> Script:
        self.event("play", qoe=qoe, custom=custom)
        self.playing = True
        return self

    def ping(self) -> Script:
        return self.event("ping")

    def pause_start(self) -> Script:
        self.event("pauseStart")
        self.playing = False
        return self

    def buffer_start(self) -> Script:
        self.event("bufferStart")
        self.playing = False
        return self

    def bitrate_change(self, bitrate: int) -> Script:
        return self.event("bitrateChange", qoe={"media.qoe.bitrate": bitrate})

    def ad_break_start(self, index: int, second: float, name: str | None = None) -> Script:
        params: dict[str, Any] = {"media.ad.podIndex": index, "media.ad.podSecond": second}
        if name is not None:
            params["media.ad.podFriendlyName"] = name
        self.event("adBreakStart", params)
        self.playing = False
        return self

    def ad_start(
        self,
        ad_id: str,
        length: float,
        position: int,
        *,
        name: str | None = None,
        custom: dict[str, str] | None = None,
        **extra: Any,
    ) -> Script:
        """adStart; `extra` takes further ad params by their key without the `media.ad.` prefix."""
        params: dict[str, Any] = {
            "media.ad.id": ad_id,
            "media.ad.length": length,
            "media.ad.podPosition": position,
            "media.ad.playerName": "playhead-simulator",
        }
        if name is not None:
            params["media.ad.name"] = name
        params.update({f"media.ad.{k}": v for k, v in extra.items()})
        self.event("adStart", params, custom=custom)
        self.playing = False  # content does not advance under an ad, break or no break
        return self

    def ad_complete(self) -> Script:
        return self.event("adComplete")

    def ad_break_complete(self) -> Script:
        return self.event("adBreakComplete")

    def ad(self, ad_id: str, length: float, position: int, ping_every: float = 1.0, **kw: Any) -> Script:
        """A whole ad: adStart, pings while it plays, adComplete `length` seconds later."""
        return self.ad_start(ad_id, length, position, **kw).wait(length, ping_every).ad_complete()

    def chapter_start(self, index: int, offset: float, length: float, name: str | None = None) -> Script:
        params: dict[str, Any] = {
            "media.chapter.index": index,
            "media.chapter.offset": offset,
            "media.chapter.length": length,
        }
        if name is not None:
            params["media.chapter.friendlyName"] = name
        return self.event("chapterStart", params)

    def chapter_complete(self) -> Script:
        return self.event("chapterComplete")

    def session_complete(self) -> Script:
        self.event("sessionComplete")
        self.playing = False
        return self

    def session_end(self) -> Script:
        self.event("sessionEnd")
        self.playing = False
        return self

    def build(self, name: str, title: str, description: str, expected: tuple[str, ...] = ()) -> Scenario:
        return Scenario(name, title, description, tuple(expected), tuple(self.steps))


# -- clean ------------------------------------------------------------------------------------


def _vod_clean() -> Scenario:
    b = Script()
    b.session_start(
        session_params("demo-vod-001", "Harbour Lights, episode 1", 60, **{"media.show": "Harbour Lights"}),
        custom={"show_id": "hl-0101"},
    )
    b.ad_break_start(0, 0, "pre-roll")
    b.ad("ad-001", 15, 1, name="Ferry tickets", custom={"campaign": "spring"})
    b.ad("ad-002", 10, 2, name="Lighthouse tours")
    b.ad_break_complete()
    b.play(qoe={"media.qoe.timeToStart": 850})
    b.chapter_start(1, 0, 30, "Arrival").wait(20, 10)
    b.buffer_start().wait(3).play()
    b.wait(30 - b.playhead, 10).chapter_complete()
    b.ad_break_start(1, b.playhead, "mid-roll")
    b.ad("ad-003", 10, 1, name="Fish market")
    b.ad_break_complete().play()
    b.chapter_start(2, 30, 30, "Departure").wait(12, 10)
    b.pause_start().wait(15, 10).play()
    b.wait(59.9 - b.playhead, 10).chapter_complete().session_complete()
    return b.build(
        "vod-clean",
        "VOD with pre-roll and mid-roll, done right",
        "clean",
    )


def _live_chapters() -> Scenario:
    b = Script(live=True)
    b.session_start(
        session_params(
            "demo-live-news",
            "Harbour News 24",
            86400,
            content_type="live",
            **{"media.streamType": "video", "media.feed": "east"},
        )
    )
    b.play(qoe={"media.qoe.timeToStart": 1200, "media.qoe.bitrate": 2_500_000})
    for index, (name, seconds) in enumerate([("Headlines", 60), ("Weather", 45), ("Sport", 50)], 1):
        b.chapter_start(index, round(b.playhead, 3), seconds, name)
        b.wait(seconds, 10).chapter_complete()
        if index == 1:
            b.bitrate_change(4_000_000)
    b.session_end()
    return b.build(
        "live-chapters",
        "Live stream with three chapters, ended by the viewer",
        "clean",
    )


# -- Adobe's documented timelines (SPEC §11), with their quirks ------------------------------

_ADOBE_SESSION = {
    "media.playerName": "sample-html5-api-player",
    "analytics.trackingServer": "[ _YOUR_TS_ ]",
    "analytics.reportSuite": "[ _YOUR_RSID_ ]",
    "analytics.visitorId": "[ _YOUR_VISITOR_ID_ ]",
    "media.contentType": "VOD",
    "media.length": 60.3333333333333,
    "media.id": "VA API Sample Player",
    "visitor.marketingCloudOrgId": "[YOUR_MCID]",
    "media.name": "ClickMe",
    "media.channel": "sample-channel",
    "media.sdkVersion": "va-api-0.0.0",
    "analytics.enableSSL": False,
}


def _adobe_ad(b: Script, ad_id: str, length: float, position: int, pod: str, campaign: str,
              creative: str, placement: str, custom: dict[str, str] | None = None) -> Script:
    # The documented adStart bodies carry podFriendlyName too; kept as documented.
    return b.event(
        "adStart",
        {
            "media.ad.podFriendlyName": pod,
            "media.ad.name": f"Ad {int(ad_id)}",
            "media.ad.id": ad_id,
            "media.ad.length": length,
            "media.ad.podPosition": position,
            "media.ad.playerName": "Sample Player",
            "media.ad.advertiser": "Ad Guys",
            "media.ad.campaignId": campaign,
            "media.ad.creativeId": creative,
            "media.ad.siteId": "XYZ",
            "media.ad.creativeURL": "https://example.com",
            "media.ad.placementId": placement,
        },
        custom=custom,
    )


def _adobe_preroll(b: Script, pings: list[float]) -> None:
    """t0-t22 of timelines 1 and 3: the pre-roll break, its two ads (both at podPosition 1, as
    documented) and the pings the page shows (the others are elided from the page)."""
    b.at(0, 0).session_start(dict(_ADOBE_SESSION))
    b.ad_break_start(0, 0, "ad_pod1")
    _adobe_ad(b, "001", 15, 1, "ad_pod1", "1", "42", "sample_placement",
              custom={"myCustomData1": "CustomData1", "myCustomData2": "CustomData2"})
    for t in (p for p in pings if p < 15):
        b.at(t).ping()
    b.at(15).ad_complete()
    _adobe_ad(b, "002", 7, 1, "ad_pod1", "2", "44", "sample_placement2")
    for t in (p for p in pings if 15 < p < 22):
        b.at(t).ping()
    b.at(22).ad_complete().ad_break_complete().event("play")


def _adobe_midroll(b: Script, ping_at: float) -> None:
    """t46-t54: the mid-roll break with ad 003 (podPosition 2 in a new break, as documented)."""
    b.at(46, 21).ad_break_start(1, 21, "ad_pod2")
    _adobe_ad(b, "003", 8, 2, "ad_pod2", "7", "40", "sample_placement2")
    b.at(ping_at).ping()
    b.at(54).ad_complete().ad_break_complete()


def _adobe_timeline_1() -> Scenario:
    b = Script(spread=0)
    _adobe_preroll(b, [1, 2, 3, 20])
    b.at(30, 8).ping()
    b.at(33, 11).buffer_start()
    b.at(36, 11).event("play")
    b.at(40, 15).ping()
    _adobe_midroll(b, 50)
    # The page sends no play after the mid-roll break; kept as documented.
    b.at(60, 27).ping()
    b.at(64, 31).pause_start()
    b.at(70, 31).ping()
    b.at(74, 31).event("play")
    b.at(80, 37).ping()
    b.at(88, 45).session_complete()
    return b.build(
        "adobe-timeline-1",
        "Adobe's Timeline 1: view to the end of content",
        "Adobe's documented example as published: the second pre-roll ad repeats podPosition 1, "
        "most ad pings are elided from the page, no play follows the mid-roll break. "
        "Calibration: no error; the page's own defects give warnings (the repeated podPosition, "
        "bookends stamped with one ts).",
        ("ad-pod-position", "ts-duplicate"),
    )


def _adobe_timeline_3() -> Scenario:
    b = Script(spread=0)
    _adobe_preroll(b, [10, 16])
    # Playheads from the page's tables; its bodies say 0 for both chapter bookends (t23, t87).
    b.at(23, 1).chapter_start(1, 0, 20, "Chapter Uno")
    b.at(30, 8).ping()
    b.at(33, 11).buffer_start()
    b.at(36, 11).event("play")
    b.at(40, 15).ping()
    b.at(45, 20).chapter_complete()
    _adobe_midroll(b, 47)
    b.at(55, 22).chapter_start(2, 22, 22, "Chapter Dos")
    b.at(60, 27).ping()
    b.at(64, 31).pause_start()
    b.at(70, 31).ping()
    b.at(74, 31).event("play")
    b.at(80, 37).ping()
    b.at(87, 44).chapter_complete()
    b.at(88, 45).session_complete()
    return b.build(
        "adobe-timeline-3",
        "Adobe's Timeline 3: chapters",
        "Adobe's documented example as published: Timeline 1 with two chapters; the second "
        "pre-roll ad repeats podPosition 1 and most ad pings are elided from the page. "
        "Calibration: no error; the page's own defects give warnings (the repeated podPosition, "
        "bookends stamped with one ts).",
        ("ad-pod-position", "ts-duplicate"),
    )


# -- broken -----------------------------------------------------------------------------------


def _ad_outside_break() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-vod-002", "Harbour Lights, episode 2", 60))
    b.play().wait(20, 10)
    b.ad("ad-010", 10, 1, name="Ferry tickets")  # no adBreakStart before, no adBreakComplete after
    b.play().wait(40, 10).session_complete()
    return b.build(
        "ad-outside-break",
        "Mid-roll ad without adBreakStart / adBreakComplete",
        "adStart and adComplete are sent with no ad break around them: Adobe ignores the ad and "
        "counts its time as main content.",
        ("ad-outside-break",),
    )


def _missing_ad_break_complete() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-vod-003", "Harbour Lights, episode 3", 60))
    b.ad_break_start(0, 0, "pre-roll").ad("ad-020", 10, 1).ad_break_complete().play()
    b.wait(25, 10)
    b.ad_break_start(1, b.playhead, "mid-roll").ad("ad-021", 10, 1)
    b.play()  # the player forgets adBreakComplete and goes back to content
    b.wait(60 - b.playhead, 10).session_complete()
    return b.build(
        "missing-ad-break-complete",
        "Mid-roll break never closed",
        "The mid-roll ad break gets no adBreakComplete: the break is still open at "
        "sessionComplete, so the rest of the content is counted as ad break time.",
        ("ad-break-not-closed",),
    )


def _late_pings() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-vod-004", "Harbour Lights, episode 4", 130))
    b.play().wait(30, 10).ping()
    b.wait(40)  # the app's ping timer stalls for 40 s while content keeps playing
    b.ping().wait(50, 10).session_complete()
    return b.build(
        "late-pings",
        "A 40 s hole in the pings while playing",
        "The ping timer stops for 40 s during playback: Adobe expects a ping every 10 s and "
        "undercounts time spent.",
        ("ping-late",),
    )


def _event_after_end() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-vod-005", "Harbour Lights, episode 5", 300))
    b.play().wait(30, 10).session_end()
    b.wait(10).ping().wait(10).ping().wait(10).pause_start()  # the ping timer was never stopped
    return b.build(
        "event-after-end",
        "Pings keep coming after sessionEnd",
        "The player ends the session but leaves its ping timer running: the backend drops "
        "everything after sessionEnd.",
        ("event-after-end",),
    )


def _ts_in_seconds() -> Scenario:
    b = Script(ts_override="s")
    b.session_start(session_params("demo-vod-006", "Harbour Lights, episode 6", 60))
    b.play().wait(40, 10).session_complete()
    return b.build(
        "ts-in-seconds",
        "playerTime.ts in epoch seconds",
        "Every ts is epoch seconds instead of milliseconds: Adobe orders and times the session "
        "wrongly.",
        ("ts-units",),
    )


def _ignored_404() -> Scenario:
    b = Script(sid=STALE_SID)
    b.play()  # resumes with a sid stored by an earlier app launch; no sessionStart
    b.wait(30, 10).pause_start().wait(5).play().wait(20, 10).session_end()
    return b.build(
        "ignored-404",
        "Events to a stale sid, 404s ignored",
        f"The player reuses a stored sid ({STALE_SID[:8]}...) the server does not know and keeps "
        "sending after the 404: every event is lost; it should start a new session. One defect, "
        "one finding: dead-session-reused counts the calls.",
        ("dead-session-reused",),
    )


def _mixed_bag() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-vod-007", "Harbour Lights, episode 7", 90))
    b.play().wait(10, 10)
    b.event("ping", {"media.playhead": 10})  # a ping with params
    b.wait(5).pause_start().wait(5)
    b.event("resume")  # not an event type: play ends a pause
    b.play(custom={"scene": "harbour"})  # customMetadata where it is ignored
    b.wait(10, 10).chapter_complete()  # no chapter was started
    b.wait(5).session_complete()
    return b.build(
        "mixed-bag",
        "Several small mistakes in one session",
        "A ping with params, a 'resume' event, customMetadata on play and a chapterComplete "
        "without chapterStart.",
        ("ping-has-params", "unknown-event-type", "custom-metadata-misplaced", "chapter-end-without-start"),
    )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        _vod_clean(),
        _live_chapters(),
        _adobe_timeline_1(),
        _adobe_timeline_3(),
        _ad_outside_break(),
        _missing_ad_break_complete(),
        _late_pings(),
        _event_after_end(),
        _ts_in_seconds(),
        _ignored_404(),
        _mixed_bag(),
    )
}


# -- Media Edge -------------------------------------------------------------------------------
# The same player speaking the Media Edge API (simulate/edge.py renders the steps): the engine
# must judge a session the same whatever carried it, and Edge has defects of its own.


def _on_edge(scenario: Scenario, name: str, title: str) -> Scenario:
    return replace(scenario, name=name, title=title, protocol="media-edge")


def _edge_path_mismatch() -> Scenario:
    b = Script()
    b.session_start(session_params("demo-edge-003", "Harbour Lights, episode 9", 60))
    b.play().wait(20, 10)
    b.steps.append(replace(b.steps[-1], at=b.t + 0.05, event_type="pauseStart", edge_action="play"))
    b.at(b.t + 5).play().wait(35, 10).session_complete()
    return replace(b.build(
        "edge-path-mismatch",
        "Media Edge: pauseStart posted to /va/v1/play",
        "A player that builds the URL from a stale variable posts media.pauseStart to the play "
        "endpoint: Adobe answers 400 and the pause is lost.",
        ("edge-path-mismatch",),
    ), protocol="media-edge")


EDGE_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        _on_edge(SCENARIOS["vod-clean"], "edge-vod-clean", "Media Edge: VOD with pre- and mid-roll, clean"),
        _on_edge(SCENARIOS["ad-outside-break"], "edge-ad-outside-break",
                 "Media Edge: mid-roll ad without adBreakStart / adBreakComplete"),
        _edge_path_mismatch(),
    )
}
ALL_SCENARIOS: dict[str, Scenario] = {**SCENARIOS, **EDGE_SCENARIOS}
