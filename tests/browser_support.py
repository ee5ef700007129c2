"""What the browser tests share: Debian's Chromium, the flags it runs headless with, and a way to
run it with no network at all."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_chromium(hint: str) -> None:
    """Fail the test (not an error in a fixture's code) when Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium, or {hint}", pytrace=False)


# -- Chromium without a network ---------------------------------------------------------------
#
# `unshare --net` starts a process in a new network namespace, which has one interface, the
# loopback, and no route anywhere else: whatever a page asks of the internet fails at once, as it
# does for a reader without a network. Root can do this directly; another user does it inside a
# new user namespace (where it is root), if the kernel allows unprivileged user namespaces.

def unshare_command() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--net"]
    return ["unshare", "--user", "--map-root-user", "--net"]


def require_network_namespace(hint: str) -> list[str]:
    """Check that a new network namespace can be made here and holds only the loopback, up.
    Returns the namespace's interfaces as `ip -o link` lists them; fails the test otherwise."""
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            pytest.fail(f"`{tool}` is missing (Debian package {package}): {hint}", pytrace=False)
    probe = subprocess.run([*unshare_command(), "sh", "-c", "ip link set lo up && ip -o link show"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.fail(f"cannot run a program in a new network namespace "
                    f"({shlex.join(unshare_command())} failed: {probe.stderr.strip()}); run the "
                    "test as root, or enable unprivileged user namespaces "
                    "(sysctl kernel.unprivileged_userns_clone=1)", pytrace=False)
    return probe.stdout.splitlines()


def offline_chromium(folder: Path) -> tuple[Path, Path]:
    """An executable that starts Chromium in a new network namespace with only the loopback up,
    for Playwright's ``executable_path``. Before Chromium starts, it writes its namespace's
    identity and interfaces to the returned report file, so a test can check where it ran."""
    launcher, report = folder / "chromium-offline", folder / "chromium-offline.namespace"
    launcher.write_text(f"""#!/bin/sh
# Chromium with no network: a new network namespace holding only the loopback interface.
if [ -z "$ANSEDU_OFFLINE_NAMESPACE" ]; then
    ANSEDU_OFFLINE_NAMESPACE=1 exec {shlex.join(unshare_command())} -- "$0" "$@"
fi
ip link set lo up || exit 1
{{ readlink /proc/self/ns/net; ip -o link show; }} > {shlex.quote(str(report))} || exit 1
exec {shlex.quote(str(CHROMIUM))} "$@"
""")
    launcher.chmod(0o755)
    return launcher, report


def interface_names(ip_link_lines: list[str]) -> list[str]:
    """Interface names from `ip -o link show` lines ("1: lo: <LOOPBACK,UP,...> ...")."""
    return [line.split(":")[1].strip().split("@")[0] for line in ip_link_lines if line.strip()]
