"""The engine: calls in, sessions and findings out. Pure Python: no mitmproxy, no textual."""
