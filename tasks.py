#!/usr/bin/env python3
"""The course's commands; the first two set themselves up on a fresh machine.

    python3 tasks.py book    build the book into _build/html
    python3 tasks.py test    run every test (library, book, problem sets, browser)

Both create a virtual environment in .venv with the exact versions pinned in
requirements.lock (re-created whenever that file or pyproject.toml changes) and
install the ansedu package into it in editable mode.

For instructors (standard library only, no .venv needed; book: Instructor guide):

    python3 tasks.py student-edition DEST    export the last commit without the
        instructor-only files (solutions, their tests, roster, grades) into the new
        folder DEST, as a git repository ready to push
    python3 tasks.py check-permissions [COURSE]    list what others on this machine
        could read or change in the course directory (default: this one)

For a JupyterHub (as root; book: Instructor guide, "Many students on a JupyterHub"):

    python3 tasks.py hub-setup    install the hub's environment (/opt/ansedu-hub) and its
        proxy (deploy/jupyterhub/node_modules); then see deploy/jupyterhub/README.md
    python3 tasks.py hub-test     that, then the hub's end-to-end test (part of `test`)
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
BACKGROUND_LOGS = ROOT / "_build" / "logs"  # output of the parts of `test` that run beside the rest
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


def status(*args: str | Path, **kwargs) -> int:
    """Like run, but return the exit status instead of stopping."""
    try:
        run(*args, **kwargs)
    except SystemExit as stop:
        return stop.code or 0
    return 0


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


def build_book(clean: bool = True) -> None:
    """A clean, strict build: every chapter executed, every warning an error."""
    say("Building the book into _build/html (every chapter is executed)")
    if clean:
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
    # Three parts run side by side, as the machine has two cores and each part waits a lot: the
    # JupyterHub test (root, a set-up of its own; it mostly waits for servers), the problem sets and
    # the instructor guide through nbgrader (they need no built book), and the book build followed
    # by every other test.
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    hub = start_hub_test()
    beside = [ROOT / "tests" / "test_problem_sets.py", ROOT / "tests" / "test_instructor_guide.py"]
    sets = start_background("the problem sets' and instructor guide's tests", "problem-sets.log",
                            [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider", *map(str, beside)])
    try:
        build_book(clean=False)
        say("Running the tests (all but those of the problem sets, the instructor guide and the hub, "
            "which run beside)")
        code = status(BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "tests",
                      *(arg for path in beside for arg in ("--ignore", path)))
    finally:
        sets_code = finish_background("the problem sets' and instructor guide's tests", sets)
        hub_code = finish_hub_test(hub)
    failed = [what for what, c in (("the tests", code), ("the problem sets' and guide's tests", sets_code),
                                   ("the JupyterHub test", hub_code)) if c]
    if failed:
        sys.exit(f"FAILED: {' and '.join(failed)} (see above)")


def start_background(what: str, log_name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
    """Start ``command`` beside the rest, its output going to _build/logs/LOG_NAME."""
    BACKGROUND_LOGS.mkdir(parents=True, exist_ok=True)
    log = (BACKGROUND_LOGS / log_name).open("w")
    say(f"Starting {what} in the background (output: {BACKGROUND_LOGS / log_name})")
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   "VIRTUAL_ENV": str(VENV), "PYDEVD_DISABLE_FILE_VALIDATION": "1", **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=environment)
    process.log_path = BACKGROUND_LOGS / log_name
    return process


def finish_background(what: str, process: subprocess.Popen) -> int:
    """Wait for a background part, print its output and return its exit status."""
    say(f"Waiting for {what}")
    try:
        code = process.wait()
    except KeyboardInterrupt:  # let it clean up (the hub test removes its accounts)
        process.send_signal(2)
        code = process.wait()
    print(process.log_path.read_text(errors="replace"), flush=True)
    print(f"{what}: {'passed' if code == 0 else f'FAILED (exit status {code})'}", flush=True)
    return code


# --------------------------------------------------------------------------------------------
# Instructor commands: standard library only, so that they run without .venv (book: Instructor
# guide, "Keep the solutions private").
# --------------------------------------------------------------------------------------------

# Never part of the student edition (fnmatch patterns on paths relative to the repository root;
# "*" also matches "/"). Besides what git ignores anyway, they cover files forced into git.
INSTRUCTOR_ONLY = (
    "solutions/*",                     # nbgrader sources: solutions, hidden tests, answer keys
    "*answer_key*",                    # an answer key anywhere else (e.g. a generated copy)
    "tests/problem_set_cases/*",       # near-solutions, each with one typical mistake
    "tests/test_problem_sets.py",      # grades the sources; holds hidden-test examples
    "tests/test_instructor_guide.py",  # runs the instructor guide on the sources
    "CONTRIBUTING.md",                 # how solutions and hidden tests are written
    "*students*.csv",                  # the roster: names and e-mail addresses
    "*grades*.csv",                    # exported grades
    "*gradebook.db*",
    "submitted/*", "autograded/*", "feedback/*", "downloaded/*", "release/*", "exchange/*",
    ".nbgrader/*", ".nbgrader.log",
)
# Text that only an nbgrader source holds: a student edition that contains it is not exported.
# (Put together here so that this file, which is exported, does not hold the markers itself.)
SOURCE_MARKERS = tuple(f"{edge} {what}" for edge in ("BEGIN", "END")
                       for what in ("SOLUTION", "HIDDEN TESTS"))
STUDENT_EDITION_NOTE = """\
> **Student edition.** This is the student edition of ansedu: the book, the library, the problem
> sets and their visible tests. The instructors' files (solutions, hidden tests, answer keys, the
> tests that grade them, and CONTRIBUTING.md, which describes them) are not part of it, so what
> the sections below say about them does not apply here.

