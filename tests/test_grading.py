"""ansedu.grading on its own (fast; the nbgrader pipeline is tests/test_problem_sets.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from ansedu.grading import preprocessors, tamper
from ansedu.grading.preprocessors import BEGIN_HIDDEN, END_HIDDEN

ROOT = Path(__file__).resolve().parents[1]
PROTECTED = {"check", "run", "np", "ansedu", "reread", "fresh"}
MODULES = {"np": "numpy", "ansedu": "ansedu"}


@pytest.mark.parametrize("source", [
    "def check(*a, **k):\n    pass\n",
    "check = lambda *a, **k: None\n",
    "for run in [print]:\n    pass\n",
    "import numpy\nnp = numpy\n",
    "from contextlib import contextmanager as reread\n",
    "np.allclose = lambda *a, **k: True\n",
    "ansedu.grading.ps1.check = print\n",
    "import sys\n",
    "from importlib import reload\n",
    "import builtins\n",
    "exec('check = None')\n",
    "setattr(ansedu, 'entropy', print)\n",
    "x = getattr(print, '__co' + 'de__')\n",
    "def f():\n    global check\n    check = None\n",
    "f.__code__ = g.__code__\n",
    "b = __builtins__\n",
    "from ansedu.grading import fresh\n",
    "%load_ext autoreload\n",
    "import numpy as n\nn.allclose = lambda *a, **k: True\n",
    "from ansedu import Categorical as C\nC.interval = print\n",
    "x = np\nx.allclose = print\n",
    "del np.allclose\n",
    # found by a red-team run (each scored points before): aliases of forbidden functions ...
    "_gi = get_ipython\n_gi().input_transformers_post.append(lambda lines: ['pass\\n'])\n",
    "run = exec\nrun(open('x').read())\n",
    "print(In[-2])\n",
    # ... the interpreter through the graders' or another module's attributes ...
    "s = ansedu.grading.sys\ns.setprofile(None)\n",
    "import os\nos.sys.modules['ansedu'] = None\n",
    "import os\nos.system('python -m ansedu compress x')\n",
    "def f():\n    return f.f_back.f_locals\n",
    # ... other threads, other processes, other cells' source, objects that change class
    "from concurrent.futures import ThreadPoolExecutor\n",
    "import subprocess\n",
    "import pkgutil\n",
    "import linecache\n",
    "coder.__class__ = Liar\n",
])
def test_tampering_is_found(source):
    assert tamper.find_tampering(source, PROTECTED, MODULES), source


@pytest.mark.parametrize("source", [
    "import numpy as np\nfrom fractions import Fraction\n",
    "def entropy(p):\n    run = 0\n    check = [x for x in p]\n    return run\n",
    "class StackCoder:\n    def __init__(self):\n        super().__init__()\n        self.state = 1\n",
    "coder.head >>= coder.word_size\ncoder.bulk.append(1)\n",
    "%timeit entropy([0.5, 0.5])\n",
    "!ls\n",
    "def f(x):\n    return x.__class__.__name__\n",
])
def test_ordinary_code_is_not_tampering(source):
    assert tamper.find_tampering(source, PROTECTED, MODULES) == []


def _cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    trusted = {i: bool(c.metadata.get("nbgrader", {}).get("locked")) for i, c in enumerate(nb.cells)}
    return nb, trusted


@pytest.mark.parametrize("assignment", sorted(p.name for p in (ROOT / "solutions").iterdir()
                                               if p.is_dir() and p.name.startswith("ps")))
def test_solutions_and_student_versions_are_not_tampering(assignment):
    """No false alarm: the solutions' answers and the student version's free cells are fine."""
    for folder in ("solutions", "problem_sets"):
        nb, trusted = _cells(ROOT / folder / assignment / f"{assignment}.ipynb")
        assert preprocessors.tampering_report(nb, trusted) == [], (folder, assignment)


def test_reject_tampering_fails_every_test_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from ansedu.grading import fresh; fresh('ps1')", metadata={
            "nbgrader": {"grade_id": "setup", "locked": True, "grade": False, "solution": False}}),
        nbformat.v4.new_code_cell("def check(*a, **k):\n    pass\n", metadata={
            "nbgrader": {"grade_id": "answer", "locked": False, "grade": False, "solution": True}}),
        nbformat.v4.new_code_cell("check(False, 'x', 'entropy')", metadata={
            "nbgrader": {"grade_id": "test", "locked": True, "grade": True, "solution": False, "points": 1}}),
    ]
    nb.cells[2].outputs = []
    nb, _ = preprocessors.RejectTampering()(nb, {})  # as nbconvert calls it (only if enabled)
    [output] = nb.cells[2].outputs
    assert output.output_type == "error" and "cell 2 (answer cell `answer`), line 1" in output.evalue
    assert "`check`" in output.evalue


def test_show_failure_messages_hides_hidden_code():
    secret = "_want = m << (head_size - precision)"
    cell = nbformat.v4.new_code_cell(
        f"check(True, 'x', 'y')\n{BEGIN_HIDDEN}\n{secret}\n{END_HIDDEN}",
        metadata={"nbgrader": {"grade_id": "t", "grade": True, "locked": True, "solution": False, "points": 1}})
    cell.outputs = [
        nbformat.v4.new_output("error", ename="TestFailure", evalue="the threshold is wrong",
                               traceback=["Traceback", f"----> 3 {secret}", "TestFailure: the threshold is wrong"]),
        nbformat.v4.new_output("stream", name="stderr", text=f"warning at line 3\n  {secret}\n"),
    ]
    other = nbformat.v4.new_code_cell("f()")
    other.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="bad",
                                            traceback=["Traceback", "----> 1 f()", "ValueError: bad"])]
    visible = nbformat.v4.new_code_cell(
        "check(True, 'x', 'y')", metadata={"nbgrader": {"grade_id": "v", "grade": True, "locked": True,
                                                        "solution": False, "points": 1}})
    visible.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"3.2 bits/byte\n{secret}\n")]
    long_one = nbformat.v4.new_code_cell(
        f"check(True, 'x', 'y')\n{BEGIN_HIDDEN}\nother()\n{END_HIDDEN}",
        metadata={"nbgrader": {"grade_id": "u", "grade": True, "locked": True, "solution": False, "points": 1}})
    leak = "QkVHSU4gSElEREVO" * 200   # a student's exception text, say base64 of the cell
    long_one.outputs = [nbformat.v4.new_output("error", ename="TestFailure", evalue=f"f raised ValueError: {leak}",
                                               traceback=["TestFailure: ..."])]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell, other, visible, long_one]
    nb, _ = preprocessors.ShowFailureMessages()(nb, {})  # as nbconvert calls it (only if enabled)
    # a hidden test cell shows its verdict only: what it printed may come from the student's code
    assert [o.output_type for o in nb.cells[0].outputs] == ["error"]
    assert nb.cells[0].outputs[0].traceback == ["TestFailure: the threshold is wrong"]
    assert secret not in str(nb.cells[0].outputs)
    assert nb.cells[1].outputs[0].traceback == ["Traceback", "----> 1 f()", "ValueError: bad"]
    # a visible test cell keeps its output, without hidden lines
    assert nb.cells[2].outputs[0].text.strip() == "3.2 bits/byte"
    # a hidden cell's message is cut to a length no test message needs
    [shown] = nb.cells[3].outputs
    assert len(shown.traceback[0]) <= preprocessors.HIDDEN_MESSAGE_LIMIT + 10 and shown.traceback[0].endswith("[...]")


GUARD_SCRIPT = textwrap.dedent('''
    import ansedu
    from ansedu.grading import guard
    guard.install([ansedu.entropy], tasks=None)
    test_file, student_file = "/tmp/ipykernel_0/test.py", "/tmp/ipykernel_0/student.py"
    guard.register_trusted(test_file)
    early = ansedu.entropy                       # a reference taken before any test runs
    student = {"ansedu": ansedu, "early": early}
    exec(compile("def entropy(p):\\n    return early(p)\\n", student_file, "exec"), student)
    tests = {"student": student["entropy"], "ansedu": ansedu, "guard": guard}
    exec(compile(
        "assert ansedu.entropy([0.5, 0.5]) == 1.0\\n"          # the tests may use the library
        "try:\\n    student([0.5, 0.5])\\n    raise SystemExit('not caught')\\n"
        "except guard.DelegationError as error:\\n    print(error)\\n"
        "try:\\n    guard.check_own(ansedu.entropy, 'entropy')\\n    raise SystemExit('alias not caught')\\n"
        "except guard.DelegationError as error:\\n    print(error)\\n", test_file, "exec"), tests)
    print(student["entropy"]([0.5, 0.5]))     # outside a test: allowed (a scratch comparison)
''')


def test_guard_fails_delegation_only_inside_tests():
    result = subprocess.run([sys.executable, "-c", GUARD_SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("entropy calls ansedu.entropy, the library's own version"), lines
    assert lines[1].startswith("entropy calls ansedu.entropy"), lines
    assert lines[2] == "1.0", lines


def _case_module(assignment):
    import importlib.util
    path = ROOT / "tests" / "problem_set_cases" / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"grading_cases_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("assignment", sorted(p.name for p in (ROOT / "solutions").iterdir()
                                               if p.is_dir() and p.name.startswith("ps")))
def test_cases_are_judged_right(assignment):
    """Typical mistakes and library shortcuts are not tampering (they are graded on their
    merits); the OVERRIDE case is."""
    nb, trusted = _cells(ROOT / "problem_sets" / assignment / f"{assignment}.ipynb")
    cases = _case_module(assignment)

    def report_with(cells):
        changed = nbformat.from_dict(nbformat.reads(nbformat.writes(nb), as_version=4))
        for cell in changed.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") in cells:
                cell.source = cells[cell.metadata["nbgrader"]["grade_id"]]
        return preprocessors.tampering_report(changed, trusted)

    for mistake in cases.MISTAKES:
        assert report_with(mistake["cells"]) == [], mistake["name"]
    assert report_with(cases.SHORTCUT["cells"]) == []
    report = report_with(cases.OVERRIDE["cells"])
    assert report and all(any(f"`{name}`" in line for line in report) for name in cases.OVERRIDE["names"]), report
