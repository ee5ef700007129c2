"""The pinned environment installs on every Python the README promises, down to the oldest.

README.md, pyproject.toml (``requires-python``) and tasks.py (``PYTHON_FLOOR``) promise Python
3.11, so requirements.lock must install on 3.11.0, and on Debian 12's /usr/bin/python3 (3.11.2).
A pin whose Requires-Python is higher (soupsieve 3.0 and later need 3.11.5) makes pip stop
with "No matching distribution found" on those machines.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import tasks  # noqa: E402 (the repository root is not on the path by default)

FLOOR = ".".join(map(str, tasks.PYTHON_FLOOR)) + ".0"  # the oldest release of the promised line
# pip installs these build tools when a package asks for them (nbgrader needs setuptools,
# sphinx-togglebutton both); pip freeze leaves them out, so the lock does not pin them.
UNPINNED_BUILD_TOOLS = {"setuptools", "wheel"}


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_the_floor_is_the_same_everywhere():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={'.'.join(map(str, tasks.PYTHON_FLOOR))}", (
        f"pyproject.toml requires-python is {requires!r}, but tasks.py checks for "
        f"{tasks.PYTHON_FLOOR}: say the same floor in both")
    readme = (ROOT / "README.md").read_text()
    promised = re.findall(r"Python (\d+\.\d+) or newer", readme)
    assert promised and set(promised) == {".".join(map(str, tasks.PYTHON_FLOOR))}, (
        f"README.md promises Python {promised or 'nothing'} 'or newer'; tasks.py's floor is "
        f"{tasks.PYTHON_FLOOR}")


def test_every_pinned_package_accepts_the_floor():
    """Offline, from the metadata of the packages installed from the lock."""
    refused = []
    for name, version in locked().items():
        try:
            installed = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise AssertionError(f"{name}=={version} is in requirements.lock but not installed: "
                                 "run `python3 tasks.py test`, which installs the lock") from None
        assert installed.version == version, (
            f"{name} {installed.version} is installed, but requirements.lock pins {version}: "
            "run `python3 tasks.py test`, which reinstalls the lock")
        requires = installed.metadata["Requires-Python"]
        if requires and not SpecifierSet(requires).contains(FLOOR):
            refused.append(f"{name}=={version} (Requires-Python {requires})")
    assert not refused, (f"on Python {FLOOR} pip refuses: {', '.join(refused)}; pin versions that "
                         "accept it, or raise the floor in tasks.py, pyproject.toml and README.md")


def test_pip_resolves_the_lock_for_the_floor(tmp_path):
    """pip's own resolution of the whole lock for Python 3.11.0, without installing anything:
    every pin and every dependency found, as wheels, with no version refused or missing. It
    asks the package index (as installing the lock does); about 20 s."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", "--only-binary=:all:", "--python-version", FLOOR,
         "--target", tmp_path / "target", "--report", report, "-r", ROOT / "requirements.lock"],
        capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stderr.splitlines()
              if not line.startswith("WARNING: Location")]  # this machine's pip.conf: harmless
    assert result.returncode == 0, (
        f"requirements.lock does not install on Python {FLOOR} (pip exited {result.returncode}; "
        "if it could not reach the package index, run the test with a network):\n"
        + "\n".join(errors[-15:]))
    resolved = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    pins = locked()
    assert {n: v for n, v in resolved.items() if n not in UNPINNED_BUILD_TOOLS} == pins, (
        "pip's resolution differs from the lock: "
        f"not pinned {sorted(set(resolved) - set(pins) - UNPINNED_BUILD_TOOLS)}, "
        f"changed {sorted(n for n in pins if n in resolved and resolved[n] != pins[n])}, "
        f"missing {sorted(set(pins) - set(resolved))}")
