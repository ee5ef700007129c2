"""The problem sets, graded by the real nbgrader, as in a class.

For every problem set folder ``solutions/<assignment>/`` (found, not listed) one module-scoped
fixture copies the sources into a temporary course directory (its own nbgrader_config.py, made
from the repository's, with its own gradebook, exchange and a short cell timeout) and runs:

1. ``nbgrader generate_assignment``: the result must equal the committed ``problem_sets/`` copy;
2. one ``nbgrader autograde`` run over a batch of students:
   ``solution`` (the solutions) must get full marks, ``untouched`` (the student version) zero,
   ``mistake_*`` (tests/problem_set_cases/<assignment>.py) partial marks and a failing test that
   names the mistake, ``loops_forever`` (one answer cell is ``while True: pass``) is graded after
   its cell times out, without stopping the others, and ``edited_tests`` (every test cell
   replaced by ``pass``) gets the original tests back and scores zero;
3. the loopholes of issue 8, on every set: ``shortcut`` (answers that delegate to the library,
   SHORTCUT in the set's case module) fails the tests of those answers with a message that
   says so; ``override`` (the untouched notebook with the tests' helpers redefined, OVERRIDE)
   is refused by the autograder and scores zero;
4. one ``nbgrader generate_feedback`` run for the batch: no feedback page shows a line of
   hidden test code (the hidden lines of the source notebook that appear nowhere in the student
   version), and the untouched student's page shows its tests' failure messages.

Scores are read from the gradebook (nbgrader.api.Gradebook), never from exit codes.
(The instructor guide's commands are run by tests/test_instructor_guide.py.) The harness checks itself on a small scratch assignment (``test_harness_on_scratch_assignment``),
so it is exercised even before a problem set exists. All these jobs run two at a time in one
fixture; ``-k`` selects which of them run. The format of the typical mistakes is in the
docstring of tests/problem_set_cases/__init__.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.nbgrader

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
RELEASED = ROOT / "problem_sets"
CASES = Path(__file__).resolve().parent / "problem_set_cases"
BIN = Path(sys.executable).parent  # the virtual environment's bin/, with nbgrader and alembic

# Cell timeout in the temporary courses: long enough for every cell of a correct solution on a
# busy 2-core machine, short enough that the never-ending student costs little.
CELL_TIMEOUT = 15

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def find_problem_sets(solutions: Path = SOLUTIONS) -> list[str]:
    """Every folder of solutions/ that holds a notebook is an assignment."""
    if not solutions.is_dir():
        return []
    return sorted(
        d.name for d in solutions.iterdir()
        if d.is_dir() and not d.name.startswith((".", "_")) and any(d.glob("*.ipynb"))
    )


# --------------------------------------------------------------------------------------------
# Running nbgrader
# --------------------------------------------------------------------------------------------

def run(args: list[str], cwd: Path, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command with the virtual environment first on PATH and HOME set to `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    env["VIRTUAL_ENV"] = str(BIN.parent)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def explain(result: subprocess.CompletedProcess, log: Path) -> str:
    """The full output goes to `log`; the message shows what is not routine INFO logging."""
    log.write_text(f"$ {' '.join(map(str, result.args))}\n{result.stdout}\n{result.stderr}")
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if "| INFO]" not in line and "without encryption" not in line]
    return "\n".join(lines)[-6000:] + f"\n(full output: {log})"


def nbgrader(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    result = run([str(BIN / "nbgrader"), *args], cwd=cwd, home=home)
    assert result.returncode == 0, (
        f"`nbgrader {' '.join(args)}` failed (exit {result.returncode}) in {cwd}:\n"
        + explain(result, cwd / f"nbgrader-{args[0]}.log"))
    return result


def make_course(tmp: Path, sources: Path, assignments: list[str], extra_config: str = "") -> Path:
    """A temporary course directory: the repository's nbgrader_config.py plus `extra_config`,
    and copies of the chosen assignments' sources. Returns its root."""
    course = tmp / "course"
    (course / "solutions").mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + "\n# Added by the test\n" + extra_config)
    for name in assignments:
        shutil.copytree(sources / name, course / "solutions" / name)  # junk too: see ignore
    return course


