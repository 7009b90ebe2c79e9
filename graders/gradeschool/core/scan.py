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
    from gradeschool.core.local import NAMESPACE_PREFIX

    parts = module.split(".")
    if len(parts) == 2 and parts[0].startswith(NAMESPACE_PREFIX):
        parts = parts[1:]  # a sibling topic module as an implementation loads it
    top = parts[0]
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


# ---------------------------------------------------------------- calls an exercise forbids
def _import_aliases(nodes) -> dict[str, str]:
    """name -> dotted path bound by the imports among `nodes`: `import numpy as np` gives
    np -> numpy, `from numpy import tanh as t` gives t -> numpy.tanh."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                if a.name != "*":
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """`np.linalg.norm` -> numpy.linalg.norm through the aliases; `getattr(np, "tanh")` too."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)):
        base = _dotted(node.args[0], aliases)
        return f"{base}.{node.args[1].value}" if base else None
    return None


def _reachable(tree: ast.Module, roots) -> list[ast.AST]:
    """The top-level definitions named in `roots`, and the top-level functions and classes
    they use by name, transitively (helpers count: moving np.tanh into one is no way out)."""
    top = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    todo, seen = [r for r in roots if r in top], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [n.id for n in ast.walk(top[name]) if isinstance(n, ast.Name) and n.id in top]
    return [top[n] for n in top if n in seen]


def _uses(source: str, nodes, aliases: dict[str, str], forbidden) -> list[str]:
    problems = []
    for definition in nodes:
        local = {**aliases, **_import_aliases(ast.walk(definition))}
        for node in ast.walk(definition):
            dotted = _dotted(node, local) if isinstance(node, ast.Name | ast.Attribute | ast.Call) else None
            if dotted in forbidden:
                text = (ast.get_source_segment(source, node) or dotted).strip()
                problems.append(f"line {node.lineno}: `{text}` uses {dotted}")
    return list(dict.fromkeys(problems))


def find_forbidden_calls(source: str, functions, forbidden) -> list[str]:
    """Uses of the dotted names in `forbidden` (say numpy.tanh) by the top-level functions
    or classes `functions` of a module, or by the module's helpers they call: `np.tanh`,
    `numpy.tanh`, `from numpy import tanh`, `getattr(np, "tanh")`."""
    if not forbidden:
        return []
    tree = ast.parse(source)
    return _uses(source, _reachable(tree, functions), _import_aliases(tree.body), set(forbidden))


# ---------------------------------------------------------------- functions from a notebook
def _installed_package(module: str) -> bool:
    """Whether `module` was imported from an installed package (site-packages)."""
    found = sys.modules.get(module.split(".")[0])
    path = getattr(found, "__file__", None) or ""
    return "site-packages" in path or "dist-packages" in path


def _live_aliases(fn) -> dict[str, str]:
    """name -> dotted path of the modules, and of installed packages' functions and
    classes, that a live function's globals and closure bind (the notebook's own functions
    are left out: they are read in turn)."""
    bound = dict(getattr(fn, "__globals__", {}))
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            bound[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    aliases = {}
    for name, value in bound.items():
        if isinstance(value, type(sys)):
            aliases[name] = value.__name__
            continue
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and callable(value) and _installed_package(module):
            aliases[name] = f"{module}.{getattr(value, '__name__', name)}"
    return aliases


def live_function_problems(fn, forbidden=(), siblings: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """('forbidden import' | 'forbidden call', problems) for a function defined outside the
    learner's files (a notebook cell): the same import rule as a file, applied to what its
    source imports and to the modules and functions its globals and closure bind, and the
    exercise's forbidden calls. Helpers it calls from the same notebook are read too."""
    import inspect
    import textwrap
    import types

    todo, seen = [fn], set()
    imports: list[str] = []
    calls: list[str] = []
    while todo:
        f = todo.pop()
        if not isinstance(f, types.FunctionType) or id(f) in seen:
            continue
        seen.add(id(f))
        try:
            source = textwrap.dedent(inspect.getsource(f))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError):
            continue
        where = f"`{f.__name__}`"
        imports += [f"{where} {p}" for p in find_forbidden_imports(source, siblings)]
        aliases = _live_aliases(f)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        names -= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                  for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a is not None}
        for name in sorted(names & aliases.keys()):
            if not _is_allowed(aliases[name], siblings):
                imports.append(f"{where} uses `{name}`, which is {aliases[name]}")
        calls += [f"{where} {p}" for p in _uses(source, tree.body, aliases, set(forbidden))]
        todo += [f.__globals__.get(n) for n in names if n != f.__name__]
    if imports:
        return "forbidden import", list(dict.fromkeys(imports))
    return "forbidden call", list(dict.fromkeys(calls))


IMPORT_RULE = ("Exercises may import NumPy and the Python standard library only: the tests compare "
               "your code with torch, so torch must not do the work.")


def rule_problem(impl, exercise, module: str, siblings: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(status, message) when the code of `exercise` breaks a rule that an import check of
    its file cannot see: a call the exercise forbids (numpy.tanh in tanh), or, for
    functions handed in from a notebook (`impl.overrides`), the import rule itself."""
    given = getattr(impl, "overrides", {}).get(exercise.topic, {})
    for name in exercise.functions:
        if name in given:
            status, problems = live_function_problems(given[name], exercise.forbidden, siblings)
            if problems:
                return status, _rule_message(status, problems[0], exercise)
    rest = [f for f in exercise.functions if f not in given]
    if not (rest and exercise.forbidden):
        return None
    try:
        source = (impl.root / module).read_text(encoding="utf-8")
        problems = find_forbidden_calls(source, rest, exercise.forbidden)
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None  # the file's own state (missing, unreadable) is reported elsewhere
    return ("forbidden call", _rule_message("forbidden call", f"{module} {problems[0]}", exercise)) \
        if problems else None


def _rule_message(status: str, problem: str, exercise) -> str:
    if status == "forbidden import":
        return f"{problem}. {IMPORT_RULE}"
    return (f"{problem}: {exercise.name} may not use {', '.join(exercise.forbidden)} (its docstring "
            "says so): the exercise is to write it from NumPy's basic operations.")
