"""Playbacks for the built-in checklists (SPEC §13): for each, one done right and one broken.

They are kept apart from `SCENARIOS` (what the demo plays) so the demo stays a short, varied
show; `playhead simulate --scenario` accepts both. A correct playback raises no error and no
warning and passes its checklist; a broken one names the rule ids it triggers (none when the
mistake is one only the checklist sees, such as a missing step) like every broken scenario.
"""

from __future__ import annotations

from .scenarios import Scenario, Script, session_params


def _start(media_id: str, length: float = 120, content_type: str = "vod", live: bool = False,
           **extra) -> Script:
    b = Script(live=live)
    b.session_start(session_params(media_id, f"Certification {media_id}", length,
                                   content_type=content_type, **extra))
    return b


def _preroll(b: Script, skip: bool = False, close: bool = True) -> Script:
    b.ad_break_start(0, 0, "pre-roll")
    if skip:
        b.ad_start("ad-skip", 15, 1).wait(4, 1).event("adSkip")
    else:
        b.ad("ad-pre", 10, 1)
    if close:
        b.ad_break_complete()
    return b


def _midroll(b: Script, index: int = 1) -> Script:
    return b.ad_break_start(index, b.playhead, "mid-roll").ad("ad-mid", 10, 1).ad_break_complete()


def _standard(ok: bool) -> Scenario:
    b = _start("cert-test1")
    b.play().wait(30, 10)
    b.pause_start().wait(15, 10)
    b.play().wait(120 - b.playhead, 10)
    if ok:
        b.session_complete()
    else:
        b.session_end()  # abandoned: the content never completes
    return b.build(f"cert-test1{'' if ok else '-broken'}", "Test 1: standard playback",
                   "clean" if ok else "The player ends the session instead of completing the content.")


def _interruption(ok: bool) -> Scenario:
    b = _start("cert-test2", 600)
    b.play().wait(60, 10)
    b.pause_start().wait(30, 10)  # the app goes to the background
    b.play().wait(60, 10).session_end()
    if not ok:
        b.wait(10).ping()  # the ping timer survives the closed player
    return b.build(f"cert-test2{'' if ok else '-broken'}", "Test 2: media interruption",
                   "clean" if ok else "A ping is sent after the player was closed.",
                   () if ok else ("event-after-end",))


def _vod_no_ads(ok: bool) -> Scenario:
    b = _start("cert-noads", 60)
    if not ok:
        _preroll(b)
    b.play().wait(60, 10).session_complete()
    return b.build(f"cert-vod-no-ads{'' if ok else '-broken'}", "VOD playback with no ads",
                   "clean" if ok else "A pre-roll break plays in content said to have no ads.")


def _vod_preroll(ok: bool) -> Scenario:
    b = _start("cert-preroll", 60)
    _preroll(b, close=ok)
    b.play().wait(60, 10).session_complete()
    return b.build(f"cert-vod-preroll{'' if ok else '-broken'}", "VOD playback with a pre-roll ad",
                   "clean" if ok else "The pre-roll break never gets its adBreakComplete.",
                   () if ok else ("ad-break-not-closed",))


def _vod_midroll(ok: bool) -> Scenario:
    b = _start("cert-midroll", 60)
    b.play().wait(30, 10)
    if ok:
        _midroll(b)
    else:
        b.ad("ad-mid", 10, 1)  # no break around the ad
    b.play().wait(60 - b.playhead, 10).session_complete()
    return b.build(f"cert-vod-midroll{'' if ok else '-broken'}", "VOD playback with a mid-roll ad",
                   "clean" if ok else "The mid-roll ad is sent without an ad break around it.",
                   () if ok else ("ad-outside-break",))


def _vod_postroll(ok: bool) -> Scenario:
    b = _start("cert-postroll", 60)
    b.play().wait(60, 10)
    if ok:
        b.ad_break_start(1, b.playhead, "post-roll").ad("ad-post", 10, 1).ad_break_complete()
    b.session_complete()
    return b.build(f"cert-vod-postroll{'' if ok else '-broken'}", "VOD playback with a post-roll ad",
                   "clean" if ok else "The post-roll ad is never tracked.")


def _vod_skipped(ok: bool) -> Scenario:
    b = _start("cert-skip", 60)
    b.ad_break_start(0, 0, "pre-roll").ad_start("ad-skip", 15, 1).wait(4, 1)
    b.event("adSkip" if ok else "adComplete")  # broken: a skipped ad reported as completed
    b.ad_break_complete().play().wait(60, 10).session_complete()
    return b.build(f"cert-vod-skipped{'' if ok else '-broken'}", "VOD playback with a skipped ad",
                   "clean" if ok else "The skipped ad is reported as completed.")


def _vod_chapters(ok: bool) -> Scenario:
    b = _start("cert-chapters", 60)
    b.chapter_start(1, 0, 30, "One").play().wait(30, 10)
    if ok:
        b.chapter_complete()
    b.chapter_start(2, 30, 30, "Two").wait(30, 10).chapter_complete().session_complete()
    return b.build(f"cert-vod-chapters{'' if ok else '-broken'}", "VOD playback with chapters",
                   "clean" if ok else "The first chapter is never completed before the second starts.",
                   () if ok else ("chapter-overlap",))


