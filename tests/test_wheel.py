"""The schemas (and the built-in checklists, and the pytest plugin's entry point) travel inside the
wheel, and an installed (non-editable) playhead finds them.

The editable install the tests normally run against reads schemas/ straight from the work tree,
so a missing package-data entry would go unnoticed until a user ran `pip install .`. This test
builds the real wheel, installs it into a fresh venv and loads the schemas from there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import referencing

from playhead.core.schemas import EVENT_TYPES

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "addon", "tui", "schemas")

PROBE = """
import importlib.resources, json
import playhead.core.schemas as module
from playhead.core.schemas import SchemaSet
schemas = SchemaSet.load()
start = {"playerTime": {"playhead": 0, "ts": 1764115230000}, "eventType": "sessionStart",
         "params": {"analytics.trackingServer": "t", "analytics.reportSuite": "r",
                    "visitor.marketingCloudOrgId": "o", "media.id": "i", "media.contentType": "vod",
                    "media.playerName": "p", "media.channel": "c", "media.length": 60}}
ping = {"playerTime": {"playhead": 0, "ts": 1764115230000}, "eventType": "ping",
        "qoeData": {"bitrate": 1}}
print(json.dumps({
    "module": module.__file__,
    "schemas": str(importlib.resources.files("playhead.schemas")),
    "start": [str(e) for e in schemas.validate("sessionStart", start)],
    "ping": [str(e) for e in schemas.validate("ping", ping)],
    "show": "media.show" in schemas.known_params("sessionStart"),
}))
"""


def run(args: list[str], cwd: Path, timeout: float) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_installed_wheel_finds_its_schemas(tmp_path):
    # Build from a copy so no build/ or egg-info lands in the shared work tree.
    source = tmp_path / "source"
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(origin, source / name)
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(source)]
    if importlib.util.find_spec("setuptools") is not None:
        build.insert(4, "--no-build-isolation")  # offline; otherwise pip fetches setuptools
    run(build, tmp_path, timeout=300)
    (wheel,) = wheels.glob("playhead-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {f"playhead/schemas/{name}.json" for name in (*EVENT_TYPES, "defs")}
    assert expected <= names, sorted(expected - names)
    assert "playhead/core/schemas.py" in names
    # every package of the tree ships (pyproject lists them by hand, mapped to other names)
    mapped = {"addon": "playhead", "tui": "playhead/tui", "schemas": "playhead/schemas"}
    for top, installed in mapped.items():
        for init in (REPO / top).rglob("__init__.py"):
            relative = init.relative_to(REPO / top).as_posix()
            assert f"{installed}/{relative}" in names, f"{top}/{relative} is not in the wheel"
    assert "playhead/tui/dashboard.tcss" in names
    builtin = {f"playhead/checklists/builtin/{p.name}" for p in (REPO / "addon/checklists/builtin").glob("*.json")}
    assert builtin and builtin <= names, sorted(builtin - names)
    with zipfile.ZipFile(wheel) as archive:  # the pytest plugin is found through its entry point
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
    assert "[pytest11]\nplayhead = playhead.pytest_plugin" in entry_points.decode()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path, timeout=180)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    tmp_path, timeout=60).strip())
    # The dependencies come from the test's own environment (no network); a .pth adds their
    # folder by path, which does not run the editable-install hook living there.
    dependency_dirs = {str(Path(m.__file__).resolve().parents[1]) for m in (jsonschema, referencing)}
    (site / "playhead-test-deps.pth").write_text("\n".join(sorted(dependency_dirs)) + "\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        tmp_path, timeout=180)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = json.loads(run([str(python), "-c", PROBE], elsewhere, timeout=120))
    module = Path(report["module"]).resolve()
    assert module.is_relative_to(venv.resolve()) and not module.is_relative_to(REPO)
    assert Path(report["schemas"]).resolve().is_relative_to(venv.resolve())
    assert report["start"] == []
    assert report["ping"] == ["$.qoeData.bitrate: unexpected key 'bitrate' (allowed: media.qoe.bitrate, "
                              "media.qoe.droppedFrames, media.qoe.framesPerSecond, media.qoe.timeToStart)"]
    assert report["show"] is True
    listing = run([str(venv / "bin" / "playhead"), "rules"], elsewhere, timeout=120)
    assert "ad-outside-break" in listing and "internal-error" in listing
    listing = run([str(venv / "bin" / "playhead"), "checklists"], elsewhere, timeout=120)
    assert "test1-standard-playback" in listing and "downloaded-content" in listing
