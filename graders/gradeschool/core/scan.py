"""Reading learner source without running it: the imports it makes and the functions
that are still stubs.

An import of anything but NumPy, the standard library and the sibling topic modules is
refused with the line that does it; a function (or a method of a class) whose body is
still `raise NotImplementedError` is "not started" without being called."""

from __future__ import annotations

import ast
import sys

ALLOWED_THIRD_PARTY = frozenset({"numpy"})
IMPORT_FUNCTIONS = frozenset({"__import__", "import_module"})


def _is_allowed(module: str, siblings: frozenset[str]) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or top in siblings
        or top == "__future__"
    )


def find_forbidden_imports(source: str, siblings: frozenset[str] = frozenset()) -> list[str]:
    """Describe every import of something other than NumPy, the standard library and the
    sibling topic modules: `import x`, `from x import y`, `__import__("x")` and
    `importlib.import_module("x")` with a literal name."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            fname = getattr(func, "id", None) or getattr(func, "attr", None)
            if fname in IMPORT_FUNCTIONS and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names = [arg.value]
        for name in names:
            if not _is_allowed(name, siblings):
                line = ast.get_source_segment(source, node) or name
                problems.append(f"line {node.lineno}: `{line.strip()}` imports {name!r}")
    return problems


def _body_is_stub(body: list[ast.stmt]) -> bool:
    """True for a body that is only a docstring, `pass`/`...` and `raise NotImplementedError`."""
    rest = [
        s
        for s in body
        if not (isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)))
    ]
    if len(rest) != 1 or not isinstance(rest[0], ast.Raise) or rest[0].exc is None:
        return False
    exc = rest[0].exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def find_stubs(source: str) -> dict[str, list[str]]:
    """Top-level functions and classes that are still stubs, mapped to the stubbed parts:
    a function whose body only raises NotImplementedError, a class with such a method."""
    stubs: dict[str, list[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _body_is_stub(node.body):
            stubs[node.name] = [node.name]
        elif isinstance(node, ast.ClassDef):
            methods = [
                f"{node.name}.{m.name}"
                for m in node.body
                if isinstance(m, ast.FunctionDef) and _body_is_stub(m.body)
            ]
            if methods:
                stubs[node.name] = methods
    return stubs
