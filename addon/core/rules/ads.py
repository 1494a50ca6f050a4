"""Rules about ad breaks and ads: bookends, nesting, pod positions, playback inside a break."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..parse import number
from ..vocab import POD_INDEX, POD_POSITION, POD_SECOND, is_live
from ..timeline import Family, Run

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
AD_POD_INDEX = rule(
    "ad-pod-index", R.WARNING, family=FAMILY,
    summary="An ad break's podIndex repeats or goes down from one break to a later one in the session "
            "(-1, which some players send for a post-roll, is not a repeat).",
    impact="The pod id is built from the session and podIndex: two breaks with one index are counted "
           "as one pod, and pod reports lose a break.",
    fix="Number the session's ad breaks 1, 2, 3 ... in play order (the pre-roll may be 0).",
    source="Adobe media-analytics docs, Ad parameters > Ad Break Index (media.ad.podIndex / "
           "advertisingPodDetails.index): 'the index of the ad break inside the content starting at 1 ... "
           "used to generate the Pod ID' (help/implementation/variables/ad-parameters.md)")
AD_POD_SECOND = rule(
    "ad-pod-second", R.WARNING, family=FAMILY,
    summary="A VOD break's podSecond is more than 2 s away from the content playhead where the break "
            "starts (a pre-roll is 0).",
    impact="Pod Position reports put the break at the wrong place in the content (a break length "
           "sent as its position is the usual cause).",
    fix="Send the playhead at which the break begins as podSecond (advertisingPodDetails.offset): 0 "
        "for a pre-roll, the content position for a mid-roll.",
    source="Adobe media-analytics docs, Ad break start time (media.ad.podSecond / advertisingPodDetails."
           "offset): 'For a pre-roll the value is 0; for a mid-roll the value is the playhead position "
           "at which the break begins' (help/implementation/variables/ads/ad-break-start-time.md)")
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
                        "sessionComplete", "sessionEnd", "play", "pauseStart", "bufferStart"})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.first_play: tuple[Entry, bool] | None = None  # (entry, was it outside a break)
        self.pod_index: tuple[float, int] | None = None  # (podIndex, break number) of the last break
        # Playback inside a break but outside an ad, not said yet: between two ads it is
        # playback-in-break; if the break is never closed, content resumed without adBreakComplete.
        self.resumed: tuple[Entry, int] | None = None  # (entry, break number)
        self.orphan_end_in: int | None = None  # the break whose ad end came without its start
        # Ads played with no break open: their adBreakStart went missing; one finding for them all.
        self.outside = Run(ctx, lambda first, n: (
            AD_OUTSIDE_BREAK, "adStart with no open ad break: counted as main content"
            + (f"; {n} ads so, from this one on" if n > 1 else "")))

    def event(self, e: Entry) -> None:
        kind = e.event_type
        state = self.ctx.state
        brk, ad = state.brk, state.ad
        emit = self.ctx.emit
        if kind == "adBreakStart":
            self.outside.flush()
            if brk is not None and not self._never_closed(brk):
                emit(AD_BREAK_NESTED, e, f"adBreakStart while break {brk.number} is open")
                emit(AD_BREAK_NOT_CLOSED, e, f"break {brk.number} still open at the next adBreakStart")
            self._preroll(e)
            self._pod(e, state.breaks + 1)
        elif kind == "adStart":
            self._in_break_playback()
            if brk is None:
                self.outside.add(e)
            else:
                self._position(e, brk)
            if ad is not None:
                emit(AD_NOT_CLOSED, e, f"adStart while ad {ad.ad_id or ad.position or '?'} is still open")
        elif kind in ("adComplete", "adSkip"):
            if brk is None:
                if ad is None:  # an ad opened outside a break was said at its adStart
                    emit(AD_OUTSIDE_BREAK, e, f"{kind} with no open ad break")
            elif ad is None:
                emit(AD_END_WITHOUT_START, e, f"{kind} in break {brk.number} with no open ad")
                self.orphan_end_in = brk.number  # the break is not empty: its adStart went missing
        elif kind == "adBreakComplete":
            self._in_break_playback()
            if brk is None:
                if self.outside.first is None:  # else it closes the break whose adBreakStart went missing
                    emit(AD_END_WITHOUT_START, e, "adBreakComplete with no open ad break")
                self.outside.flush()
            else:
                if ad is not None:
                    emit(AD_NOT_CLOSED, e, f"adBreakComplete while ad {ad.ad_id or ad.position or '?'} is open")
                if brk.ads == 0 and self.orphan_end_in != brk.number:
                    emit(AD_BREAK_EMPTY, e, f"break {brk.number} closed with no ad in it")
        elif kind == "sessionEnd":
            if brk is not None:
                self._never_closed(brk)  # leaving in a break is abandonment, unless content resumed in it
        elif kind == "sessionComplete":
            if brk is not None and not self._never_closed(brk):
                emit(AD_BREAK_NOT_CLOSED, e, f"break {brk.number} still open at sessionComplete")
            if ad is not None:
                emit(AD_NOT_CLOSED, e, f"sessionComplete while ad {ad.ad_id or ad.position or '?'} is open")
        elif kind in ("play", "pauseStart", "bufferStart"):
            if brk is not None and ad is None and not state.closed and self.resumed is None:
                self.resumed = (e, brk.number)
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

    def _in_break_playback(self) -> None:
        """Playback was seen between two ads, or between the last ad and the break's end."""
        if self.resumed is not None:
            e, number = self.resumed
            self.resumed = None
            self.ctx.emit(PLAYBACK_IN_BREAK, e, f"{e.event_type} inside break {number} but outside any ad")

    def _never_closed(self, brk) -> bool:
        """A break still open where it must be closed: if content resumed inside it, the cause is
        the adBreakComplete the player never sent, said once, where content resumed. True then."""
        if self.resumed is None or self.resumed[1] != brk.number:
            return False
        e, _ = self.resumed
        self.resumed = None
        self.ctx.emit(AD_BREAK_NOT_CLOSED, e, f"break {brk.number} never closed: content resumed here "
                      f"({e.event_type} after its last ad) without adBreakComplete")
        return True

    def _pod(self, e: Entry, break_number: int) -> None:
        """podIndex grows from break to break; podSecond is where in the content the break is."""
        index = number(e.details.get(POD_INDEX))
        if index is not None and index != -1:
            last = self.pod_index
            if last is not None and index <= last[0]:
                how = "repeats" if index == last[0] else "goes down"
                self.ctx.emit(AD_POD_INDEX, e, f"podIndex {index:g} {how} after {last[0]:g} (break {last[1]})",
                              field=POD_INDEX)
            self.pod_index = (index, break_number)
        second, playhead = number(e.details.get(POD_SECOND)), e.playhead
        if second is None or playhead is None or is_live(self.ctx.session.info):
            return
        if abs(second - playhead) > self.ctx.config.pod_second_tolerance:
            self.ctx.emit(AD_POD_SECOND, e, f"podSecond {second:g} but the break starts at playhead {playhead:g}",
                          field=POD_SECOND)

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

    def tick(self, now: float) -> None:
        self.outside.tick(now)

    def finish(self) -> None:
        self.outside.flush()
        state = self.ctx.state
        if state.closed or state.brk is None or self._never_closed(state.brk):
            return
        session = self.ctx.session
        self.ctx.emit(AD_BREAK_NOT_CLOSED, session.entries[-1],
                      f"break {state.brk.number} still open at the end of the capture (no sessionEnd)")
