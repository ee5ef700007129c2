"""The delegation guard: a graded function must be the student's own code.

A problem set forbids the parts of the library that solve its tasks (PS1 forbids
``ansedu.entropy`` and ``ansedu.HuffmanCode``, PS2 ``ansedu.UniformCoder``, ...). While a test
cell runs a student's function, a call of a forbidden part of the library fails with a
:class:`DelegationError` that names the task and the library function it called.

How. :func:`install` swaps the code object of every forbidden function (the functions and
methods of the modules that define the forbidden objects, minus what the set allows) for a
small trampoline that asks :func:`_dispatch` before running the original. Swapping the code,
rather than the module attribute, also catches references taken before the guard was
installed (``from ansedu import entropy as e``) and methods reached through a subclass
(``class StackCoder(ansedu.UniformCoder): pass``). :func:`_dispatch` lets a call through unless

* it comes from outside the library (library-internal calls are free), and
* the call stack holds a frame of student code (a notebook cell that is not a registered test
  or set-up cell, or a file outside the library and the Python installation) above a frame of
  a registered test cell: the test is running the student's code, and that code delegates.

So the tests themselves may use the library for expected values, and so may a student in a
scratch cell (to compare), but not inside a graded function while it is being tested. A
student's function that *is* the library's (an alias, a subclass, a class attribute bound to
a library method) is caught by :func:`check_own` before the test calls it. A violation is
also recorded, so that code which catches the error is still failed (:func:`raise_recorded`).
"""

from __future__ import annotations

import functools
import os
import sys
import types

import ansedu

_DISPATCH = "__ansedu_grading_dispatch__"

_ORIGINALS: dict[int, tuple[types.FunctionType, str]] = {}   # id(function) -> (original, name)
_WRAPPED: set[int] = set()            # ids of the library functions that carry a trampoline
_FORBIDDEN: dict[int, object] = {}    # id(function) -> None (all tasks) or a set of task names
_FORBIDDEN_CLASSES: dict[type, str] = {}
_TRUSTED: set[str] = set()            # file names of registered test and set-up cells
_RECORDED: list[str] = []             # violations not yet reported

