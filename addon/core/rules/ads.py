"""Rules about ad breaks and ads: bookends, nesting, pod positions, playback inside a break."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..parse import number
from ..vocab import POD_POSITION
from ..timeline import Family

FAMILY = "ads"
R = Severity

AD_OUTSIDE_BREAK = rule(
    "ad-outside-break", R.ERROR, family=FAMILY,
    summary="adStart, adComplete or adSkip with no open ad break.",
    impact="The ad is ignored and its time is counted as main content.",
    fix="Send adBreakStart before the first ad of a pod and adBreakComplete after the last.",
    source="Media Collection API: ad tracking")
AD_BREAK_NESTED = rule(
    "ad-break-nested", R.ERROR, family=FAMILY,
    summary="adBreakStart while a break is open.",
    impact="Breaks cannot nest: the pods are miscounted.",
    fix="Send adBreakComplete before the next adBreakStart.",
    source="Media Collection API: ad tracking")
AD_BREAK_NOT_CLOSED = rule(
    "ad-break-not-closed", R.ERROR, family=FAMILY,
    summary="A break still open at sessionComplete, at the next adBreakStart, or at the end of a capture "
            "without sessionEnd (sessionEnd with an open break is abandonment, not a defect).",
    impact="Content after the break is counted as ad time, or the break's time is lost.",
    fix="Send adBreakComplete after the last ad of every pod, including when ads are skipped.",
    source="Media Collection API: ad tracking")
AD_NOT_CLOSED = rule(
    "ad-not-closed", R.ERROR, family=FAMILY,
    summary="adStart while another ad is open, or adBreakComplete/sessionComplete with an ad open.",
    impact="The open ad is not counted as completed; its time runs into the next one.",
    fix="Send adComplete (or adSkip) for every adStart.",
    source="Media Collection API: ad tracking")
AD_END_WITHOUT_START = rule(
    "ad-end-without-start", R.ERROR, family=FAMILY,
    summary="adComplete or adSkip inside a break with no open ad, or adBreakComplete with no open break.",
    impact="The bookend is ignored; usually its start went missing and the ad is not counted.",
    fix="Send adStart before adComplete/adSkip, and adBreakStart before adBreakComplete.",
    source="Media Collection API: ad tracking")
AD_BREAK_EMPTY = rule(
    "ad-break-empty", R.WARNING, family=FAMILY,
    summary="A break closed with no ad in it.",
    impact="An empty pod is counted as an ad break start with no ad: fill rate looks wrong.",
    fix="Only track a break that plays at least one ad, or track the ads it played.",
    source="SPEC §5")
AD_POD_POSITION = rule(
    "ad-pod-position", R.WARNING, family=FAMILY,
    summary="media.ad.podPosition repeats or goes down inside one break.",
    impact="Ad position reports (first, second ... in pod) are wrong.",
    fix="Number the ads of each pod 1, 2, 3 ... in play order.",
    source="Media Collection API: adStart params")
PLAYBACK_IN_BREAK = rule(
    "playback-in-break", R.WARNING, family=FAMILY,
    summary="play, pauseStart or bufferStart inside a break but outside an ad (pings there are fine).",
    impact="Playback between ads is attributed to neither the ad nor the content.",
    fix="Send play after adStart (or after adBreakComplete for content), not between ads.",
    source="SPEC §5")
PREROLL_PLAY_TOO_EARLY = rule(
    "preroll-play-too-early", R.WARNING, family=FAMILY,
    summary="The session's first play comes before a pre-roll break (playhead not yet advanced).",
    impact="A content start is counted although the viewer saw an ad first.",
    fix="Send play for content only when content frames show, after the pre-roll's adBreakComplete.",
    source="SPEC §5; Adobe's timelines start the pre-roll before any play")


class AdChecks(Family):
    events = frozenset({"adBreakStart", "adStart", "adComplete", "adSkip", "adBreakComplete",
                        "sessionComplete", "play", "pauseStart", "bufferStart"})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.first_play: tuple[Entry, bool] | None = None  # (entry, was it outside a break)

    def event(self, e: Entry) -> None:
        kind = e.event_type
        state = self.ctx.state
        brk, ad = state.brk, state.ad
        emit = self.ctx.emit
        if kind == "adBreakStart":
            if brk is not None:
                emit(AD_BREAK_NESTED, e, f"adBreakStart while break {brk.number} is open")
                emit(AD_BREAK_NOT_CLOSED, e, f"break {brk.number} still open at the next adBreakStart")
            self._preroll(e)
        elif kind == "adStart":
            if brk is None:
                emit(AD_OUTSIDE_BREAK, e, "adStart with no open ad break: counted as main content")
            else:
                self._position(e, brk)
            if ad is not None:
                emit(AD_NOT_CLOSED, e, f"adStart while ad {ad.ad_id or ad.position or '?'} is still open")
        elif kind in ("adComplete", "adSkip"):
            if brk is None:
                emit(AD_OUTSIDE_BREAK, e, f"{kind} with no open ad break")
            elif ad is None:
                emit(AD_END_WITHOUT_START, e, f"{kind} in break {brk.number} with no open ad")
        elif kind == "adBreakComplete":
            if brk is None:
                emit(AD_END_WITHOUT_START, e, "adBreakComplete with no open ad break")
            else:
                if ad is not None:
                    emit(AD_NOT_CLOSED, e, f"adBreakComplete while ad {ad.ad_id or ad.position or '?'} is open")
                if brk.ads == 0:
                    emit(AD_BREAK_EMPTY, e, f"break {brk.number} closed with no ad in it")
        elif kind == "sessionComplete":
            if brk is not None:
                emit(AD_BREAK_NOT_CLOSED, e, f"break {brk.number} still open at sessionComplete")
            if ad is not None:
                emit(AD_NOT_CLOSED, e, f"sessionComplete while ad {ad.ad_id or ad.position or '?'} is open")
        elif kind in ("play", "pauseStart", "bufferStart"):
            if brk is not None and ad is None and not state.closed:
                emit(PLAYBACK_IN_BREAK, e, f"{kind} inside break {brk.number} but outside any ad")
            if kind == "play" and self.first_play is None:
                self.first_play = (e, brk is None)

    def _position(self, e: Entry, brk) -> None:
        position = number(e.details.get(POD_POSITION))
        last = brk.last_position
        if position is not None and last is not None and position <= last:
            how = "repeats" if position == last else "goes down"
            self.ctx.emit(AD_POD_POSITION, e,
                          f"podPosition {position:g} {how} after {last} in break {brk.number}",
                          field=POD_POSITION)

    def _preroll(self, e: Entry) -> None:
        if self.ctx.state.breaks or self.first_play is None:
            return
        play, outside = self.first_play
        if not outside or play.playhead is None or e.playhead is None:
            return
        if e.playhead - play.playhead <= self.ctx.config.pause_drift:
            self.ctx.emit(PREROLL_PLAY_TOO_EARLY, e,
                          f"first play (call {play.index}, playhead {play.playhead:g}) came before this"
                          f" pre-roll break at playhead {e.playhead:g}")

    def finish(self) -> None:
        state = self.ctx.state
        if state.closed or state.brk is None:
            return
        session = self.ctx.session
        self.ctx.emit(AD_BREAK_NOT_CLOSED, session.entries[-1],
                      f"break {state.brk.number} still open at the end of the capture (no sessionEnd)")
