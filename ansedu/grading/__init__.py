"""Grading support for the problem sets: helpers the tests use, and what keeps them honest.

This subpackage is for the problem sets' *tests*, not for students' answers (an answer that
imports it is refused at grading). It closes three loopholes of autograding in the student's
own Python process:

1. **Delegating to the library** (``def entropy(p): return ansedu.entropy(p)``):
   :mod:`ansedu.grading.guard` makes the parts of the library that a set forbids fail when a
   test runs the student's code and that code calls them, with a message naming both.
2. **Switching the tests off** (``def check(*a, **k): pass`` in an answer cell): every test
   cell starts with ``fresh("psN")``, which loads the set's helpers anew from their file into
   the notebook (undoing any redefinition), and the autograder refuses a notebook whose student
   cells redefine or patch what the tests use (:mod:`ansedu.grading.tamper`, run by
   :class:`ansedu.grading.preprocessors.RejectTampering`).
3. **Feedback that shows hidden tests**: :class:`ansedu.grading.preprocessors.ShowFailureMessages`
   replaces the tracebacks of test cells by their failure messages and removes any line of
   hidden test code from the outputs before the feedback is made.

Each problem set has a module here (``ps1.py``, ...) with its helpers and its bans; the recipe
for a new set is in CONTRIBUTING.md ("Writing a problem set").
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from . import guard

__all__ = ["fresh"]

_HERE = Path(__file__).resolve().parent


def fresh(problem_set: str, namespace: dict | None = None) -> None:
    """Load the helpers of `problem_set` (the module ``ansedu/grading/<problem_set>.py``) anew
    from its file, put them into the calling cell's namespace (or `namespace`), mark the calling
    cell as test code, and install the set's bans on library functions.

    Returns None on purpose: a test cell whose last statement has a value shows it as its
    output, and nbgrader reads such an output as the cell's score.

    The first line of every set-up and test cell of a problem set is
    ``from ansedu.grading import fresh; fresh("psN")``."""
    caller = sys._getframe(1)
    path = _HERE / f"{problem_set}.py"
    if not path.is_file():
        raise ValueError(f"no grading helpers for {problem_set!r}: expected {path}")
    spec = importlib.util.spec_from_file_location(f"ansedu.grading.{problem_set}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    guard.register_trusted(caller.f_code.co_filename)
    for objects, tasks in getattr(module, "BANS", []):
        guard.install(objects, getattr(module, "ALLOWED", ()), tasks=tasks)
    target = caller.f_globals if namespace is None else namespace
    module.NOTEBOOK = target
    for name in module.HELPERS:
        target[name] = getattr(module, name)
