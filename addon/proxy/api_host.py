"""The automation API inside the proxy: the addon as the API's `Source`, and the magic host.

`http://playhead.api/` is answered by mitmproxy's own app hosting (`asgiapp`, the way it serves
http://mitm.it) before anything goes upstream; `--api-port` serves the same app on loopback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mitmproxy.addons.asgiapp import ASGIApp

from ..api.serve import HOST, PooledWsgi
from ..checklists import ChecklistWatch

if TYPE_CHECKING:
    from .addon import PlayheadAddon


class AddonSource:
    """The running addon as the API reads it. The checklists watch follows the addon's tracker
    (under `mitmdump -s` the addon builds a new one when its options change)."""

    def __init__(self, addon: PlayheadAddon) -> None:
        self.addon = addon
        self._watch: ChecklistWatch | None = None
        self._watching: tuple[object, object] = (None, None)  # the tracker and checklist list it was built for

    @property
    def tracker(self):
        return self.addon.tracker

    @property
    def watch(self) -> ChecklistWatch:
        addon = self.addon
        if self._watch is None or self._watching != (addon.tracker, addon.checklists):
            self._watch = ChecklistWatch(addon.tracker, addon.checklists)
            self._watching = (addon.tracker, addon.checklists)
        return self._watch

    def setup(self) -> dict[str, Any]:
        addon = self.addon
        recording = addon.recording
        return {"listen": addon.listen, "mode": "sink" if addon.sink is not None else "forward",
                "recording": recording.path if recording is not None else None,
                "api_port": addon.api_server.address[1] if addon.api_server is not None else None}

    def reset(self) -> None:
        self.addon.reset()


class ApiHost(ASGIApp):
    """Answers http://playhead.api/ (any port) through the proxy while `playhead_api` is on."""

    def __init__(self, app) -> None:
        super().__init__(PooledWsgi(app), HOST, None)
        self.enabled = True

    def should_serve(self, flow) -> bool:
        return self.enabled and super().should_serve(flow)
