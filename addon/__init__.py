"""playhead: live QA for Adobe Media Collection API traffic.

The headless half lives here (core engine, readers and writers, mitmproxy addon, simulator, CLI);
the dashboard is `playhead.tui`, the JSON Schemas are `playhead.schemas`.
"""

__version__ = "0.1.0"
