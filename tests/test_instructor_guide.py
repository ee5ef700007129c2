"""The instructor guide works as written, and the instructors' files stay private.

``test_instructor_guide_workflow`` runs every fenced block of book/instructor_guide.md in page
order, in a fresh clone of the repository (the tracked files as they are now, committed once):
``# instructor`` bash blocks in the clone, ``# student`` bash blocks in the home folder of the
hub student (the user running the tests), the roster block written to ``students.csv``, the ``# nbgrader_config.py``
block appended to the clone's configuration, and the site-wide configuration block (with a
temporary exchange) as every account's ``~/.jupyter/nbgrader_config.py``. The test plays the
parts the guide leaves to people: the hub student solves the problem set after fetching it; a made-up
learning-management-system export (``~/Downloads/ps1_information_huffman.zip``) holds the solved
hand-ins of ``dan`` (on time) and ``eve`` (after the due date); before the export another problem
set is added to the gradebook (released, not graded); and before the regrading block a visible
test of the source gets one more point and a comment. It then checks the grades exports, the
late penalty, the feedback the hub student fetches (and re-fetches after regrading), the student edition,
the permissions, and that every warning printed is one the guide explains.

The other tests check the commands behind the guide directly: ``tasks.py student-edition``
(on this repository and on small made-up ones), ``tasks.py check-permissions``, that
``solutions/answer_keys`` is no assignment, and the numbers in the answer key of the problem
sets' *Try it* questions (solutions/answer_keys/problem_sets.md), by running its code.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import tasks  # noqa: E402

GUIDE = ROOT / "book" / "instructor_guide.md"
SOLUTIONS = ROOT / "solutions"
ANSWER_KEY = SOLUTIONS / "answer_keys" / "problem_sets.md"
BIN = Path(sys.executable).parent  # the virtual environment's bin/, with nbgrader and alembic
ASSIGNMENT = "ps1_information_huffman"
NOT_YET_GRADED = "ps2_positional"
# nbgrader takes a student's id from the operating system's user name (not $USER), so the hub
# student is whoever runs the tests; the roster's ada and bob never submit.
HUB_STUDENT = pwd.getpwuid(os.getuid()).pw_name
ROSTER_ONLY = {"ada", "bob"}
LMS_HAND_INS = {"dan": "20301014T180500Z", "eve": "20301016T090000Z"}  # due 2030-10-14 21:59 UTC
LATE = {"eve"}

FENCE = re.compile(r"^(`{3,})(\S*)[ \t]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)

# Warnings of a normal run: (pattern in the output, text the guide's "What the warnings mean"
# must contain).
EXPLAINED_WARNINGS = [
    (r"Removing existing assignment", "Removing existing assignment"),
    (r"Attribute 'checksum' for cell \S+ has changed", "Attribute 'checksum' for cell"),
    (r"Attribute 'points' for cell \S+ has changed", "Attribute 'points' for cell"),
    (r"SAWarning: Object of type <\w+> not in session", "SAWarning"),
    (r"Kernel is running over TCP without encryption", "Kernel is running over TCP without encryption"),
    (r"is [0-9.]+ seconds late", "seconds late"),
    (r"Late submission penalty: ", "Late submission penalty"),
    (r"Directory not found\. Creating", "Directory not found. Creating"),
]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def run(args, cwd: Path, home: Path, user: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a command as `user` would: the virtual environment first on PATH, HOME and USER set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(home), USER=user,
               LOGNAME=user, VIRTUAL_ENV=str(BIN.parent), PYDEVD_DISABLE_FILE_VALIDATION="1")
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def guide_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of the page, in order."""
    return [(m.group(2), m.group(3)) for m in FENCE.finditer(text)]


def nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solved(source: Path, student_version: Path):
    """The student version with every answer cell filled in from the source (markers removed)."""
    nb = nbformat.read(student_version, as_version=4)
    answers = {nbmeta(c)["grade_id"]: c.source for c in nbformat.read(source, as_version=4).cells
               if nbmeta(c).get("solution")}
    for cell in nb.cells:
        if nbmeta(cell).get("solution"):
            cell.source = SOLUTION_MARKERS.sub("", answers[nbmeta(cell)["grade_id"]])
    return nb