# --------------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------------

def nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell) -> bool:
    return bool(nbmeta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbmeta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def read_nb(path: Path):
    return nbformat.read(path, as_version=4)


def comparable(path: Path) -> list:
    """What must not drift between a generated and a committed student notebook: each cell's
    type, source, nbgrader metadata and lock flags, and the kernel. Ids, outputs, execution
    counts and other metadata are left out."""
    nb = read_nb(path)
    cells = [
        {
            "cell_type": cell.cell_type,
            "source": cell.source,
            "nbgrader": nbmeta(cell),
            "editable": cell.get("metadata", {}).get("editable", True),
            "deletable": cell.get("metadata", {}).get("deletable", True),
        }
        for cell in nb.cells
    ]
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    return [{"kernel": kernel}, *cells]


def files_of(folder: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(folder)): p for p in sorted(folder.rglob("*"))
        if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts
    }


def error_text(cell) -> str:
    """Everything a failing cell printed as an error, without terminal colours."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            parts += [out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
    return ANSI.sub("", "\n".join(parts))


def load_mistakes(assignment: str) -> list[dict]:
    """MISTAKES of tests/problem_set_cases/<assignment>.py, checked for the documented format."""
    path = CASES / f"{assignment}.py"
    if not path.exists():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: every problem set needs at least one typical "
            f"mistake (format: the docstring of tests/problem_set_cases/__init__.py)."
        )
    spec = importlib.util.spec_from_file_location(f"problem_set_cases_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mistakes = getattr(module, "MISTAKES", None)
    where = path.relative_to(ROOT)
    assert isinstance(mistakes, list) and mistakes, f"{where}: MISTAKES must be a non-empty list"
    names = set()
    for m in mistakes:
        assert isinstance(m, dict) and set(m) == {"name", "cells", "message"}, (
            f"{where}: each mistake is a dict with exactly the keys name, cells, message; got {m!r}")
        assert isinstance(m["name"], str) and m["name"] and m["name"] not in names, (
            f"{where}: mistake names must be non-empty and unique: {m['name']!r}")
        names.add(m["name"])
        assert isinstance(m["cells"], dict) and m["cells"] and all(
            isinstance(k, str) and isinstance(v, str) for k, v in m["cells"].items()), (
            f"{where}: {m['name']!r}: cells maps answer-cell grade_ids to new sources")
        assert isinstance(m["message"], str) and m["message"], (
            f"{where}: {m['name']!r}: message must be a non-empty string")
    return mistakes


def load_loopholes(assignment: str) -> tuple[dict, dict]:
    """SHORTCUT and OVERRIDE of tests/problem_set_cases/<assignment>.py (format: the docstring
    of tests/problem_set_cases/__init__.py)."""
    path = CASES / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"problem_set_loopholes_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    where = path.relative_to(ROOT)
    shortcut, override = getattr(module, "SHORTCUT", None), getattr(module, "OVERRIDE", None)
    assert isinstance(shortcut, dict) and set(shortcut) == {"cells", "failing"} and shortcut["cells"] \
        and shortcut["failing"], (
        f"{where}: every problem set needs SHORTCUT = {{'cells': {{answer grade_id: source that "
        f"delegates to the library}}, 'failing': [test grade_ids that must fail]}}")
    assert isinstance(override, dict) and set(override) == {"cells", "names"} and override["cells"] \
        and override["names"], (
        f"{where}: every problem set needs OVERRIDE = {{'cells': {{answer grade_id: source that "
        f"redefines the tests' helpers}}, 'names': [the helper names it redefines]}}")
    return shortcut, override


def student_id(mistake_name: str) -> str:
    return "mistake_" + re.sub(r"[^A-Za-z0-9]+", "_", mistake_name).strip("_").lower()


# --------------------------------------------------------------------------------------------
# One graded batch per assignment
# --------------------------------------------------------------------------------------------

@dataclass
class Graded:
    assignment: str
    course: Path
    home: Path
    generated: Path                      # the freshly generated student version
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # student: (score, max)
    mistakes: list[dict] = field(default_factory=list)
    mistakes_error: str | None = None
    autograde_problems: str = ""         # what nbgrader autograde said when it exited non-zero
    loop_cell: tuple[str, str] | None = None  # (notebook file, grade_id) of the looping cell
    shortcut: dict | None = None         # SHORTCUT of the case module (None for the scratch set)
    override: dict | None = None
    loopholes_error: str | None = None
    feedback_problems: str = ""          # what nbgrader generate_feedback said when it failed
    seconds: dict[str, float] = field(default_factory=dict)

    def autograded(self, student: str) -> dict[str, object]:
        folder = self.course / "autograded" / student / self.assignment
        return {p.name: read_nb(p) for p in sorted(folder.glob("*.ipynb"))}

    def feedback(self, student: str) -> dict[str, str]:
        folder = self.course / "feedback" / student / self.assignment
        return {p.name: p.read_text() for p in sorted(folder.glob("*.html"))}


def solved_notebooks(source_dir: Path, release_dir: Path) -> dict[str, object]:
    """The student version with every answer cell filled in from the source (markers removed)."""
    solved = {}
    for nb_path in sorted(release_dir.glob("*.ipynb")):
        nb = read_nb(nb_path)
        answers = {nbmeta(c)["grade_id"]: c.source for c in read_nb(source_dir / nb_path.name).cells
                   if is_answer(c)}
        for cell in nb.cells:
            if is_answer(cell):
                cell.source = SOLUTION_MARKERS.sub("", answers[nbmeta(cell)["grade_id"]])
        solved[nb_path.name] = nb
    return solved


def copy_notebooks(notebooks: dict[str, object]) -> dict[str, object]:
    return {name: nbformat.from_dict(json.loads(json.dumps(nb))) for name, nb in notebooks.items()}


def replace_cells(notebooks: dict[str, object], cells: dict[str, str], what: str) -> None:
    """Replace the source of answer cells, by grade_id, in place."""
    for grade_id, source in cells.items():
        found = [c for nb in notebooks.values() for c in nb.cells if nbmeta(c).get("grade_id") == grade_id]
        assert found, f"{what}: no cell with grade_id {grade_id!r} in {sorted(notebooks)}"
        assert is_answer(found[0]), f"{what}: cell {grade_id!r} is not an answer cell (solution: true)"
        found[0].source = source


def submit(course: Path, student: str, assignment: str, release_dir: Path, notebooks: dict) -> None:
    """Put a submission where `nbgrader collect` would: submitted/<student>/<assignment>/."""
    dest = course / "submitted" / student / assignment
    shutil.copytree(release_dir, dest)
    for name, nb in notebooks.items():
        nbformat.write(nb, dest / name)


def grade_batch(tmp: Path, sources: Path, assignment: str, mistakes_loader=load_mistakes,
                with_loop: bool = True, loopholes_loader=load_loopholes) -> Graded:
    home = tmp / "home"
    home.mkdir(parents=True)
    course = make_course(tmp, sources, [assignment], extra_config=(
        f"c.Execute.timeout = {CELL_TIMEOUT}\n"
        f"c.Exchange.root = {str(tmp / 'exchange')!r}\n"
    ))
    t0 = time.perf_counter()
    nbgrader("generate_assignment", assignment, "--force", cwd=course, home=home)
    generated = course / "problem_sets" / assignment
    graded = Graded(assignment, course, home, generated)
    graded.seconds["generate_assignment"] = time.perf_counter() - t0

    source_dir = course / "solutions" / assignment
    solution = solved_notebooks(source_dir, generated)
    untouched = {p.name: read_nb(p) for p in sorted(generated.glob("*.ipynb"))}
    students: dict[str, dict] = {"solution": solution, "untouched": untouched}

    try:
        graded.mistakes = mistakes_loader(assignment)
    except BaseException as exc:  # pytest.fail / AssertionError: reported by its own test
        graded.mistakes_error = str(exc)
    for m in graded.mistakes:
        notebooks = copy_notebooks(solution)
        try:
            replace_cells(notebooks, m["cells"], f"mistake {m['name']!r}")
        except AssertionError as exc:
            graded.mistakes_error = f"{graded.mistakes_error or ''}{exc}\n"
            continue
        students[student_id(m["name"])] = notebooks

    # One answer cell that never terminates: the first code answer cell.
    if with_loop:
        looping = copy_notebooks(solution)
        for name, nb in looping.items():
            cell = next((c for c in nb.cells if is_answer(c) and c.cell_type == "code"), None)
            if cell is not None:
                cell.source = "while True:\n    pass\n"
                graded.loop_cell = (name, nbmeta(cell)["grade_id"])
                break
        students["loops_forever"] = looping

    # The loopholes: answers that delegate to the library, and helpers redefined.
    if loopholes_loader is not None:
        try:
            graded.shortcut, graded.override = loopholes_loader(assignment)
            notebooks = copy_notebooks(solution)
            replace_cells(notebooks, graded.shortcut["cells"], "SHORTCUT")
            students["shortcut"] = notebooks
            notebooks = copy_notebooks(untouched)
            replace_cells(notebooks, graded.override["cells"], "OVERRIDE")
            students["override"] = notebooks
        except (AssertionError, OSError) as exc:
            graded.loopholes_error = str(exc)

    # A student who replaced every test cell with `pass` and answered nothing.
    edited = copy_notebooks(untouched)
    for nb in edited.values():
        for cell in nb.cells:
            if is_test(cell):
                cell.source = "pass"
    students["edited_tests"] = edited

    for student, notebooks in students.items():
        submit(course, student, assignment, generated, notebooks)

    # One run for the whole batch. nbgrader grades every student it can and exits non-zero if
    # one failed; that student is then missing from the gradebook and its checks say why.
    t0 = time.perf_counter()
    result = run([str(BIN / "nbgrader"), "autograde", assignment, "--force"], cwd=course, home=home)
    graded.seconds[f"autograde ({len(students)} students)"] = time.perf_counter() - t0
    if result.returncode != 0:
        graded.autograde_problems = explain(result, course / "nbgrader-autograde.log")

    # Feedback for the whole batch, as students would get it.
    t0 = time.perf_counter()
    result = run([str(BIN / "nbgrader"), "generate_feedback", assignment, "--force"], cwd=course, home=home)
    graded.seconds["generate_feedback"] = time.perf_counter() - t0
    if result.returncode != 0:
        graded.feedback_problems = explain(result, course / "nbgrader-generate_feedback.log")

    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            graded.scores[student] = (sub.code_score, sub.max_code_score)
    return graded


def check_drift(graded: Graded, committed: Path) -> None:
    hint = (f"Regenerate it from the repository root: `nbgrader generate_assignment "
            f"{graded.assignment} --force` (with .venv/bin first on PATH), and commit both.")
    assert committed.is_dir(), f"{committed} is missing. {hint}"
    new, old = files_of(graded.generated), files_of(committed)
    assert sorted(new) == sorted(old), (
        f"The files of {committed} differ from what generate_assignment makes: "
        f"generated {sorted(new)}, committed {sorted(old)}. {hint}")
    for name, path in new.items():
        if name.endswith(".ipynb"):
            a, b = comparable(path), comparable(old[name])
            if a != b:
                diff = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                pytest.fail(
                    f"{committed / name} has drifted from its source (first difference at cell "
                    f"{diff - 1}; {len(a) - 1} generated cells, {len(b) - 1} committed). {hint}")
        else:
            assert path.read_bytes() == old[name].read_bytes(), f"{committed / name} differs. {hint}"


def scores(graded: Graded, student: str) -> tuple[float, float]:
    """(autograded score, maximum) of a student, read from the gradebook."""
    if student not in graded.scores:
        pytest.fail(f"{graded.assignment}: `{student}` was not graded; nbgrader autograde said:\n"
                    f"{graded.autograde_problems or '(nothing)'}")
    return graded.scores[student]


def check_full_marks(graded: Graded) -> None:
    score, top = scores(graded, "solution")
    assert top, f"{graded.assignment}: no autograded points at all (no graded test cells?)"
    if score != top:
        failing = [f"{name} / {nbmeta(c).get('grade_id')}: {error_text(c)[-800:]}"
                   for name, nb in graded.autograded("solution").items()
                   for c in nb.cells if is_test(c) and error_text(c)]
        pytest.fail(f"{graded.assignment}: the solution scores {score} of {top}; failing tests:\n"
                    + "\n".join(failing))


def check_zero(graded: Graded, student: str) -> None:
    score, top = scores(graded, student)
    assert score == 0, (f"{graded.assignment}: `{student}` scores {score} of {top}, expected 0: "
                        f"some test passes without an answer")


def check_mistake(graded: Graded, mistake: dict) -> None:
    student = student_id(mistake["name"])
    score, top = scores(graded, student)
    assert 0 < score < top, (
        f"{graded.assignment}: mistake {mistake['name']!r} scores {score} of {top}; "
        f"expected partial marks (0 < score < {top})")
    outputs = [error_text(c) for nb in graded.autograded(student).values()
               for c in nb.cells if is_test(c)]
    assert any(squeeze(mistake["message"]) in squeeze(text) for text in outputs), (
        f"{graded.assignment}: mistake {mistake['name']!r}: no failing test prints "
        f"{mistake['message']!r}; failing tests said:\n" + "\n---\n".join(t for t in outputs if t))


def squeeze(text: str) -> str:
    """Text with every run of white space made one space: failure messages are wrapped to fit
    nbgrader validate's width, so a phrase may span two lines."""
    return " ".join(text.split())


