"""Typical mistakes, one module per problem set, graded by tests/test_problem_sets.py.

Every problem set folder ``solutions/<assignment>/`` needs a module
``tests/problem_set_cases/<assignment>.py`` here (the test fails if it is missing). The module
has a docstring saying which misunderstanding its mistakes stand for, and one global::

    MISTAKES = [
        {
            "name": "forgets the log2",            # short, unique within the file
            "cells": {                             # answer cells to replace, by grade_id
                "entropy_answer": "def entropy(p):\\n    return -sum(q * q for q in p)\\n",
            },
            "message": "chapter 1",                # must appear in a failing test's output
        },
    ]

For each mistake the test takes the solution notebook, replaces the source of each named answer
cell (``solution: true`` in its nbgrader metadata; the key is its ``grade_id``) with the given
source, submits it as one student, autogrades it with the real nbgrader, and checks that

* it gets partial marks: 0 < autograded score < maximum, read from the gradebook;
* the output of a failing test cell (exception name, message or traceback, colours stripped)
  in the autograded notebook contains ``message``, so the test's feedback names the mistake
  or the chapter to reread.

Two more globals test the loopholes of autograding (issue 8), and every module must have them::

    SHORTCUT = {                                   # answers that delegate to the library
        "cells": {"entropy_answer": "import ansedu\\ndef entropy(p):\\n    return ansedu.entropy(p)\\n"},
        "failing": ["test_entropy_examples"],      # test cells that must fail, saying
    }                                              # "... calls ansedu.entropy ..."
    OVERRIDE = {                                   # the untouched notebook, with an answer cell
        "cells": {"entropy_answer": "def check(*a, **k):\\n    pass\\n"},   # that redefines
        "names": ["check"],                        # the tests' helpers: it must score zero and
    }                                              # every test must name these helpers

A mistake should be one a student is likely to make (off-by-one in a cumulative sum, natural
log instead of log2, forgetting to renormalize) and should leave other parts of the set working.
"""