def _live(ok: bool) -> Scenario:
    b = _start("cert-live", 86400, content_type="live", live=True)
    b.play().wait(60 if ok else 9, 10).session_end()  # broken: the stream ends before any ping
    return b.build(f"cert-live{'' if ok else '-broken'}", "Live main content",
                   "clean" if ok else "The live session ends before a single ping was sent.")


def _live_ads(ok: bool) -> Scenario:
    b = _start("cert-live-ads", 86400, content_type="live", live=True)
    b.play().wait(30, 10)
    if ok:
        _midroll(b)
    else:
        b.ad_break_start(1, b.playhead, "mid-roll").ad("ad-live", 10, 1)  # no adBreakComplete
    b.play().wait(30, 10).session_end()
    return b.build(f"cert-live-ads{'' if ok else '-broken'}", "Live content with an ad break",
                   "clean" if ok else "The live ad break is never closed.",
                   () if ok else ("ad-break-not-closed",))


def _buffering(ok: bool) -> Scenario:
    b = _start("cert-buffer", 60)
    b.play().wait(20, 10).buffer_start().wait(4)
    if ok:
        b.play()
    b.wait(60 - b.playhead if ok else 20, 10).session_complete()
    return b.build(f"cert-buffering{'' if ok else '-broken'}", "Playback with buffering",
                   "clean" if ok else "Playback never resumes after the buffer.", () if ok else ("ping-late",))


def _pause(ok: bool) -> Scenario:
    b = _start("cert-pause", 60)
    b.play().wait(20, 10).pause_start().wait(15, 10)
    if ok:
        b.play()
    else:
        b.event("resume")  # not an event type: only play ends a pause
    b.wait(40, 10).session_complete()
    return b.build(f"cert-pause{'' if ok else '-broken'}", "Playback with a pause",
                   "clean" if ok else "The player sends 'resume' instead of play after the pause.",
                   () if ok else ("unknown-event-type",))


def _bitrate(ok: bool) -> Scenario:
    b = _start("cert-bitrate", 60)
    b.play(qoe={"media.qoe.bitrate": 2_000_000}).wait(20, 10)
    if ok:
        b.bitrate_change(4_000_000)
    else:
        b.event("bitrateChange")  # no qoeData: which bitrate?
    b.wait(40, 10).session_complete()
    return b.build(f"cert-bitrate{'' if ok else '-broken'}", "Bitrate change",
                   "clean" if ok else "The bitrateChange carries no media.qoe.bitrate.")


def _error(ok: bool) -> Scenario:
    b = _start("cert-error", 60)
    b.play().wait(20, 10)
    if ok:
        b.event("error", {"media.errorId": "net-7", "media.errorSource": "player"})
    else:
        b.ping()  # the player hits an error here and says nothing
    b.wait(40, 10).session_end()
    return b.build(f"cert-error{'' if ok else '-broken'}", "Playback error",
                   "clean" if ok else "The player hits an error and does not report it.")


def _states(ok: bool) -> Scenario:
    b = _start("cert-states", 60)
    b.play().wait(10, 10).event("stateStart", {"media.state.name": "fullscreen"}).wait(20, 10)
    if ok:
        b.event("stateEnd", {"media.state.name": "fullscreen"})
    else:
        b.event("stateEnd", {"media.state.name": "mute"})  # ends a state that never started
    b.wait(30, 10).session_complete()
    return b.build(f"cert-states{'' if ok else '-broken'}", "Player states",
                   "clean" if ok else "stateEnd names a state that never started.",
                   () if ok else ("state-not-started",))


def _downloaded(ok: bool) -> Scenario:
    b = _start("cert-downloaded", 60, **{"media.downloaded": True})
    b.play().wait(60, 50)
    if ok:
        b.session_complete()
    else:
        b.session_end()
    return b.build(f"cert-downloaded{'' if ok else '-broken'}", "Downloaded content",
                   "clean" if ok else "The offline session is ended, never completed.")


_BUILDERS = {
    "test1-standard-playback": _standard,
    "test2-media-interruption": _interruption,
    "vod-no-ads": _vod_no_ads,
    "vod-preroll-ads": _vod_preroll,
    "vod-midroll-ads": _vod_midroll,
    "vod-postroll-ads": _vod_postroll,
    "vod-skipped-ad": _vod_skipped,
    "vod-chapters": _vod_chapters,
    "live-main-content": _live,
    "live-with-ads": _live_ads,
    "buffering": _buffering,
    "pause": _pause,
    "bitrate-change": _bitrate,
    "error": _error,
    "player-states": _states,
    "downloaded-content": _downloaded,
}

# checklist name -> (the playback done right, the playback done wrong)
CERTIFICATION: dict[str, tuple[Scenario, Scenario]] = {
    name: (build(True), build(False)) for name, build in _BUILDERS.items()}

# every one of them by its scenario name, as `playhead simulate --scenario` takes them
BY_NAME: dict[str, Scenario] = {s.name: s for pair in CERTIFICATION.values() for s in pair}