def outputs_of(graded: Graded, student: str) -> dict[str, str]:
    """{grade_id: error text} of every test cell of a student's autograded notebooks."""
    return {nbmeta(c)["grade_id"]: error_text(c) for nb in graded.autograded(student).values()
            for c in nb.cells if is_test(c)}


def check_shortcut(graded: Graded) -> None:
    """Answers that delegate to the library fail their tests, and the tests say why."""
    if graded.loopholes_error:
        pytest.fail(graded.loopholes_error)
    score, top = scores(graded, "shortcut")
    assert score < top, f"{graded.assignment}: answers that call the library score {score} of {top}"
    outputs = outputs_of(graded, "shortcut")
    for grade_id in graded.shortcut["failing"]:
        assert grade_id in outputs, f"{graded.assignment}: no test cell {grade_id!r}"
        assert "calls ansedu." in squeeze(outputs[grade_id]), (
            f"{graded.assignment} / {grade_id}: an answer that delegates to the library must fail "
            f"with a message that says so ('... calls ansedu.X ...'); it printed:\n"
            f"{outputs[grade_id][-1500:] or '(nothing: the test passed)'}")


def check_override(graded: Graded) -> None:
    """A notebook that redefines the tests' helpers is refused: zero, and every test says why."""
    if graded.loopholes_error:
        pytest.fail(graded.loopholes_error)
    score, top = scores(graded, "override")
    assert score == 0, (f"{graded.assignment}: a notebook that redefines the tests' helpers scores "
                        f"{score} of {top}, expected 0")
    for grade_id, text in outputs_of(graded, "override").items():
        text = squeeze(text)
        assert "refused this notebook" in text, (
            f"{graded.assignment} / {grade_id}: the test of a notebook that redefines the tests' "
            f"helpers must say that the autograder refused it; it printed:\n{text[-1500:]}")
        for name in graded.override["names"]:
            assert f"`{name}`" in text, f"{graded.assignment} / {grade_id}: the refusal does not name `{name}`"