"""


def is_instructor_only(path: str) -> bool:
    from fnmatch import fnmatchcase
    return any(fnmatchcase(path, pattern) for pattern in INSTRUCTOR_ONLY)


def git(root: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, **kwargs)


def export_student_edition(dest: Path, root: Path = ROOT) -> list[str]:
    """Write the last commit of `root` minus INSTRUCTOR_ONLY into the new folder `dest`, as a git
    repository with one commit; return the paths left out. Raises SystemExit with a message on
    bad input (nothing is written then) or when the export would hold a source marker (the
    export is removed again)."""
    import io
    import tarfile

    dest, root = Path(dest).resolve(), Path(root).resolve()
    if git(root, "rev-parse", "--verify", "HEAD").returncode != 0:
        raise SystemExit(f"{root} is not a git repository with a commit: the student edition is "
                         "exported from the last commit")
    if dest == root or root in dest.parents:
        raise SystemExit(f"{dest} is inside the repository {root}: choose a folder outside it")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise SystemExit(f"{dest} already exists and is not an empty folder: the student edition "
                         "goes into a new folder (remove the old export first)")
    archive = git(root, "archive", "--format=tar", "HEAD", check=True).stdout
    left_out, written = [], []
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                if member.isdir() or member.name == "pax_global_header":
                    continue
                if is_instructor_only(member.name):
                    left_out.append(member.name)
                    continue
                tar.extract(member, dest, filter="data")
                written.append(member.name)
        readme = dest / "README.md"
        if readme.exists():
            readme.write_text(STUDENT_EDITION_NOTE + readme.read_text())
        leaks = [f"{name}: {marker}" for name in written
                 for marker in SOURCE_MARKERS
                 if marker.encode() in (dest / name).read_bytes()]
        if leaks:
            raise SystemExit("The student edition would contain nbgrader source markers (solutions "
                             "or hidden tests); nothing was exported. Move these files to an "
                             "instructor-only place (solutions/) or add them to INSTRUCTOR_ONLY "
                             "in tasks.py:\n  " + "\n  ".join(leaks))
        head = git(root, "rev-parse", "--short", "HEAD", text=True).stdout.strip()
        identity = [] if git(root, "config", "user.email").returncode == 0 else [
            "-c", "user.name=ansedu student edition", "-c", "user.email=student-edition@invalid"]
        for args in (["init", "--quiet", "--initial-branch=main"], ["add", "--all"],
                     [*identity, "commit", "--quiet", "-m", f"ansedu student edition (from {head})"]):
            git(dest, *args, check=True)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return left_out


def student_edition(args: list[str]) -> int:
    if len(args) != 1:
        sys.exit("usage: python3 tasks.py student-edition DEST   (DEST: a new folder)")
    if git(ROOT, "status", "--porcelain", "--untracked-files=no", text=True).stdout.strip():
        print("Note: the repository has uncommitted changes; the student edition holds the last "
              "commit only.")
    dest = Path(args[0]).resolve()
    left_out = export_student_edition(dest)
    print(f"The student edition is in {dest} (a git repository with one commit on branch main).")
    print(f"Left out ({len(left_out)} instructor-only files):")
    for name in left_out:
        print(f"  {name}")
    print("Publish it, for example:\n"
          f"  cd {dest} && git remote add origin <address> && git push -u origin main")
    return 0


# What others may never read or change in a course directory: the course folder itself and
# these (recursively; fnmatch patterns relative to it).
PRIVATE_IN_COURSE = ("solutions", "gradebook.db*", "*grades*.csv", "*students*.csv", "submitted",
                     "autograded", "feedback", "downloaded", ".nbgrader", ".nbgrader.log")


def permission_problems(course: Path) -> list[str]:
    """Everything in `course` that users other than its owner could read, change or enter: the
    folder itself and PRIVATE_IN_COURSE, with group or other permission bits set."""
    import stat

    def problem(path: Path) -> str | None:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not mode & 0o077:
            return None
        who = []
        for shift, name in ((3, "its group"), (0, "everyone")):
            bits = (mode >> shift) & 0o7
            what = [w for w, b in (("read", 4), ("write", 2), ("enter" if path.is_dir() else "run", 1))
                    if bits & b]
            if what:
                who.append(f"{name} may {'/'.join(what)}")
        kind = "folder" if path.is_dir() else "file"
        return f"{path} ({kind}, {stat.filemode(mode)}): {', '.join(who)}"

    course = Path(course).absolute()
    if not course.is_dir():
        raise SystemExit(f"{course} is not a folder")
    found = [problem(course)]
    for child in sorted(course.iterdir()):
        if any(Path(child.name).match(pattern) for pattern in PRIVATE_IN_COURSE):
            found.append(problem(child))
            if child.is_dir() and not child.is_symlink():
                found += [problem(p) for p in sorted(child.rglob("*"))]
    return [f for f in found if f]


def check_permissions(args: list[str]) -> int:
    if len(args) > 1:
        sys.exit("usage: python3 tasks.py check-permissions [COURSE]   (default: this folder)")
    course = Path(args[0] if args else ROOT).absolute()
    problems = permission_problems(course)
    umask = os.umask(0)
    os.umask(umask)
    if umask & 0o077 != 0o077:
        print(f"Note: your umask is {umask:03o}, so files you create are readable by others "
              "unless they are in a private folder; `umask 077` (in ~/.bashrc) makes them private.")
    if not problems:
        print(f"OK: nobody but the owner can read, change or enter {course} and the private "
              f"files in it ({', '.join(PRIVATE_IN_COURSE)}).")
        return 0
    print(f"Others can reach {len(problems)} private item(s) of the course directory {course}:")
    for line in problems[:50]:
        print(f"  {line}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")
    print(f"Fix: chmod -R go-rwx {course}")
    return 1


# --------------------------------------------------------------------------------------------
# The course on a JupyterHub (book: Instructor guide, "Many students on a JupyterHub").
# --------------------------------------------------------------------------------------------

HUB_DIR = ROOT / "deploy" / "jupyterhub"
# The environment every hub user's server runs in. The user servers run as the students' and
# instructors' Unix users, so it must be readable by everyone: built from Debian's
# /usr/bin/python3 (the default Python may live under /root, which other users cannot enter).
HUB_ENV = Path(os.environ.get("ANSEDU_HUB_ENV", "/opt/ansedu-hub"))
HUB_PYTHON = os.environ.get("ANSEDU_HUB_PYTHON", "/usr/bin/python3")


def hub_setup() -> None:
    """Install what deploy/jupyterhub needs (as root): the environment HUB_ENV (the pinned
    packages of requirements.lock, jupyterhub among them, and ansedu), world-readable; and the
    proxy configurable-http-proxy from npm (pinned in deploy/jupyterhub/package-lock.json) into
    deploy/jupyterhub/node_modules. Does nothing when both are up to date."""
    if os.geteuid() != 0:
        sys.exit(f"The hub set-up installs into {HUB_ENV} and needs root (sudo python3 tasks.py hub-setup)")
    if shutil.which("npm") is None:
        apt_install("nodejs", "npm", reason="npm (to install the hub's proxy)")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if tuple(int(part) for part in node.lstrip("v").split(".")[:1] if part.isdigit()) < (20,):
        sys.exit(f"The hub's proxy (configurable-http-proxy 5) needs Node.js 20 or newer; `node --version` "
                 f"says {node or 'nothing'}. Install a newer Node.js (e.g. from nodejs.org or NodeSource), "
                 "then run this again.")
    lock = HUB_DIR / "package-lock.json"
    installed = HUB_DIR / "node_modules" / ".package-lock.json"  # written by npm ci
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        say("Installing the hub's proxy (configurable-http-proxy, pinned in deploy/jupyterhub)")
        run("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=HUB_DIR)
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    digest.update(HUB_PYTHON.encode())
    for path in sorted((ROOT / "ansedu").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    stamp = HUB_ENV / ".ansedu-installed"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    say(f"Creating the hub's environment {HUB_ENV} (for every user's server; a few minutes)")
    if HUB_ENV.exists():
        shutil.rmtree(HUB_ENV)
    old_umask = os.umask(0o022)  # everything in it readable by every user
    try:
        pip = [HUB_ENV / "bin" / "python", "-m", "pip", "--quiet", "--disable-pip-version-check"]
        run(HUB_PYTHON, "-m", "venv", HUB_ENV)
        run(*pip, "install", "-r", ROOT / "requirements.lock")
        # A copy, not an editable install: users cannot read the instructor's clone.
        run(*pip, "install", "--no-deps", "--no-build-isolation", ROOT)
        run(*pip, "check")
    finally:
        os.umask(old_umask)
    stamp.write_text(digest.hexdigest())


HUB_OUTPUT = ROOT / "_build" / "hub"  # the hub test's screenshots


def hub_test() -> None:
    """The JupyterHub test (as root): the hub's set-up, then tests/test_jupyterhub.py."""
    try:
        ensure_browser_test_tools()  # a student and the instructor use the hub in Chromium
        hub_setup()
        say("Running the JupyterHub test (tests/test_jupyterhub.py)")
        run(BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s",
            ROOT / "tests" / "test_jupyterhub.py", env={"ANSEDU_HUB_TEST": "1"})
    finally:
        if "SUDO_UID" in os.environ:  # run through sudo: what it wrote in the clone goes back to the user
            owner = f"{os.environ['SUDO_UID']}:{os.environ.get('SUDO_GID', os.environ['SUDO_UID'])}"
            for path in (HUB_OUTPUT, HUB_DIR / "node_modules", ROOT / "build"):
                if path.exists():
                    subprocess.run(["chown", "-R", owner, str(path)])


