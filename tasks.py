#!/usr/bin/env python3
"""The course's two commands; each sets itself up on a fresh machine.

    python3 tasks.py book    build the book into _build/html
    python3 tasks.py test    run every test (library, book, problem sets, browser)

Both create a virtual environment in .venv with the exact versions pinned in
requirements.lock (re-created whenever that file or pyproject.toml changes) and
install the ansedu package into it in editable mode.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".ansedu-installed"
# The oldest Python the course supports, as README.md and pyproject.toml's requires-python say;
# every version in requirements.lock installs on it (tests/test_install_floor.py checks both).
PYTHON_FLOOR = (3, 11)


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    """Run a command with the virtual environment first on PATH; stop on failure."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.update(kwargs.pop("env", {}))
    result = subprocess.run([str(a) for a in args], cwd=kwargs.pop("cwd", ROOT), env=env, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def requirements_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv() -> None:
    """Create .venv with the pinned packages, unless it is already up to date."""
    if sys.version_info[:2] < PYTHON_FLOOR:
        sys.exit(f"ansedu needs Python {'.'.join(map(str, PYTHON_FLOOR))} or newer; "
                 f"this is {sys.version.split()[0]} ({sys.executable})")
    fingerprint = requirements_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    say("Creating the virtual environment .venv with the pinned packages (about a minute)")
    if VENV.exists():
        shutil.rmtree(VENV)
    run(sys.executable, "-m", "venv", VENV)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.lock")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--no-deps",
        "--no-build-isolation", "-e", ROOT)
    STAMP.write_text(fingerprint)


def build_book() -> None:
    """A clean, strict build: every chapter executed, every warning an error."""
    say("Building the book into _build/html (every chapter is executed)")
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    run(BIN / "jupyter-book", "build", ROOT / "book", "--all", "-W", "--keep-going",
        "--path-output", ROOT)
    print(f"\nThe book is ready: open {ROOT / '_build' / 'html' / 'index.html'}")


CHROMIUM = Path("/usr/bin/chromium")


def apt_install(*packages: str, reason: str) -> None:
    """Install Debian packages as root, or stop and tell the user what to install."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(f"{reason} is missing. Install it, e.g. `sudo apt-get install {' '.join(packages)}` "
                 "on Debian or Ubuntu, then run `python3 tasks.py test` again.")
    say(f"Installing {reason} with apt-get ({' '.join(packages)})")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", env=env)
    run("apt-get", "install", "-y", "--no-install-recommends", *packages, env=env)


def ensure_browser_test_tools() -> None:
    """What the browser tests need besides .venv: Debian's Chromium, and `unshare` and `ip` to
    run it in a network namespace with only the loopback (tests/test_book_browser.py reads the
    book with no network, so the book must carry its own scripts)."""
    if not CHROMIUM.exists():
        apt_install("chromium", reason=f"Chromium ({CHROMIUM}, for the browser test)")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        apt_install("util-linux", "iproute2",
                    reason="unshare or ip (to cut the browser test off the network)")


def test() -> None:
    ensure_browser_test_tools()
    build_book()
    say("Running the tests")
    run(BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "tests")


COMMANDS = {"book": build_book, "test": test}


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        sys.exit(__doc__)
    ensure_venv()
    COMMANDS[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
