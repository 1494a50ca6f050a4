"""The automation API (SPEC §12): a JSON API on the running proxy, for device-test automation.

`app.make_app(source)` builds the Flask app; the proxy serves it on the magic host
`http://playhead.api/` through mitmproxy's own app hosting and, with `--api-port`, on loopback
(`serve.py`). It never touches mitmproxy itself: it reads a tracker, as the dashboard does.
"""
