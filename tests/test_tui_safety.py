"""Strings from the wire are shown literally: Rich markup in a payload stays text, terminal control
characters show as visible escapes, and nothing a device sends can style or link the screen."""

from __future__ import annotations

import asyncio
import json

from playhead.core.call import Call
from playhead.core.tracker import Tracker
from playhead.tui.app import Dashboard
from playhead.tui.screens.detail import CallDetail
from playhead.tui.widgets.status import Origin

START = 1764115200000
HOST = "https://evil.hb-api.omtrdc.net"
SID = "[bold red]sid\x1b[7m"  # a sid is one path segment: no slash
LINK = "[link=https://evil.example]click me[/link]"
ANSI_NAME = "\x1b[31mRED\x1b[0m\x07 [bold red]boom[/] \u202eodd"
EVENT = "[blink]resume[/blink]"
HEADER = "\x1b]8;;https://evil.example\x1b\\osc-link\x1b]8;;\x1b\\"
CONTROL = ("\x1b", "\x07", "\u202e", "\x9b")


def hostile_calls() -> list[Call]:
    start = {
        "playerTime": {"playhead": 0, "ts": START},
        "eventType": "sessionStart",
        "params": {
            "analytics.trackingServer": "t", "analytics.reportSuite": "r",
            "visitor.marketingCloudOrgId": "o", "media.id": "\x1b[31mRED", "media.name": LINK,
            "media.contentType": "[on red]vod[/]", "media.playerName": "p", "media.channel": "c",
            "media.length": 60,
        },
        "customMetadata": {"[b]k": "\x1b[5mblink", "note": ANSI_NAME},
    }
    event = {"playerTime": {"playhead": 1, "ts": START + 1000}, "eventType": EVENT}
    headers = (("Content-Type", "application/json"), ("X-Note", HEADER))
    return [
        Call("POST", f"{HOST}/api/v1/sessions", json.dumps(start).encode(), 201, headers,
             (("Location", f"/api/v1/sessions/{SID}"),), b"[reverse]created[/reverse]", START / 1000),
        Call("POST", f"{HOST}/api/v1/sessions/{SID}/events", json.dumps(event).encode(), 204, headers,
             (), b"", START / 1000 + 1),
    ]


def screen(app: Dashboard):
    return app.screen._compositor.render_strips()


def assert_inert(app: Dashboard) -> str:
    """No control character reaches the terminal, and no wire text carries a link or a style
    that only markup could have given it."""
    strips = screen(app)
    text = "\n".join(strip.text for strip in strips)
    for ch in CONTROL:
        assert ch not in text, repr(ch)
    for strip in strips:
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            assert not style.link, segment
            assert not style.blink, segment
    return text


def test_markup_and_control_characters_from_the_wire_are_shown_literally():
    tracker = Tracker()
    tracker.feed_all(hostile_calls())
    tracker.finish()
    app = Dashboard(tracker, Origin("view", files=("[red]capture[on red].har",)), clock=lambda: START / 1000 + 5)

    async def run() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            main = assert_inert(app)
            assert "[red]capture[on red].har" in main  # a file name is user input too
            assert "[bold r" in main  # the sid, cut to 8 characters, markup and all
            assert "[link=https://evil" in main  # the media name in the table
            assert "\\x1b[31mRED" in main  # the media id: the escape shows, it does not colour
            assert "[blink]resume[/blink]" in main  # the finding message quotes the event type

            app.timeline.focus()
            await pilot.press("home", "enter")
            await pilot.pause()
            assert isinstance(app.screen, CallDetail)
            detail = assert_inert(app)
            assert LINK in detail
            assert "[bold red]boom[/]" in detail and "\\u202eodd" in detail
            assert "\\x1b]8;;https://evil.example\\x1b\\osc-link" in detail  # the OSC 8 hyperlink, inert
            assert '"[b]k": "\\u001b[5mblink"' in detail  # JSON's own escape for ESC in a string
            await pilot.press("end")  # the response, below the findings' impact and fix
            await pilot.wait_for_scheduled_animations()  # the scroll is animated
            await pilot.pause()
            assert "[reverse]created[/reverse]" in assert_inert(app)

    asyncio.run(run())
