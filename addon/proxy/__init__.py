"""The mitmproxy side of playhead: the addon (flows -> calls, options, sink answers, flow marking),
the runner that embeds mitmproxy in playhead's own process, and the script for plain mitmdump.

Importing this package does not import mitmproxy; its modules do.
"""

from pathlib import Path


def script_path() -> Path:
    """The file to hand to `mitmdump -s` / `mitmproxy -s` (printed by `playhead proxy --script-path`)."""
    return Path(__file__).resolve().with_name("mitm_script.py")