TAG = re.compile(r"<[^>]*>")


def page_text(page: str) -> str:
    """The text of an HTML page (tags removed, entities decoded), as a reader sees it."""
    import html
    return html.unescape(TAG.sub("", page))


def hidden_test_lines(source: Path, *visible_notebooks: Path) -> set[str]:
    """The lines of hidden test code in the source notebook that are not part of any line of the
    notebooks a student sees (the student version, and the student's own submission: a solution
    may share a line with a hidden helper); stripped, and shorter lines such as `else:` say
    nothing about the tests."""
    hidden = set()
    for cell in read_nb(source).cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                inside = "BEGIN" in line
                hidden.add(line.strip())
            elif inside:
                hidden.add(line.strip())
    visible = {line.strip() for path in visible_notebooks for cell in read_nb(path).cells
               for line in cell.source.splitlines()}
    return {line for line in hidden if len(line) >= 12 and not any(line in v for v in visible)}


def check_feedback(graded: Graded) -> None:
    """No feedback page shows hidden test code; the untouched student's page shows why its
    tests failed."""
    assert not graded.feedback_problems, graded.feedback_problems
    source_dir = graded.course / "solutions" / graded.assignment
    students = sorted(graded.scores)
    assert "untouched" in students
    for student in students:
        pages = graded.feedback(student)
        assert pages, f"{graded.assignment}: no feedback for `{student}`"
        for name, page in pages.items():
            notebook = name.replace(".html", ".ipynb")
            secret = hidden_test_lines(source_dir / notebook, graded.generated / notebook,
                                       graded.course / "submitted" / student / graded.assignment / notebook)
            assert secret, f"{name}: found no hidden test lines to look for"
            text = page_text(page)
            shown = sorted(line for line in secret if line in text)
            assert not shown, (f"{graded.assignment}: the feedback of `{student}` shows {len(shown)} "
                               f"lines of hidden test code, e.g.:\n" + "\n".join(shown[:10]))
    # the untouched student sees each failing test's message
    text = squeeze(page_text("".join(graded.feedback("untouched").values())))
    for nb in graded.autograded("untouched").values():
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if is_test(cell) and out.get("output_type") == "error":
                    first = squeeze(ANSI.sub("", out.get("evalue", "")).split("\n")[0])
                    assert first in text, (f"{graded.assignment}: the feedback of `untouched` does not "
                                           f"show the failure message {first!r}")