def fresh_clone(dest: Path) -> Path:
    """The repository's tracked files as they are in the working tree, committed once in `dest`
    (a fresh clone of the current state, uncommitted edits included)."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git = ["git", "-C", str(dest), "-c", "user.name=Instructor", "-c", "user.email=i@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "course"]):
        subprocess.run(["git", "-C", str(dest), *args] if args[0] == "init" else git + args,
                       check=True, capture_output=True)
    return dest


def read_grades(path: Path) -> dict[str, dict]:
    rows = list(csv.DictReader(path.open()))
    return {r["student_id"]: r for r in rows}


def lines_of(name: str, text: str) -> set[str]:
    """The stripped lines of a file; of a notebook, those of its cells' sources and outputs."""
    if not name.endswith(".ipynb"):
        return {line.strip() for line in text.splitlines()}
    parts = []
    for cell in json.loads(text).get("cells", []):
        parts.append("".join(cell.get("source", "")))
        for out in cell.get("outputs", []):
            parts += ["".join(out.get("text", "")), *out.get("traceback", []),
                      *("".join(v) for v in out.get("data", {}).values() if isinstance(v, (str, list)))]
    return {line.strip() for part in parts for line in part.splitlines()}


def hidden_and_visible_lines(notebook: Path) -> tuple[set[str], set[str]]:
    """The stripped lines of a source notebook's hidden tests, and those of the rest of it."""
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells]
    hidden = {line.strip() for src in cells for block in HIDDEN.findall(src)
              for line in block.splitlines()}
    visible = {line.strip() for src in cells for line in HIDDEN.sub("", src).splitlines()}
    return hidden, visible


# --------------------------------------------------------------------------------------------
# The guide, as written
# --------------------------------------------------------------------------------------------