_LIBRARY = os.path.dirname(os.path.abspath(ansedu.__file__))
_GRADING = os.path.dirname(os.path.abspath(__file__))
_NEUTRAL_PREFIXES = tuple({os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


class DelegationError(AssertionError):
    """A graded function calls the library's own solution of its task."""


def register_trusted(filename: str) -> None:
    """Mark the code of one notebook cell (by its file name) as the tests' own code."""
    _TRUSTED.add(filename)


def _public_name(obj, owner=None) -> str:
    """``ansedu.X`` or ``ansedu.X.method`` where the library exports it, else module.qualname."""
    exported = {id(v): k for k, v in vars(ansedu).items() if not k.startswith("_")}
    if owner is not None and id(owner) in exported:
        if obj.__name__ == "__init__":
            return f"ansedu.{exported[id(owner)]}"
        return f"ansedu.{exported[id(owner)]}.{obj.__name__}"
    if id(obj) in exported:
        return f"ansedu.{exported[id(obj)]}"
    return f"{getattr(obj, '__module__', 'ansedu')}.{getattr(obj, '__qualname__', obj.__name__)}"


def _trampoline(function: types.FunctionType) -> types.CodeType:
    """A code object with the same free variables as `function` that calls the dispatcher."""
    free = function.__code__.co_freevars
    touch = "".join(f"        {name}\n" for name in free)
    source = (
        "def _outer():\n"
        + "".join(f"    {name} = None\n" for name in free)
        + "    def _inner(*args, **kwargs):\n"
        + touch
        + f"        return {_DISPATCH}({id(function)}, args, kwargs)\n"
        "    return _inner\n"
    )
    namespace: dict = {}
    exec(compile(source, f"<ansedu.grading guard of {function.__qualname__}>", "exec"), namespace)
    code = namespace["_outer"]().__code__
    assert code.co_freevars == free, (code.co_freevars, free)
    return code.replace(co_name=function.__code__.co_name, co_qualname=function.__code__.co_qualname)


def _wrap(function: types.FunctionType, name: str) -> None:
    if id(function) in _WRAPPED:
        return
    original = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
    original.__kwdefaults__ = function.__kwdefaults__
    original.__qualname__ = function.__qualname__
    _ORIGINALS[id(function)] = (original, name)
    function.__globals__[_DISPATCH] = _dispatch
    function.__code__ = _trampoline(function)
    _WRAPPED.add(id(function))


def _functions_of(obj):
    """(function, owner class or None) for a function, or for every method of a class."""
    if isinstance(obj, types.FunctionType):
        yield obj, None
    elif isinstance(obj, type):
        for value in vars(obj).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                for accessor in (value.fget, value.fset, value.fdel):
                    if isinstance(accessor, types.FunctionType):
                        yield accessor, obj
            elif isinstance(value, types.FunctionType):
                yield value, obj


def _module_objects(obj):
    """Everything defined in the module that defines `obj` (its private helpers too)."""
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    if module is None:
        return [obj]
    return [v for v in vars(module).values()
            if isinstance(v, (types.FunctionType, type)) and getattr(v, "__module__", None) == module.__name__
            and not issubclass_safe(v, BaseException)]


def issubclass_safe(obj, cls) -> bool:
    return isinstance(obj, type) and issubclass(obj, cls)


def install(forbidden, allowed=(), tasks=None) -> None:
    """Forbid the library objects `forbidden` (and everything defined in their modules, except
    the objects in `allowed`) in student code that a test runs. With `tasks` (names of the
    graded functions, e.g. ``{"interval", "lookup"}``) the ban holds only inside those tasks.
    Calling it again adds to the bans."""
    allowed_ids = {id(f) for obj in allowed for f, _ in _functions_of(obj)} | {id(obj) for obj in allowed}
    scope = None if tasks is None else set(tasks)
    for obj in forbidden:
        for item in _module_objects(obj):
            if id(item) in allowed_ids:
                continue
            if isinstance(item, type):
                _FORBIDDEN_CLASSES.setdefault(item, _public_name(item))
            for function, owner in _functions_of(item):
                if id(function) in allowed_ids:
                    continue
                _wrap(function, _public_name(function, owner))
                previous = _FORBIDDEN.get(id(function), set())
                _FORBIDDEN[id(function)] = None if scope is None or previous is None else previous | scope


@functools.lru_cache(maxsize=4096)
def _is_library(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_LIBRARY + os.sep) and not path.startswith(_GRADING + os.sep)


@functools.lru_cache(maxsize=4096)
def _is_outside_code(filename: str) -> bool:
    """A file that is neither the library nor the Python installation (nor a pseudo-file)."""
    if filename.startswith("<"):
        return filename.startswith("<ipython-input-")
    path = os.path.abspath(filename)
    return not (path.startswith(_LIBRARY + os.sep) or path.startswith(_NEUTRAL_PREFIXES))


def _is_student(filename: str) -> bool:
    """Code a student may have written: a cell that is not a registered test cell, or a file
    outside the library and the Python installation."""
    return filename not in _TRUSTED and _is_outside_code(filename)


def _student_task(frame):
    """The innermost student function in the stack, if a registered test cell is below it."""
    task = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename in _TRUSTED:
            return task
        if task is None and _is_student(filename):
            task = frame.f_code.co_qualname
        frame = frame.f_back
    return None


def _students_tasks(frame) -> set[str]:
    names = set()
    while frame is not None:
        if frame.f_code.co_filename in _TRUSTED:
            return names
        if _is_student(frame.f_code.co_filename):
            names.add(frame.f_code.co_name)
        frame = frame.f_back
    return set()


def _message(task: str, library_name: str) -> str:
    return (f"{task} calls {library_name}, the library's own version of what this task asks you "
            f"to write. The graded code must be your own: write it without {library_name}.")


def _dispatch(key, args, kwargs):
    original, name = _ORIGINALS[key]
    caller = sys._getframe(2)
    if not _is_library(caller.f_code.co_filename):
        task = _student_task(caller)
        scope = _FORBIDDEN.get(key)
        if task is not None and (scope is None or scope & _students_tasks(caller)):
            message = _message(task, name)
            _RECORDED.append(message)
            raise DelegationError(message)
    return original(*args, **kwargs)


def check_own(obj, task: str) -> None:
    """Fail if the student's `obj` (a function, class, bound method or partial) *is* a
    forbidden part of the library: an alias, a subclass or a class that borrows its methods."""
    seen = set()

    def library_name(item):
        if isinstance(item, functools.partial):
            return library_name(item.func)
        if isinstance(item, (types.MethodType,)):
            return library_name(item.__func__) or library_name(type(item.__self__))
        if isinstance(item, (staticmethod, classmethod)):
            return library_name(item.__func__)
        if isinstance(item, types.FunctionType):
            if id(item) in _WRAPPED and _FORBIDDEN.get(id(item), set()) is None or (
                    id(item) in _WRAPPED and task.split(".")[0] in (_FORBIDDEN.get(id(item)) or ())):
                return _ORIGINALS[id(item)][1]
            return None
        if isinstance(item, type):
            if id(item) in seen:
                return None
            seen.add(id(item))
            for base in item.__mro__:
                if base in _FORBIDDEN_CLASSES:
                    return _FORBIDDEN_CLASSES[base]
            for value in vars(item).values():
                found = library_name(value)
                if found:
                    return found
            return None
        if not isinstance(item, (int, float, str, bytes, list, tuple, dict, type(None))):
            return library_name(type(item))
        return None

    found = library_name(obj)
    if found:
        message = _message(task, found)
        _RECORDED.append(message)
        raise DelegationError(message)


def raise_recorded() -> None:
    """Raise the first violation recorded since the last call (the student's code may have
    caught the error), and forget them all."""
    if _RECORDED:
        message = _RECORDED[0]
        _RECORDED.clear()
        raise DelegationError(message)


def forget_recorded() -> None:
    _RECORDED.clear()


def raise_recorded_as(make_error) -> None:
    """Like raise_recorded, with the exception made by make_error(message)."""
    if _RECORDED:
        message = _RECORDED[0]
        _RECORDED.clear()
        raise make_error(message) from None


def take_recorded():
    """The first violation recorded since the last call, or None; forgets them all."""
    message = _RECORDED[0] if _RECORDED else None
    _RECORDED.clear()
    return message
