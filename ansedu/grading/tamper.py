"""Find code in a student's cells that could switch the tests off.

The tests run in the same Python process as the student's code, so an answer cell could
redefine a helper the tests use (``def check(*a, **k): pass``), patch the library or a module
the tests rely on (``np.allclose = ...``, ``ansedu.grading.ps1.check = ...``), or reach into
the interpreter (``sys.modules``, ``builtins``, ``exec``, ``__code__``). :func:`find_tampering`
reads the source of the cells a student may have changed (it never runs them) and lists every
such place. The autograder (:class:`ansedu.grading.preprocessors.RejectTampering`) fails every
test of a notebook with a finding; nothing a problem set asks for needs any of this.
"""

from __future__ import annotations

import ast

# Modules that give access to the interpreter's internals, the kernel or the graders.
FORBIDDEN_MODULES = {
    "sys", "builtins", "importlib", "imp", "ctypes", "gc", "inspect", "types", "unittest",
    "IPython", "ipykernel", "traitlets", "nbgrader", "nbclient", "runpy", "marshal", "code",
    "codeop", "signal", "threading", "_thread", "atexit", "faulthandler", "pytest",
    "ansedu.grading", "pdb", "bdb", "trace", "tracemalloc", "sysconfig", "site",
    # other threads and processes escape the guard's view of who calls the library
    "concurrent", "multiprocessing", "asyncio", "subprocess",
    # source code and stack frames of other cells (the hidden tests among them)
    "pkgutil", "linecache", "traceback", "dis", "pickle", "copyreg",
}
# Built-in functions that run code from strings or reach any name or attribute indirectly.
FORBIDDEN_CALLS = {
    "exec", "eval", "compile", "globals", "locals", "vars", "setattr", "delattr", "__import__",
    "get_ipython", "breakpoint", "getattr",
}
# Names a cell may not even mention: the functions above (an alias such as `run = exec` or
# `ip = get_ipython` reaches them without a call by name) and IPython's input history.
FORBIDDEN_NAMES = FORBIDDEN_CALLS | {"In", "Out", "_ih", "_oh", "_i", "_ii", "_iii", "_dh", "__IPYTHON__"}
# Attributes that lead to the interpreter, the graders, stack frames or other processes
# (`ansedu.grading.sys`, `os.sys`, `frame.f_back`, `os.system(...)`).
FORBIDDEN_ATTRIBUTES = {
    "grading", "sys", "modules", "setprofile", "settrace", "_getframe", "f_back", "f_globals",
    "f_locals", "f_code", "tb_frame", "gi_frame", "cr_frame", "system", "popen", "execv", "execl",
    "execvp", "spawnv", "spawnl", "fork", "posix_spawn", "input_transformers_post",
    "input_transformers_cleanup",
}
# IPython magics that only measure or display (``%timeit``, ``%matplotlib inline``, ...); shell
# escapes (``!ls``) run outside the kernel and are allowed too.
ALLOWED_MAGICS = {"timeit", "time", "matplotlib", "precision", "pprint", "who", "whos", "pinfo",
                  "pinfo2", "pdef", "pdoc", "psource", "capture", "writefile"}
# Special attributes a solution may use; every other __dunder__ attribute is refused.
ALLOWED_DUNDERS = {
    "__init__", "__name__", "__qualname__", "__doc__", "__class__", "__len__", "__iter__",
    "__next__", "__repr__", "__str__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
    "__hash__", "__contains__", "__getitem__", "__setitem__", "__bool__", "__int__", "__float__",
    "__index__", "__add__", "__sub__", "__mul__", "__enter__", "__exit__", "__post_init__",
}