@pytest.mark.nbgrader
def test_instructor_guide_workflow(tmp_path):
    text = GUIDE.read_text()
    blocks = guide_blocks(text)
    for lang, body in blocks:
        if lang == "bash":
            first = body.splitlines()[0].lower()
            assert first.startswith(("# instructor", "# student")), (
                f"every ```bash block of {GUIDE.name} starts with `# instructor` or `# student` "
                f"(which account runs it); this one starts with {first!r}")
    site = [body for lang, body in blocks if lang == "python" and "c.Exchange.root" in body]
    assert len(site) == 1, f"{GUIDE.name} needs one ```python block that sets c.Exchange.root"

    course = fresh_clone((tmp_path / "ansedu").resolve())
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    site_config = re.sub(r"(c\.Exchange\.root\s*=\s*)(['\"]).*?\2",
                         lambda m: f"{m.group(1)}{str(exchange)!r}", site[0])
    homes = {"instructor": tmp_path / "instructor_home", HUB_STUDENT: tmp_path / "student_home"}
    for home in homes.values():
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(site_config)

    # The learning-management system's export: one folder per student, <id>_<time>.
    source_nb = course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    student_nb = course / "problem_sets" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (homes["instructor"] / "Downloads").mkdir()
    with zipfile.ZipFile(homes["instructor"] / "Downloads" / f"{ASSIGNMENT}.zip", "w") as zf:
        for student, when in LMS_HAND_INS.items():
            zf.writestr(f"{student}_{when}/{ASSIGNMENT}.ipynb",
                        nbformat.writes(solved(source_nb, student_nb)))

    ran, outputs, state = [], [], {}
    fetched = homes[HUB_STUDENT] / ASSIGNMENT
    feedback_dir = fetched / "feedback"
    for lang, body in blocks:
        first = body.splitlines()[0] if body else ""
        if lang == "text" and first.strip() == "id,first_name,last_name,email":
            (course / "students.csv").write_text(body)
            state["roster"] = list(csv.DictReader(body.splitlines()))
            continue
        if lang == "python" and first.startswith("# nbgrader_config.py"):
            with (course / "nbgrader_config.py").open("a") as f:
                f.write("\n" + body)
            continue
        if lang != "bash":
            continue

        role = "instructor" if first.lower().startswith("# instructor") else HUB_STUDENT
        if "after fixing a test" in first:
            # the instructor's fix: one more point and a comment for the first visible test
            nb = nbformat.read(source_nb, as_version=4)
            cell = next(c for c in nb.cells if nbmeta(c).get("grade") and not nbmeta(c).get("solution")
                        and "HIDDEN TESTS" not in c.source)
            cell.source = "# regraded: this test was fixed\n" + cell.source
            cell.metadata["nbgrader"]["points"] += 1
            nbformat.write(nb, source_nb)
        if role == "instructor" and "nbgrader export" in body and "old_max" not in state:
            # another problem set is already released but not graded: the export must skip it
            result = run([BIN / "nbgrader", "db", "assignment", "add", NOT_YET_GRADED], course,
                         homes["instructor"], "instructor")
            assert result.returncode == 0, result.stderr
        if role == HUB_STUDENT and "fetch_feedback" in body:
            state.setdefault("feedback_before", {p: p.read_text() for p in feedback_dir.rglob("*.html")})

        cwd = course if role == "instructor" else homes[role]
        t0 = time.perf_counter()
        result = run(["bash", "-euo", "pipefail", "-c", body], cwd, homes[role], role)
        print(f"{time.perf_counter() - t0:5.1f} s  {role}: {' | '.join(body.splitlines()[1:])[:110]}")
        log = f"$ {body}\n{result.stdout}\n{result.stderr}"
        assert result.returncode == 0, f"this block of {GUIDE.name} failed (exit {result.returncode}):\n{log[-8000:]}"
        ran.append(body)
        outputs.append(log)

        if role == HUB_STUDENT and "fetch_assignment" in body:
            assert fetched.is_dir(), f"fetch_assignment did not create {fetched}"
            nbformat.write(solved(source_nb, fetched / f"{ASSIGNMENT}.ipynb"), fetched / f"{ASSIGNMENT}.ipynb")
        if role == "instructor" and "nbgrader export" in body:
            grades = read_grades(course / f"grades_{ASSIGNMENT}.csv")
            state.setdefault("old_max", float(grades[HUB_STUDENT]["max_score"]))
            state["grades"] = grades
        if role == HUB_STUDENT and "fetch_feedback" in body:
            state.setdefault("fetches", []).append(
                {p: p.read_text() for p in feedback_dir.rglob("*.html")})

    everything = "\n".join(ran)
    for command in ("python3 tasks.py student-edition", "python3 tasks.py check-permissions",
                    "nbgrader db student import", "nbgrader generate_assignment",
                    "nbgrader db assignment add", "--duedate=", "nbgrader release_assignment",
                    "nbgrader fetch_assignment", "nbgrader submit", "nbgrader collect",
                    "nbgrader zip_collect", "nbgrader autograde", "nbgrader generate_feedback",
                    "nbgrader export --assignment", "nbgrader release_feedback",
                    "nbgrader fetch_feedback"):
        assert command in everything, f"the guide never runs `{command}`"

    # The student edition: no solutions, a git repository with one clean commit.
    edition = (course.parent / "ansedu-student")
    assert (edition / "problem_sets" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert not (edition / "solutions").exists() and not (edition / "students.csv").exists()
    assert subprocess.run(["git", "-C", str(edition), "status", "--porcelain"], capture_output=True,
                          text=True, check=True).stdout == ""

    # Grades of the one problem set: everyone on the roster, the late hand-in penalized,
    # the regraded maximum (one point more than before), no row of the ungraded set.
    roster_ids = {row["id"] for row in state["roster"]}
    assert roster_ids >= {*ROSTER_ONLY, *LMS_HAND_INS}, roster_ids
    rows = list(csv.DictReader((course / f"grades_{ASSIGNMENT}.csv").open()))
    assert {r["assignment"] for r in rows} == {ASSIGNMENT}, "the export holds another assignment"
    grades = {r["student_id"]: r for r in rows}
    assert set(grades) == roster_ids | {HUB_STUDENT}, f"grades for {sorted(grades)}, roster {sorted(roster_ids)}"
    new_max = state["old_max"] + 1
    for student, row in grades.items():
        raw, penalty, score, top = (float(row[k]) for k in
                                    ("raw_score", "late_submission_penalty", "score", "max_score"))
        assert top == new_max, f"{student}: max_score {top}, expected {new_max} after the regrade"
        assert row["duedate"].startswith("2030-10-14 21:59"), row
        if student in ROSTER_ONLY:
            assert (raw, score, row["timestamp"]) == (0, 0, ""), row
        elif student in LATE:
            assert raw == top and penalty == raw and score == 0, f"late hand-in: {row}"
        else:
            assert raw == score == top and penalty == 0, f"{student}: {row}"

    # Feedback: fetched, free of hidden-test code, and replaced by the regraded one.
    first, second = state["fetches"]
    assert first and not state["feedback_before"], "no feedback after the first fetch_feedback"
    assert set(second) == set(first), "re-fetching wrote the feedback to another place"
    for page, html in second.items():
        assert "HIDDEN TESTS" not in html, f"{page.name} shows the hidden tests' code"
        assert "regraded: this test was fixed" in html and "regraded" not in first[page], (
            "after regrading, fetch_feedback did not bring the new feedback")
    lms_feedback = [course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html" for s in LMS_HAND_INS]
    assert all(p.is_file() for p in lms_feedback), "no feedback for the LMS hand-ins"

    # Permissions after the last chmod: nothing of the course is open to others.
    assert tasks.permission_problems(course) == []
    assert not (course / "problem_sets" / "answer_keys").exists()

    # Every warning is one the guide explains; ours (display_data_priority) is gone.
    log = "\n".join(outputs)
    assert "display_data_priority" not in log, "nbgrader_config.py still causes the display_data_priority warning"
    explained = text[text.index("### What the warnings mean"):]
    for pattern, phrase in EXPLAINED_WARNINGS:
        assert phrase in explained, f"the guide does not explain the warning {phrase!r}"
    unexplained = [line for line in log.splitlines() if re.search(r"WARNING|Warning", line)
                   and not any(re.search(p, line) for p, _ in EXPLAINED_WARNINGS)]
    assert not unexplained, "warnings the guide does not explain:\n" + "\n".join(unexplained)


# --------------------------------------------------------------------------------------------
# The student edition
# --------------------------------------------------------------------------------------------

def test_student_edition_of_this_repository(tmp_path):
    """The export of the last commit has the student material and nothing of the instructors'."""
    dest = tmp_path / "edition"
    left_out = tasks.export_student_edition(dest)
    head = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.split()
    exported = sorted(str(p.relative_to(dest)) for p in dest.rglob("*")
                      if p.is_file() and ".git" not in p.relative_to(dest).parts)
    assert sorted(exported + left_out) == sorted(head), "every committed file is exported or left out"

    assert any(name.startswith("solutions/") for name in left_out)
    assert not (dest / "solutions").exists()
    for name in ("tests/test_problem_sets.py", "tests/test_instructor_guide.py"):
        assert not (dest / name).exists(), name
    assert not list(dest.rglob("*answer_key*"))

    # no nbgrader marker, and no line of any hidden test, anywhere in the export
    texts = {name: (dest / name).read_bytes().decode("utf-8", "replace") for name in exported}
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert not [n for n, t in texts.items() if marker in t], marker
    # (a line that the library, the book or a visible part of any problem set also has, such as
    # `x, c, m = model.lookup(z)`, is no secret; every other line of a hidden test with 20
    # characters or more must be absent, as a whole line)
    public = set().union(*(lines_of(p.name, p.read_text()) for folder in ("ansedu", "book")
                           for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")))
    hidden, visible = set(), set()
    for notebook in SOLUTIONS.glob("*/*.ipynb"):
        h, v = hidden_and_visible_lines(notebook)
        hidden |= h
        visible |= v
    secret = {line for line in hidden - visible - public
              if len(line) >= 20 and not line.startswith("#")}
    assert len(secret) > 100, f"only {len(secret)} hidden-test lines found: is the search broken?"
    exported_lines = {name: lines_of(name, t) for name, t in texts.items()}
    leaks = [(n, line) for n, lines in exported_lines.items() for line in secret & lines]
    assert not leaks, f"hidden-test lines in the student edition: {leaks[:5]}"
    # ... and the same search finds them in the sources
    source = SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert secret & lines_of(source.name, source.read_text())

    # what students need: every problem set, the book's chapters, the library, the environment
    for folder in SOLUTIONS.iterdir():
        if any(folder.glob("*.ipynb")):
            assert (dest / "problem_sets" / folder.name / f"{folder.name}.ipynb").is_file(), folder.name
    toc = (ROOT / "book" / "_toc.yml").read_text()
    for chapter in re.findall(r"file:\s*(\S+)", toc):
        assert (dest / "book" / f"{chapter}.md").is_file(), chapter
    for name in ("_config.yml", "requirements.lock", "pyproject.toml", "tasks.py", "ansedu/__init__.py"):
        assert (dest / name).is_file(), name
    # the book and library are the committed ones, byte for byte (the full build is tested on
    # the repository itself), and no page of the book pulls in a file that was left out
    for name in exported:
        if name.startswith(("book/", "ansedu/")):
            committed = subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{name}"],
                                       capture_output=True, check=True).stdout
            assert (dest / name).read_bytes() == committed, name
    includes = re.compile(r"\{(?:literalinclude|include|download)\}`?\s*([^`\s]+)")
    for name in exported:
        if name.startswith("book/") and name.endswith(".md"):
            for target in includes.findall(texts[name]):
                assert (dest / "book" / target).resolve().exists(), f"{name} includes {target}"

    assert (dest / "README.md").read_text().startswith("> **Student edition.**")
    git = ["git", "-C", str(dest)]
    assert subprocess.run(git + ["status", "--porcelain"], capture_output=True, text=True).stdout == ""
    log = subprocess.run(git + ["log", "--format=%s"], capture_output=True, text=True).stdout
    assert log.count("\n") == 1 and log.startswith("ansedu student edition"), log


def make_repo(path: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git = ["git", "-C", str(path), "-c", "user.name=T", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(git + ["add", "-f", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    return path


def test_student_edition_leaves_out_forced_files_and_refuses_leaks(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "README.md": "# course\n", "book/ch.md": "text\n",
        "problem_sets/ps/ps.ipynb": "{}", "solutions/ps/ps.ipynb": "### BEGIN SOLUTION",
        # instructor files forced into git
        "students.csv": "id\nada\n", "roster/students_2030.csv": "id\n", "grades_ps.csv": "x\n",
        "gradebook.db": "x", "submitted/ada/ps/ps.ipynb": "{}", "problem_sets/answer_keys/k.md": "x",
    })
    left_out = tasks.export_student_edition(tmp_path / "out", root=repo)
    assert sorted(left_out) == sorted(["solutions/ps/ps.ipynb", "students.csv", "roster/students_2030.csv",
                                       "grades_ps.csv", "gradebook.db", "submitted/ada/ps/ps.ipynb",
                                       "problem_sets/answer_keys/k.md"])
    assert (tmp_path / "out" / "problem_sets" / "ps" / "ps.ipynb").is_file()

    # the destination must be new or empty, and outside the repository; nothing is written then
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    with pytest.raises(SystemExit, match="not an empty folder"):
        tasks.export_student_edition(tmp_path / "full", root=repo)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["mine.txt"]
    with pytest.raises(SystemExit, match="inside the repository"):
        tasks.export_student_edition(repo / "edition", root=repo)
    assert not (repo / "edition").exists()
    with pytest.raises(SystemExit, match="not a git repository"):
        tasks.export_student_edition(tmp_path / "x", root=tmp_path / "full")

    # a solution outside the instructor-only paths stops the export, which is removed again
    leaky = make_repo(tmp_path / "leaky", {"book/key.md": "```\n### BEGIN HIDDEN TESTS\n```\n"})
    with pytest.raises(SystemExit, match="book/key.md: BEGIN HIDDEN TESTS"):
        tasks.export_student_edition(tmp_path / "leak_out", root=leaky)
    assert not (tmp_path / "leak_out").exists()

    # the command line: usage, and a refusal as an error exit
    result = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "student-edition", str(tmp_path / "full")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "not an empty folder" in result.stderr


# --------------------------------------------------------------------------------------------
# Permissions on a shared machine
# --------------------------------------------------------------------------------------------

def check_permissions_cli(course: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tasks.py"), "check-permissions", str(course)],
                          capture_output=True, text=True)


def test_check_permissions_flags_what_others_can_reach(tmp_path):
    course = tmp_path / "course"
    bad = {  # path: mode, as a default umask and nbgrader leave them
        "": 0o755, "gradebook.db": 0o644, "grades_ps1.csv": 0o644, "students.csv": 0o640,
        "solutions/ps1/ps1.ipynb": 0o644, "submitted/ada/ps1/ps1.ipynb": 0o644,
        "submitted/ada/ps1": 0o777, "feedback/ada/ps1/ps1.html": 0o644,
    }
    for name in bad:
        if name and not name.endswith("ps1"):
            (course / name).parent.mkdir(parents=True, exist_ok=True)
            (course / name).write_text("secret")
    (course / "book").mkdir()
    (course / "book" / "intro.md").write_text("public")  # not private: never reported
    for name, mode in bad.items():
        (course / name).chmod(mode)

    problems = tasks.permission_problems(course)
    flagged = {line.split(" (")[0] for line in problems}
    assert flagged >= {str(course / name).rstrip("/") for name in bad}, problems
    assert not any("intro.md" in line for line in problems)
    assert any("submitted/ada/ps1 (folder, drwxrwxrwx): its group may read/write/enter, everyone may "
               "read/write/enter" in line for line in problems), problems
    assert any("students.csv (file, -rw-r-----): its group may read" in line for line in problems)
    result = check_permissions_cli(course)
    assert result.returncode == 1 and f"chmod -R go-rwx {course}" in result.stdout, result.stdout

    # one folder opened only to its group is reported too
    subprocess.run(["chmod", "-R", "go-rwx", str(course)], check=True)
    (course / "autograded").mkdir(mode=0o750)
    (course / "autograded").chmod(0o750)
    assert [line.split(" (")[0] for line in tasks.permission_problems(course)] == [str(course / "autograded")]

    # the fix of the guide clears everything
    subprocess.run(["chmod", "-R", "go-rwx", str(course)], check=True)
    assert tasks.permission_problems(course) == []
    result = check_permissions_cli(course)
    assert result.returncode == 0 and result.stdout.count("OK: nobody but the owner") == 1, result.stdout


# --------------------------------------------------------------------------------------------
# The answer keys
# --------------------------------------------------------------------------------------------

@pytest.mark.nbgrader
def test_answer_keys_are_no_assignment(tmp_path):
    """solutions/answer_keys holds no notebook, so nbgrader refuses to generate it and writes
    nothing students could get."""
    keys = SOLUTIONS / "answer_keys"
    assert keys.is_dir() and not list(keys.rglob("*.ipynb"))
    course = tmp_path / "course"
    shutil.copytree(keys, course / "solutions" / "answer_keys")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    result = run([BIN / "nbgrader", "generate_assignment", "answer_keys"], course, tmp_path, "instructor")
    assert result.returncode != 0 and "No notebooks were matched" in result.stdout + result.stderr
    assert not (course / "problem_sets").exists()


def test_problem_set_answer_key_numbers(capsys):
    """The answer key's code blocks (with the numbers of its text as assertions) run."""
    text = ANSWER_KEY.read_text()
    blocks = [m for m in FENCE.finditer(text) if m.group(2) == "python"]
    assert len(blocks) >= 4, "the answer key should check its numbers with code"
    namespace: dict = {}
    for m in blocks:
        # padded with empty lines, so that a failing assertion shows its line of the page
        padded = "\n" * text[:m.start(3)].count("\n") + m.group(3)
        exec(compile(padded, str(ANSWER_KEY), "exec"), namespace)  # noqa: S102
    # the headings name every problem set
    for number in (1, 2, 3, 4, 6):
        assert f"## Problem set {number}" in text
