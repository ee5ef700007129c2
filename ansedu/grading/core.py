"""What the helpers of every problem set share: failure messages and calls of student code."""

from __future__ import annotations

import contextlib
import signal
import textwrap

from . import guard

# `nbgrader validate` cuts every line of an error after 87 characters (90 minus its indent);
# the first line also carries the exception's name.
WIDTH = 80


class TestFailure(AssertionError):
    """A failed test, with a message for the student (what is wrong, and what to reread)."""

    __test__ = False  # not a pytest test class


def wrap(message: str, first_line_offset: int = len("TestFailure: ")) -> str:
    """The message with every line at most WIDTH characters (the first one shorter by the
    exception's name), so that no viewer cuts off the end, where the pointer to the book is."""
    lines = []
    for i, paragraph in enumerate(message.split("\n")):
        offset = first_line_offset if i == 0 else 0
        wrapped = textwrap.wrap(paragraph, WIDTH, initial_indent="\0" * offset,
                                break_long_words=True, break_on_hyphens=False) or [""]
        wrapped[0] = wrapped[0].lstrip("\0")
        lines += wrapped
    return "\n".join(lines)


def failure(message: str) -> TestFailure:
    return TestFailure(wrap(message))


def own_call(function, args, kwargs, task=None):
    """Call a student's function after checking that it is not the library's; fail if the call
    delegated to a forbidden part of the library (even if the student's code caught that)."""
    guard.forget_recorded()
    try:
        guard.check_own(function, task or getattr(function, "__qualname__", getattr(function, "__name__", "your code")))
    except guard.DelegationError as error:
        raise failure(str(error)) from None
    try:
        result = function(*args, **kwargs)
    except guard.DelegationError as error:
        raise failure(str(error)) from None
    except BaseException:
        guard.raise_recorded_as(failure)
        raise
    guard.raise_recorded_as(failure)
    return result


@contextlib.contextmanager
def time_limit(seconds):
    """Stop code that runs for too long (a loop that never ends) with a TimeoutError. The
    problem sets' helpers use it around every call of a student's function."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"did not finish within {seconds} s")
    try:
        old = signal.signal(signal.SIGALRM, on_alarm)
    except (AttributeError, ValueError):  # no SIGALRM (Windows) or not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