def _to_python(source: str) -> str:
    """The cell as plain Python: IPython's magics and shell escapes become get_ipython() calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001  (no IPython, or a cell it cannot transform)
        return source


def _root(node):
    """The name at the start of an attribute or subscript chain (``a`` in ``a.b[c].d``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _chain_has_dunder(node) -> bool:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr not in ALLOWED_DUNDERS:
            return True
        node = node.value
    return False


def _harmless_ipython(call) -> bool:
    """get_ipython().run_line_magic("timeit", ...) and the like, or a shell escape."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return False
    if func.attr in ("system", "getoutput"):
        return True
    first = call.args[0] if call.args else None
    return (func.attr in ("run_line_magic", "run_cell_magic") and isinstance(first, ast.Constant)
            and first.value in ALLOWED_MAGICS)


def module_bindings(sources) -> dict[str, str]:
    """Names bound by import statements in `sources`: {name: what it imports}."""
    bound = {}
    for source in sources:
        try:
            tree = ast.parse(_to_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def protected_names(trusted_sources, helper_names=()) -> set[str]:
    """The names the tests rely on: every function, class and import bound at the top level of
    the tests' own cells, and the helpers the tests load from ansedu.grading."""
    names = set(helper_names) | {"fresh"}
    for source in trusted_sources:
        try:
            tree = ast.parse(_to_python(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def find_tampering(source: str, protected: set[str], modules: dict[str, str]) -> list[tuple[int, str]]:
    """(line, what) for every place in one student cell that could change how the tests run.

    protected: names the tests use (they must not be rebound at the top level of a cell);
    modules: the import bindings of the tests' cells ({name: imported thing}; importing the
    same thing again is fine, and attributes of these names must not be assigned)."""
    try:
        tree = ast.parse(_to_python(source))
    except SyntaxError:
        return []   # a cell that does not parse cannot run, so it changes nothing
    findings = []
    # what this cell imports is off limits too (`import numpy as n; n.allclose = ...`)
    patchable = {**module_bindings([source]), **modules}

    def add(node, what):
        if (getattr(node, "lineno", 0), what) not in findings:
            findings.append((getattr(node, "lineno", 0), what))

    def check_target(target, top):
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                check_target(element, top)
        elif isinstance(target, ast.Starred):
            check_target(target.value, top)
        elif isinstance(target, ast.Name):
            if top and target.id in protected:
                add(target, f"assigns to `{target.id}`, which the tests use")
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            if root in protected or root in patchable:
                add(target, f"changes `{ast.unparse(target)}`, part of what the tests use")
            elif _chain_has_dunder(target):
                add(target, f"changes the special attribute `{ast.unparse(target)}`")
            elif isinstance(target, ast.Attribute) and target.attr == "__class__":
                add(target, f"changes the class of an object (`{ast.unparse(target)}`)")

    def check_import(node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                full = alias.name
                if any(full == m or full.startswith(m + ".") for m in FORBIDDEN_MODULES):
                    add(node, f"imports `{full}`")
                bound = alias.asname or full.split(".")[0]
                what = full if alias.asname else full.split(".")[0]
                if bound in protected and modules.get(bound) != what:
                    add(node, f"rebinds `{bound}`, which the tests use")
        else:
            module = "." * node.level + (node.module or "")
            if node.level or any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES):
                add(node, f"imports from `{module}`")
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if alias.name == "*" or full in FORBIDDEN_MODULES:
                    add(node, f"imports `{full}`")
                bound = alias.asname or alias.name
                if bound in protected and modules.get(bound) != full:
                    add(node, f"rebinds `{bound}`, which the tests use")

    def visit(node, top):
        """top: whether names bound here are the notebook's globals (not inside a def or class)."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if top and node.name in protected:
                add(node, f"defines `{node.name}`, which the tests use")
            for child in node.decorator_list + getattr(node, "bases", []) + getattr(node, "keywords", []):
                visit(child, top)
            if not isinstance(node, ast.ClassDef):
                visit(node.args, top)
            for child in node.body:
                visit(child, False)
            return
        if isinstance(node, ast.Lambda):
            visit(node.args, top)
            visit(node.body, False)
            return
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                check_target(target, top)
            value = getattr(node, "value", None)
            imported = patchable.get(value.id, "") if isinstance(value, ast.Name) else ""
            if imported and "." not in imported:   # a whole module (`import numpy as np`)
                add(node, f"gives the module `{value.id}` another name")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr)):
            check_target(node.target, top and not isinstance(node, ast.comprehension))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            check_target(node.optional_vars, top)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                check_target(target, top)
        elif isinstance(node, ast.ExceptHandler) and node.name and top and node.name in protected:
            add(node, f"assigns to `{node.name}`, which the tests use")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                if name in protected:
                    add(node, f"declares `{name}` global, which the tests use")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            check_import(node)
        elif isinstance(node, ast.Call):
            if _harmless_ipython(node):
                for child in node.args[1:] + node.keywords:
                    visit(child, top)
                return
            if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                add(node, f"calls `{node.func.id}()`")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr not in ALLOWED_DUNDERS:
                add(node, f"uses the special attribute `{node.attr}`")
            elif node.attr in FORBIDDEN_ATTRIBUTES:
                add(node, f"uses the attribute `{node.attr}`")
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") and node.id not in ("__name__", "__doc__", "__class__"):
                add(node, f"uses `{node.id}`")
            elif node.id in FORBIDDEN_NAMES and not any(line == node.lineno and what.startswith(f"calls `{node.id}(")
                                                         for line, what in findings):
                add(node, f"uses `{node.id}`")
        for child in ast.iter_child_nodes(node):
            visit(child, top)

    visit(tree, True)
    return sorted(findings)
