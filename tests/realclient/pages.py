"""A mitmproxy addon that serves the real-client scenario pages, so Chromium runs alloy offline.

Loaded by path (`mitmdump -s tests/realclient/pages.py`). For the page host only, it answers
`/<scenario>.html` and `/player.js` from `pages/`, and `/alloy.js` from the npm package
(`node_modules/@adobe/alloy/dist/alloy.js`, installed by `npm ci`, never copied into the repo).
The page is https: alloy writes its identity cookie `SameSite=None`, hence `Secure`.
Any other host but the Edge host is answered 403 here, so nothing leaves the machine (Chromium's
own background calls included); the Edge host is left to whoever answers Edge after this addon.
"""

from __future__ import annotations

import re
from pathlib import Path

from mitmproxy import http

PAGE_HOST = "page.test"
EDGE_HOST = "edge.test"  # the pages configure alloy with edgeDomain: "edge.test"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ALLOY_JS = ROOT / "node_modules" / "@adobe" / "alloy" / "dist" / "alloy.js"
_NAME = re.compile(r"^/([a-z0-9-]+\.(?:html|js))$")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def page_file(path: str) -> Path | None:
    """The file a page-host path names, or None: only plain names, never a way out of pages/."""
    m = _NAME.match(path.split("?", 1)[0])
    if m is None:
        return None
    if m.group(1) == "alloy.js":
        return ALLOY_JS
    candidate = HERE / "pages" / m.group(1)
    return candidate if candidate.is_file() else None


class Pages:
    def request(self, flow: http.HTTPFlow) -> None:
        host = flow.request.pretty_host
        if flow.response is not None or host == EDGE_HOST:
            return
        if host != PAGE_HOST:
            flow.response = http.Response.make(403, b"the real-client harness lets nothing leave the machine",
                                               {"content-type": "text/plain"})
            return
        found = page_file(flow.request.path)
        if found is None:
            flow.response = http.Response.make(404, b"not found", {"content-type": "text/plain"})
            return
        flow.response = http.Response.make(200, found.read_bytes(), {
            "content-type": _TYPES[found.suffix], "cache-control": "no-store"})


addons = [Pages()]