def check_loop(graded: Graded) -> None:
    assert graded.loop_cell, f"{graded.assignment} has no code answer cell"
    score, top = scores(graded, "loops_forever")
    assert score < top, f"never-ending code got full marks ({score} of {top})"
    name, grade_id = graded.loop_cell
    cell = next(c for c in graded.autograded("loops_forever")[name].cells
                if nbmeta(c).get("grade_id") == grade_id)
    errors = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert {"KeyboardInterrupt", "CellTimeoutError"} & set(errors), (
        f"the looping cell {grade_id!r} was not interrupted by the timeout: outputs {cell.outputs}")
    # the other students of the same autograde run were graded too
    check_full_marks(graded)


def check_edited_tests(graded: Graded) -> None:
    check_zero(graded, "edited_tests")
    source_dir = graded.course / "solutions" / graded.assignment
    for name, nb in graded.autograded("edited_tests").items():
        original = {nbmeta(c)["grade_id"]: c.source for c in read_nb(source_dir / name).cells
                    if is_test(c)}
        for cell in nb.cells:
            if is_test(cell):
                gid = nbmeta(cell)["grade_id"]
                assert cell.source.strip() == original[gid].strip(), (
                    f"{name} / {gid}: the edited test cell was not restored by autograde")


# --------------------------------------------------------------------------------------------
# The problem sets of the course
# --------------------------------------------------------------------------------------------

