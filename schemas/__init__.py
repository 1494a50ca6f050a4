"""playhead's JSON Schemas (data): one Draft 2020-12 file per Media Collection API event type plus
the shared `defs.json`. Shipped as package data and read by `playhead.core.schemas`."""