def start_hub_test() -> subprocess.Popen:
    """Start `tasks.py hub-test` in the background, as root (directly, or through password-less
    sudo). Stops with a message when neither works."""
    command = [sys.executable, str(ROOT / "tasks.py"), "hub-test"]
    if os.geteuid() != 0:
        if shutil.which("sudo") is None or subprocess.run(
                ["sudo", "-n", "true"], capture_output=True).returncode != 0:
            sys.exit("The JupyterHub test (tests/test_jupyterhub.py) creates Unix users and starts a hub "
                     "on 127.0.0.1, so it needs root: run `sudo python3 tasks.py test`, or give this "
                     "user password-less sudo (the test then runs only its own part as root).")
        command = ["sudo", "-n", "--preserve-env=PATH", *command]
    return start_background("the JupyterHub test", "hub-test.log", command, env={"PYTHONDONTWRITEBYTECODE": "1"})


def finish_hub_test(process: subprocess.Popen) -> int:
    code = finish_background("the JupyterHub test", process)
    print(f"(the hub test's screenshots are in {HUB_OUTPUT})", flush=True)
    return code


INSTRUCTOR_COMMANDS = {"student-edition": student_edition, "check-permissions": check_permissions}


COMMANDS = {"book": build_book, "test": test, "hub-setup": hub_setup, "hub-test": hub_test}


def main(argv: list[str]) -> None:
    if argv and argv[0] in INSTRUCTOR_COMMANDS:
        sys.exit(INSTRUCTOR_COMMANDS[argv[0]](argv[1:]))
    if len(argv) != 1 or argv[0] not in COMMANDS:
        sys.exit(__doc__)
    ensure_venv()
    COMMANDS[argv[0]]()


if __name__ == "__main__":
    main(sys.argv[1:])