PROBLEM_SETS = find_problem_sets()
SCRATCH = "scratch"  # the harness's own stand-in assignment, graded with the others



@pytest.fixture(scope="module")
def all_graded(request, tmp_path_factory) -> dict[str, object]:
    """Grade the selected problem sets and the scratch assignment, two at a time (nbgrader runs
    in subprocesses, and the never-ending student mostly waits). A failure is kept and raised by
    the tests of that job only."""
    from concurrent.futures import ThreadPoolExecutor

    selected = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "graded" in callspec.params:
            selected.add(callspec.params["graded"])
        elif item.name == "test_harness_on_scratch_assignment":
            selected.add(SCRATCH)

    def scratch(tmp: Path) -> Graded:
        # without the never-ending student: the real problem sets cover it
        write_scratch_assignment(tmp / "sources", SCRATCH)
        return grade_batch(tmp / "run", tmp / "sources", SCRATCH,
                           mistakes_loader=lambda a: SCRATCH_MISTAKES, with_loop=False,
                           loopholes_loader=None)

    jobs = {SCRATCH: scratch}
    jobs.update({name: (lambda tmp, name=name: grade_batch(tmp, SOLUTIONS, name)) for name in PROBLEM_SETS})
    jobs = {name: f for name, f in jobs.items() if name in selected}

    # pytest's tmp_path_factory is not thread-safe (it creates its base folder lazily, and two
    # threads may race to do so): make every job's folder here, before the threads start.
    folders = {name: tmp_path_factory.mktemp(re.sub(r"\W", "_", name)) for name in jobs}

    def job(name):
        try:
            return jobs[name](folders[name])
        except BaseException as exc:  # noqa: BLE001  (reported by the tests of this job)
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(jobs, pool.map(job, jobs)))
    for name, result in results.items():
        if isinstance(result, Graded):
            print(f"\n{name}: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()))
    return results


def graded_or_raise(all_graded, name: str) -> Graded:
    result = all_graded[name]
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.fixture(params=PROBLEM_SETS)
def graded(request, all_graded) -> Graded:
    return graded_or_raise(all_graded, request.param)


def test_student_version_is_generated_from_source(graded):
    check_drift(graded, RELEASED / graded.assignment)


def test_solution_gets_full_marks(graded):
    check_full_marks(graded)


def test_untouched_student_version_gets_zero(graded):
    check_zero(graded, "untouched")


def test_typical_mistakes_get_partial_marks(graded):
    if graded.mistakes_error:
        pytest.fail(graded.mistakes_error)
    for mistake in graded.mistakes:
        check_mistake(graded, mistake)


def test_never_ending_code_is_graded_and_does_not_block_others(graded):
    check_loop(graded)


def test_edited_test_cells_are_restored(graded):
    check_edited_tests(graded)


def test_answers_that_call_the_library_fail(graded):
    check_shortcut(graded)


def test_redefining_the_test_helpers_scores_zero(graded):
    check_override(graded)


def test_feedback_shows_no_hidden_test_code(graded):
    check_feedback(graded)


# --------------------------------------------------------------------------------------------
# The harness itself, on a small scratch assignment
# --------------------------------------------------------------------------------------------

def code(source: str, **meta):
    cell = nbformat.v4.new_code_cell(source)
    if meta:
        meta.setdefault("schema_version", 3)
        meta.setdefault("locked", meta.get("grade", False) and not meta.get("solution", False))
        meta.setdefault("solution", False)
        meta.setdefault("grade", False)
        cell.metadata["nbgrader"] = meta
    return cell


def write_scratch_assignment(folder: Path, name: str) -> None:
    """A two-question assignment with a visible and a hidden test and a data file."""
    (folder / name).mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Scratch\nSquare, then count the lines of `data.txt`."),
        code("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
             grade_id="square", solution=True),
        code("assert square(3) == 9, 'square(3) should be 9: reread the scratch chapter'",
             grade_id="test_square", grade=True, points=1),
        code("def count_lines(path):\n    ### BEGIN SOLUTION\n    with open(path) as f:\n"
             "        return len(f.readlines())\n    ### END SOLUTION",
             grade_id="count", solution=True),
        code("assert count_lines('data.txt') == 3\n### BEGIN HIDDEN TESTS\n"
             "with open('extra.txt', 'w') as f:\n    f.write('x\\n')\n"
             "assert count_lines('extra.txt') == 1\n### END HIDDEN TESTS",
             grade_id="test_count", grade=True, points=2),
    ]
    nbformat.write(nb, folder / name / f"{name}.ipynb")
    (folder / name / "data.txt").write_text("a\nb\nc\n")
    # junk that CourseDirectory.ignore in nbgrader_config.py must keep out of the release
    for junk in (".ipynb_checkpoints/scratch-checkpoint.ipynb", "__pycache__/x.cpython-311.pyc",
                 ".virtual_documents/scratch.ipynb", ".DS_Store", "scratch.ipynb~"):
        (folder / name / junk).parent.mkdir(exist_ok=True)
        (folder / name / junk).write_text("junk")


