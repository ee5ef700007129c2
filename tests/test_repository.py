"""The repository keeps its promises: pinned versions agree, and .ci/run is the README's command."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def locked_versions():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_pyproject_pins_agree_with_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = locked_versions()
    for group, requirements in project["optional-dependencies"].items():
        for requirement in requirements:
            name, version = requirement.split("==")
            name = re.sub(r"[-_.]+", "-", name).lower()
            assert locked.get(name) == version, (
                f"pyproject.toml [{group}] pins {requirement}, but requirements.lock has "
                f"{name}=={locked.get(name)}: change both together")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    test_command = [line.split("#")[0].strip() for line in commands.splitlines() if "test" in line][0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] \
        == [test_command], ".ci/run may only run what the README tells a user"
