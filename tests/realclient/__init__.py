"""Adobe's Web SDK (alloy) as a real client: pages, the proxy addons that serve them, the harness.

The harness runs Debian's Chromium headless through `mitmdump -s pages.py -s <playhead's script>`;
nothing leaves the machine (SPEC §15, `../shared/reference/alloy-wire.md`).
"""