SCRATCH_MISTAKES = [{"name": "cube instead of square",
                     "cells": {"square": "def square(x):\n    return x ** 3\n"},
                     "message": "reread the scratch chapter"}]


def test_harness_on_scratch_assignment(all_graded, tmp_path):
    """The checks above pass on a correct assignment and catch drift and a silent mistake."""
    graded = graded_or_raise(all_graded, SCRATCH)
    assert not graded.autograde_problems, graded.autograde_problems
    assert graded.scores["solution"] == (3, 3)
    check_full_marks(graded)
    check_zero(graded, "untouched")
    check_mistake(graded, SCRATCH_MISTAKES[0])
    assert graded.scores[student_id(SCRATCH_MISTAKES[0]["name"])] == (2, 3)
    check_edited_tests(graded)
    check_feedback(graded)

    # the release holds the notebook and its data, none of the editors' junk
    released = sorted(str(p.relative_to(graded.generated)) for p in graded.generated.rglob("*"))
    assert released == ["data.txt", "scratch.ipynb"], released

    # drift: an identical copy passes, a changed cell or a missing file fails
    committed = tmp_path / "committed"
    shutil.copytree(graded.generated, committed)
    check_drift(graded, committed)
    nb_path = committed / "scratch.ipynb"
    nb = read_nb(nb_path)
    nb.cells[2].source += "\nassert square(0) == 0"
    nbformat.write(nb, nb_path)
    with pytest.raises(pytest.fail.Exception, match="generate_assignment scratch --force"):
        check_drift(graded, committed)
    shutil.copy(graded.generated / "scratch.ipynb", nb_path)
    (committed / "data.txt").unlink()
    with pytest.raises(AssertionError, match="generate_assignment scratch --force"):
        check_drift(graded, committed)

    # a mistake whose message no test prints, and one that costs nothing, are both reported
    with pytest.raises(AssertionError, match="no failing test prints"):
        check_mistake(graded, {**SCRATCH_MISTAKES[0], "message": "a hint nobody wrote"})
    harmless = replace(graded, scores={**graded.scores, "mistake_harmless": (3, 3)})
    with pytest.raises(AssertionError, match="partial marks"):
        check_mistake(harmless, {"name": "harmless", "cells": {}, "message": "x"})

