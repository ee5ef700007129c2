"""nbgrader preprocessors of the course (configured in the repository's nbgrader_config.py).

- :class:`RejectTampering` runs in ``nbgrader autograde`` right after the notebook has been
  executed: if a cell the student could change redefines or patches what the tests use (see
  :mod:`ansedu.grading.tamper`), every test cell fails with a message that says where.
- :class:`ShowFailureMessages` runs in ``nbgrader generate_feedback`` before
  ``ClearHiddenTests``: test cells keep their failure message but lose the traceback (which
  prints the lines around the failing one, hidden ones too), and any line of hidden test code
  left in an output (a warning prints its source line) is removed.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from . import tamper

# Spelled in two pieces so that this file, which students get, does not hold the markers itself
# (the student-edition export refuses files that do: tasks.py, SOURCE_MARKERS).
BEGIN_HIDDEN = "### BEGIN " + "HIDDEN TESTS"
END_HIDDEN = "### END " + "HIDDEN TESTS"
# Shorter lines (`else:`, `break`, `)`) say nothing about a test and would match innocent text.
MIN_SECRET = 12
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    meta = _meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _trusted_sources(nb, resources) -> dict[int, bool]:
    """For every cell index: whether it is one of the course's locked cells, unchanged.

    A cell is trusted only if the gradebook has a locked source cell of the same grade_id whose
    source is the cell's source (nbgrader has restored locked cells before the notebook ran);
    without a gradebook, the cell's own metadata decides."""
    known = None
    info = resources.get("nbgrader", {}) if resources else {}
    if info.get("db_url") and info.get("assignment") and info.get("notebook"):
        try:
            from nbgrader.api import Gradebook
            with Gradebook(info["db_url"]) as gb:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
                known = {c.name: c.source for c in notebook.source_cells if c.locked}
        except Exception:  # noqa: BLE001  (no gradebook: fall back to the metadata)
            known = None
    trusted = {}
    for i, cell in enumerate(nb.cells):
        meta = _meta(cell)
        if known is not None:
            trusted[i] = meta.get("grade_id") in known and known[meta["grade_id"]] == cell.source
        else:
            trusted[i] = bool(meta.get("locked")) and not meta.get("solution")
    return trusted


def tampering_report(nb, trusted: dict[int, bool]) -> list[str]:
    """Every finding in the cells a student could change, as 'cell N (answer x), line L: ...'."""
    trusted_sources = [c.source for i, c in enumerate(nb.cells) if trusted[i] and c.cell_type == "code"]
    protected = tamper.protected_names(trusted_sources, helper_names=all_helper_names())
    student_sources = [c.source for i, c in enumerate(nb.cells) if not trusted[i] and c.cell_type == "code"]
    # a module imported in any student cell must not be patched in another
    modules = {**tamper.module_bindings(student_sources), **tamper.module_bindings(trusted_sources)}
    report = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or trusted[i]:
            continue
        grade_id = _meta(cell).get("grade_id")
        where = f"cell {i + 1}" + (f" (answer cell `{grade_id}`)" if grade_id else "")
        for line, what in tamper.find_tampering(cell.source, protected, modules):
            report.append(f"{where}, line {line}: {what}")
    return report


def all_helper_names() -> set[str]:
    """The helper names of every problem set module of ansedu.grading."""
    import ast
    from pathlib import Path
    names = set()
    for path in Path(__file__).resolve().parent.glob("ps*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HELPERS"
                                                    for t in node.targets):
                names.update(ast.literal_eval(node.value))
    return names


TAMPERING_MESSAGE = (
    "The autograder refused this notebook: code outside the test cells changes what the "
    "tests use, so no test can be trusted and every test scores 0. Remove it and submit "
    "again. (Answers never need to redefine the tests' helpers, patch modules, or use sys, "
    "builtins, exec, getattr or __special__ attributes.)"
)


class RejectTampering(Preprocessor):
    """Fail every test cell of a notebook whose student cells redefine or patch the tests'
    helpers, the library or the interpreter. Runs in autograde after Execute."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only if it is enabled").tag(config=True)

    def preprocess(self, nb, resources):
        report = tampering_report(nb, _trusted_sources(nb, resources))
        if not report:
            return nb, resources
        shown = report[:8] + ([f"... and {len(report) - 8} more"] if len(report) > 8 else [])
        message = TAMPERING_MESSAGE + "\nFound:\n" + "\n".join(f"- {line}" for line in shown)
        self.log.warning("%s: tampering found: %s", resources.get("nbgrader", {}).get("student"), report)
        for cell in nb.cells:
            if is_test_cell(cell):
                cell.outputs = [NotebookNode({
                    "output_type": "error", "ename": "TamperingError", "evalue": message,
                    "traceback": [f"TamperingError: {message}"],
                })]
        return nb, resources


def hidden_lines(nb) -> set[str]:
    """The stripped lines of hidden test code in the notebook that appear in no visible line."""
    hidden, visible = set(), set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if BEGIN_HIDDEN in line:
                inside = True
                hidden.add(line.strip())
                continue
            if END_HIDDEN in line:
                inside = False
                hidden.add(line.strip())
                continue
            (hidden if inside else visible).add(line.strip())
    # a line that is part of a visible line (`"the flush")`) gives nothing away
    return {line for line in hidden if len(line) >= MIN_SECRET and not any(line in v for v in visible)}


def _scrub(text: str, secret: set[str]) -> str:
    lines = ANSI.sub("", text).split("\n")
    kept = [line for line in lines if not any(s in line for s in secret)]
    return "\n".join(kept)


# The longest failure message a hidden test cell shows (the tests' own messages are shorter; a
# message that quotes a student's exception or output is cut there).
HIDDEN_MESSAGE_LIMIT = 1200


class ShowFailureMessages(Preprocessor):
    """Test cells show their failure message without a traceback; no line of hidden test code
    survives in any output. Runs in generate_feedback before ClearHiddenTests."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only if it is enabled").tag(config=True)

    def preprocess(self, nb, resources):
        secret = hidden_lines(nb)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            test = is_test_cell(cell)
            hidden = test and BEGIN_HIDDEN in cell.source
            outputs = []
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if hidden and kind != "error":
                    # Whatever a hidden test cell printed or displayed may come from the student's
                    # code (which could print the cell's own source, encoded): only the verdict shows.
                    continue
                if kind == "error":
                    message = _scrub(f"{output.get('ename', '')}: {output.get('evalue', '')}", secret)
                    if hidden and len(message) > HIDDEN_MESSAGE_LIMIT:
                        message = message[:HIDDEN_MESSAGE_LIMIT] + " [...]"
                        output["evalue"] = message.split(": ", 1)[-1]
                    if test or any(s in ANSI.sub("", line) for line in output.get("traceback", []) for s in secret):
                        output["traceback"] = [message]
                    else:
                        output["traceback"] = [_scrub(line, secret) for line in output.get("traceback", [])]
                    output["evalue"] = _scrub(output.get("evalue", ""), secret)
                elif kind == "stream":
                    output["text"] = _scrub(output.get("text", ""), secret)
                elif kind in ("execute_result", "display_data"):
                    for mime, value in list(output.get("data", {}).items()):
                        if mime.startswith("text/") and isinstance(value, str):
                            output["data"][mime] = _scrub(value, secret)
                outputs.append(output)
            cell["outputs"] = outputs
        return nb, resources
