"""nbgrader configuration of the ansedu course; the repository root is the course directory.

Run nbgrader from the repository root (with .venv/bin first on PATH):

    nbgrader generate_assignment ps1_information_huffman --force

reads the source solutions/ps1_information_huffman/ and writes the student version to
problem_sets/ps1_information_huffman/. Gradebook, submissions, autograded notebooks and
feedback stay in this folder but out of git (see .gitignore). The exchange directory
(Exchange.root, default /srv/nbgrader/exchange) is a property of the machine, not of the
course: set it in /etc/jupyter/nbgrader_config.py on a JupyterHub (book: Instructor guide).
"""

from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "ansedu"
c.CourseDirectory.root = str(ROOT)

# Instructor sources (with solutions and hidden tests) and the student versions made from them.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "problem_sets"

# Student work; all ignored by git.
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# Files never copied into a release or a submission.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    ".virtual_documents",
    "__pycache__",
    "*.pyc",
    ".DS_Store",
    ".*.swp",
    "*~",
    "feedback",
]

# Every cell of a problem set runs in well under a second; a minute per cell catches
# code that never terminates (that cell is interrupted and its tests fail; the rest of
# the notebook and the other students are still graded).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# After a cell has finished, wait up to 30 s (nbclient's default: 4 s) for its last output;
# on a busy grading machine a late output otherwise aborts that student's whole notebook.
c.Execute.iopub_timeout = 30

# Autograding runs the student's code and the tests in one Python process. Right after the
# notebook has run, RejectTampering reads the cells the student could change (it never runs
# them) and fails every test of a notebook that redefines or patches what the tests use
# (ansedu/grading/tamper.py says what counts). The rest is nbgrader's default list.
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "ansedu.grading.preprocessors.RejectTampering",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback shows students their notebook with the test results. Hidden tests must not leak to
# the next cohort: ShowFailureMessages keeps each failing test's message but drops its
# traceback (which prints the lines around the failing one, hidden ones too) and any line of
# hidden test code left in an output; then ClearHiddenTests removes the hidden code itself.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "ansedu.grading.preprocessors.ShowFailureMessages",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# nbconvert's HTML exporter sets display_data_priority for every preprocessor, and nbgrader's
# NbGraderPreprocessor (the base of ClearHiddenTests) declares that option as not configurable,
# so generate_feedback warned "Config option `display_data_priority` not recognized by
# `ClearHiddenTests`". Accepting it silences the warning and changes nothing else.
from nbgrader.preprocessors.base import NbGraderPreprocessor  # noqa: E402

NbGraderPreprocessor.class_traits()["display_data_priority"].tag(config=True)
