"""Rules about the playhead: its units, its range, and whether it moves as time passes."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..parse import number
from ..timeline import Family
from ..vocab import LENGTH, PLAYHEAD, is_live

FAMILY = "playhead"
R = Severity

PLAYHEAD_UNITS = rule(
    "playhead-units", R.ERROR, family=FAMILY,
    summary="VOD playhead above 10 × media.length, or live playhead ≥ 86400: milliseconds sent as seconds.",
    impact="Progress markers, completion and time spent are computed from a playhead 1000× too large.",
    fix="Send playerTime.playhead in seconds (live: seconds since midnight UTC).",
    source="Media Collection API: playerTime.playhead")
PLAYHEAD_OUT_OF_RANGE = rule(
    "playhead-out-of-range", R.WARNING, family=FAMILY,
    summary="Playhead below 0, or beyond media.length + 5 s on VOD.",
    impact="Progress markers (25/50/75/95 %) fire wrongly or never.",
    fix="Report the content playhead in seconds within [0, media.length].",
    source="Media Collection API: playerTime.playhead")
PLAYHEAD_MOVED_WHILE_PAUSED = rule(
    "playhead-moved-while-paused", R.WARNING, family=FAMILY,
    summary="The playhead advanced by more than 1 s between pauseStart/bufferStart and the next play, "
            "or inside an ad break.",
    impact="Paused or ad time is counted as content progress.",
    fix="Report the content playhead (frozen during pauses and ads), not the ad's or a wall clock.",
    source="SPEC §5")
PLAYHEAD_RATE = rule(
    "playhead-rate", R.WARNING, family=FAMILY,
    summary="While playing main content, the playhead advanced over 50 % (and over 2 s) faster or "
            "slower than ts over 10 s or more.",
    impact="Time spent and progress disagree; usually a wrong unit or a playhead that is not updated.",
    fix="Send the player's current content position in seconds with every event.",
    source="SPEC §5")

DAY = 86400.0


class PlayheadChecks(Family):
    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.units_reported = False
        self.range_reported = False
        self.hold: tuple[str, int, float] | None = None  # (what, entry index, playhead) to stay at
        self.hold_reported = False
        self.rate_anchor: tuple[int, float] | None = None  # (ts, playhead) of the playing stretch
        self.rate_reported = False
        self._info: dict | None = None  # the session details _live and _length were read from
        self._live = False
        self._length: float | None = None

    def event(self, e: Entry) -> None:
        playhead = e.playhead
        if playhead is None:
            return
        info = self.ctx.session.info
        if info is not self._info:  # read once per session, not per event
            self._info, self._live = info, is_live(info)
            self._length = number(info.get(LENGTH))
        live, length = self._live, self._length
        self._units(e, playhead, live, length)
        if self.units_reported:
            return
        self._range(e, playhead, live, length)
        self._still(e, playhead)
        self._rate(e, playhead, live)

    def _units(self, e: Entry, playhead: float, live: bool, length: float | None) -> None:
        if self.units_reported:
            return
        if live and playhead >= DAY:
            why = f"live playhead {playhead:g} ≥ 86400"
        elif not live and length and length > 0 and playhead > 10 * length:
            why = f"playhead {playhead:g} > 10 × media.length {length:g}"
        else:
            return
        self.units_reported = True
        self.ctx.emit(PLAYHEAD_UNITS, e, f"{why}: milliseconds sent as seconds?", field=PLAYHEAD)

    def _range(self, e: Entry, playhead: float, live: bool, length: float | None) -> None:
        if self.range_reported:
            return
        limit = self.ctx.config.playhead_tolerance
        if playhead < 0:
            why = f"playhead {playhead:g} < 0"
        elif not live and length is not None and length > 0 and playhead > length + limit:
            why = f"playhead {playhead:g} > media.length {length:g} + {limit:g} s"
        else:
            return
        self.range_reported = True
        self.ctx.emit(PLAYHEAD_OUT_OF_RANGE, e, why + "; reported once per session", field=PLAYHEAD)

    def _still(self, e: Entry, playhead: float) -> None:
        """Between pauseStart/bufferStart and play, and inside a break, the playhead stays put.

        The play that ends a pause is not compared: players report a seek as pauseStart then
        play, and the play legitimately lands elsewhere.
        """
        kind = e.event_type
        state = self.ctx.state
        if kind == "play" and state.ad is None:
            self.hold = None  # content plays again (inside an unclosed break: the ad rules say so)
        elif kind in ("pauseStart", "bufferStart") and state.brk is None:
            self.hold, self.hold_reported = ("pause" if kind == "pauseStart" else "buffer", e.index, playhead), False
        elif kind == "adBreakStart":
            self.hold, self.hold_reported = ("ad break", e.index, playhead), False
        elif self.hold is not None and not self.hold_reported:
            what, index, start = self.hold
            if playhead - start > self.ctx.config.pause_drift:
                self.hold_reported = True
                self.ctx.emit(PLAYHEAD_MOVED_WHILE_PAUSED, e,
                              f"playhead moved {playhead - start:.1f} s during the {what} that began at call {index}", field=PLAYHEAD)
        if kind == "adBreakComplete":
            self.hold = None

    def _rate(self, e: Entry, playhead: float, live: bool) -> None:
        kind = e.event_type
        state = self.ctx.state
        ts = e.ts
        if ts is None or self.ctx.bad_ts:
            return
        playing = state.lifecycle == "playing" and state.brk is None and state.ad is None
        if self.rate_anchor is not None and playing:
            start_ts, start_ph = self.rate_anchor
            elapsed = (ts - start_ts) / 1000
            if elapsed >= self.ctx.config.rate_window:
                moved = playhead - start_ph
                if live and moved < -DAY / 2:
                    moved += DAY  # midnight wrap of a live playhead
                off = moved - elapsed
                config = self.ctx.config
                if abs(off) > config.rate_tolerance * elapsed and abs(off) > config.rate_min:
                    if not self.rate_reported:
                        self.rate_reported = True
                        self.ctx.emit(PLAYHEAD_RATE, e,
                                      f"playhead moved {moved:.1f} s in {elapsed:.1f} s of playing", field=PLAYHEAD)
                self.rate_anchor = (ts, playhead)
        if kind == "play" and state.brk is None:
            self.rate_anchor, self.rate_reported = (ts, playhead), False
        elif kind in ("pauseStart", "bufferStart", "adBreakStart", "adStart", "sessionComplete", "sessionEnd"):
            self.rate_anchor = None  # an ad holds the content playhead, inside a break or not
