"""playhead as a plain mitmproxy script:
`mitmdump --listen-host 127.0.0.1 -s "$(playhead proxy --script-path)"` (mitmproxy itself listens
on all interfaces unless told otherwise).

mitmproxy loads this file by path, outside the package, so the import is absolute: it needs
playhead installed in the same Python environment as mitmproxy (installing playhead installs
mitmproxy as a dependency, so its `mitmdump` is the one to use). Options are set with
`--set playhead_sink=true`, `--set playhead_report=run.json` and so on; findings are logged
through mitmproxy's log and written onto the flows.
"""

from playhead.proxy.addon import PlayheadAddon

addons = [PlayheadAddon()]
