"""The judge's side of values: learner objects as `RemoteObject` proxies, and the codec
of arguments and results (gradeschool.grading.worker.wire says what travels).

In-place updates. Every array the judge sends is linked to the worker's copy, so that the
same judge array is the same array there. Only the arguments of a function or class that
the catalogue says updates its arguments in place (`updates_in_place`: the optimizers,
gradient clipping, the schedulers' stand-in, train_mlp), and the objects those return
(an optimizer and its `step`), are sent with `back`: their new contents are copied into
the judge's arrays after each call. Whatever else learner code changes in place stays in
the worker: the reference a test computes later from its own arrays is never the
learner's doing. The judge is told which links changed and fails the call the way the
in-process oracle fails an input changed in place (`InputChanged`)."""

from __future__ import annotations

import ast
import builtins
import inspect
import itertools
import math
import types
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from gradeschool.grading.errors import WorkerCrashed
from gradeschool.grading.worker.wire import BIT_GENERATORS, MAX_NAME, Tag, clip, contiguous
from gradeschool.testing.oracle import LearnerFailure

if TYPE_CHECKING:
    from gradeschool.grading.isolated import IsolatedImplementation

PURE_GLOBALS = {"np": np, "math": math}


class InputChanged(LearnerFailure):
    """Learner code changed an argument in place that it must not change."""


class RemoteObject:
    """A learner function, class or object that lives in the worker. `_writes`: it may
    update its arguments in place (see the module docstring)."""

    __slots__ = ("_impl", "_id", "_gen", "_type", "_name", "_kind", "_writes", "__weakref__")

    def __init__(self, impl: IsolatedImplementation, meta: dict, gen: int, writes: bool = False):
        object.__setattr__(self, "_impl", impl)
        object.__setattr__(self, "_id", int(meta[Tag.HANDLE]))
        object.__setattr__(self, "_gen", gen)
        object.__setattr__(self, "_type", clip(meta.get("type", "object"), MAX_NAME))
        object.__setattr__(self, "_name", clip(meta.get("name", ""), MAX_NAME))
        object.__setattr__(self, "_kind", clip(meta.get("kind", "object"), 20))
        object.__setattr__(self, "_writes", bool(writes))

    def __repr__(self) -> str:
        return f"<{self._kind} {self._name or self._type} of the submission>"

    def __getattr__(self, name: str) -> Any:
        if name in ("__name__", "__qualname__"):
            if self._name:
                return self._name
            raise AttributeError(name)
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._impl._rpc("getattr", target=self, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._impl._rpc("setattr", target=self, name=name, value=value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._impl._rpc("call", target=self, args=args, kwargs=kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._impl._rpc("getitem", target=self, key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._impl._rpc("setitem", target=self, key=key, value=value)

    def __len__(self) -> int:
        n = self._impl._rpc("len", target=self)
        if type(n) is not int:
            raise TypeError("len() of a learner object is not an int")
        return n

    def __contains__(self, value: Any) -> bool:
        return bool(self._impl._rpc("contains", target=self, value=value) is True)

    def __iter__(self):
        it = self._impl._rpc("iter", target=self)
        while True:
            step = self._impl._rpc("next", target=it)
            if Tag.NEXT not in step:
                return
            yield step[Tag.NEXT]

    def __del__(self) -> None:
        try:
            self._impl._release(self._gen, self._id)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def pure_function(fn: types.FunctionType) -> dict:
    """The wire form of a judge-side function given to learner code (numerical_gradient's
    f): its source, which the worker runs in a fresh namespace holding only `np` and `math`.
    Only a plain `def` at the top level of its module qualifies: no closure, no default
    values, no decorator, and no global name but np, math, builtins and other such
    functions of the same module (sent with it, helpers first)."""
    sources: dict[str, str] = {}
    _pure_source(fn, sources, depth=0)
    return {"name": fn.__name__, "source": "\n\n".join(reversed(sources.values()))}


def _pure_source(fn: types.FunctionType, sources: dict[str, str], depth: int) -> None:
    refused = TypeError(f"cannot send the function {getattr(fn, '__qualname__', fn)!r} to the learner's "
                        "code: only a plain top-level `def` that uses nothing but np, math, builtins and such "
                        "functions can be sent")
    if depth > 8 or fn.__name__ != fn.__qualname__ or not fn.__name__.isidentifier() or fn.__closure__ \
            or fn.__defaults__ or fn.__kwdefaults__ or fn.__code__.co_freevars:
        raise refused
    try:
        source = inspect.getsource(fn)
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        raise refused from None
    if len(tree.body) != 1 or type(tree.body[0]) is not ast.FunctionDef:
        raise refused
    node = tree.body[0]
    if node.name != fn.__name__ or node.decorator_list:
        raise refused
    sources[fn.__name__] = source
    local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for n in ast.walk(node):
        if isinstance(n, ast.Global | ast.Nonlocal | ast.Import | ast.ImportFrom):
            raise refused
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local:
            found = fn.__globals__.get(n.id)
            if n.id in PURE_GLOBALS:
                if found is not PURE_GLOBALS[n.id]:
                    raise refused
            elif type(found) is types.FunctionType and found.__module__ == fn.__module__:
                if n.id not in sources:
                    _pure_source(found, sources, depth + 1)
            elif n.id not in vars(builtins) or n.id in fn.__globals__:
                raise refused


class Codec:
    """Links and the wire form of values, for one IsolatedImplementation."""

    def __init__(self, impl: IsolatedImplementation):
        self.impl = impl
        self.links: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._link_of: dict[int, int] = {}
        self.namespaces: dict[int, types.SimpleNamespace] = {}
        self._ns_link: dict[int, int] = {}
        self._next = itertools.count(1)
        # links (arrays; namespaces negated) the judge itself sent with `back`: the only ones
        # whose changes it copies, whatever the worker claims
        self.back: set[int] = set()

    def _link(self, arr: np.ndarray) -> int:
        link = self._link_of.get(id(arr))
        if link is not None and self.links.get(link) is arr:
            return link
        link = next(self._next)
        self.links[link] = arr
        self._link_of[id(arr)] = link
        weakref.finalize(arr, self._link_of.pop, id(arr), None)
        return link

    def encode(self, value: Any, arrays: list, back: bool = False, refs: dict | None = None,
               slots: dict | None = None, depth: int = 0) -> Any:
        """The wire form of `value`. `back`: its arrays may come back changed (see the
        module docstring). A speed program's step: `refs` maps id -> (object, [step, path])
        of earlier results, sent as references; `slots` maps id -> (array, index) of the
        inputs that change from run to run; its other arrays are sent unlinked."""
        if depth > 50:
            raise TypeError("arguments nested too deeply")
        program = refs is not None
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if program and t not in (int, float):
            if id(value) in slots and slots[id(value)][0] is value:
                return {Tag.SLOT: slots[id(value)][1]}
            known = refs.get(id(value))
            if known is not None and known[0] is value:
                return {Tag.REF: known[1]}

        def inner(v: Any) -> Any:
            return self.encode(v, arrays, back, refs, slots, depth + 1)

        if t is types.FunctionType:
            return {Tag.FUNCTION: pure_function(value)}
        if t is int:
            return value if abs(value) < 2**63 else {Tag.BIGINT: str(value)}
        if t is float:
            return {Tag.FLOAT: repr(value)}
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise TypeError("object arrays cannot be sent to learner code")
            arrays.append(contiguous(value))
            body = {"index": len(arrays) - 1}
            if not program:
                body.update(link=self._link(value), back=back)
                if back:
                    self.back.add(body["link"])
            return {Tag.ARRAY: body}
        if isinstance(value, np.generic):
            arrays.append(np.asarray(value))
            return {Tag.SCALAR: len(arrays) - 1}
        if t is np.dtype or isinstance(value, np.dtype):
            return {Tag.DTYPE: value.str}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {Tag.TYPE: np.dtype(value).str}
        if t in (tuple, list):
            return {t.__name__: [inner(v) for v in value]}
        if t is dict:
            return {Tag.DICT: [[inner(k), inner(v)] for k, v in value.items()]}
        if t is RemoteObject:
            if value._gen != self.impl._gen:
                raise WorkerCrashed("this object came from a worker process that was restarted "
                                    "(after a timeout or a crash)")
            return {Tag.HANDLE: value._id}
        if t is types.SimpleNamespace:
            link = self._ns_link.get(id(value))
            if link is None or self.namespaces.get(link) is not value:
                link = next(self._next)
                self.namespaces[link] = value
                self._ns_link[id(value)] = link
            if back:
                self.back.add(-link)
            return {Tag.NAMESPACE: {"link": link, "back": back, "attrs": inner(dict(vars(value)))}}
        if t is np.random.Generator:  # a copy at the same state: the caller's is not advanced
            bits = value.bit_generator
            if type(bits).__name__ not in BIT_GENERATORS:
                raise TypeError(f"cannot send a Generator of {type(bits).__name__} to the learner's code")
            return {Tag.GENERATOR: {"bit_generator": type(bits).__name__, "state": inner(bits.state)}}
        if t is slice:
            return {Tag.SLICE: [inner(v) for v in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {Tag.ELLIPSIS: None}
        raise TypeError(f"cannot send a {t.__module__}.{t.__qualname__} to the learner's code")

    def decode(self, value: Any, arrays: list, writes: bool = False, depth: int = 0) -> Any:
        """A value from the worker; objects become RemoteObjects (`writes` inherited)."""
        if depth > 60:
            raise ValueError("nested too deeply")
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is not dict:
            raise ValueError("malformed value")
        if Tag.HANDLE in value:
            return RemoteObject(self.impl, value, self.impl._gen, writes)
        if len(value) != 1:
            raise ValueError("malformed value")
        ((tag, body),) = value.items()

        def inner(v: Any) -> Any:
            return self.decode(v, arrays, writes, depth + 1)

        if tag == Tag.FLOAT:
            return float(body)
        if tag == Tag.BIGINT:
            return int(clip(body, 5000))
        if tag == Tag.ARRAY:
            return arrays[body]
        if tag == Tag.SCALAR:
            return arrays[body][()]
        if tag == Tag.DTYPE:
            return np.dtype(str(body))
        if tag == Tag.TUPLE:
            return tuple(inner(v) for v in body)
        if tag == Tag.LIST:
            return [inner(v) for v in body]
        if tag == Tag.DICT:
            return {inner(k): inner(v) for k, v in body}
        if tag == Tag.NEXT:
            return {Tag.NEXT: inner(body)}
        if tag == Tag.STOP:
            return {}
        raise ValueError(f"unknown tag {clip(tag, 40)!r}")

    def apply_changes(self, reply: dict, out: list, what: str, writes: bool = False) -> None:
        """Copy back what may come back (see the module docstring); fail on the rest. The
        judge decides what may come back: only during a call of something that updates its
        arguments (`writes`), and only into arrays and namespaces the judge sent with
        `back`. Any other update the worker sends counts as an input changed in place."""
        changed = list(reply.get("changed", []))
        for link, index in reply.get("updates", []):
            mine, new = self.links.get(link), out[index]
            if not (writes and link in self.back):
                changed.append(link)
            elif mine is not None and mine.shape == new.shape and mine.dtype == new.dtype \
                    and mine.flags.writeable:
                np.copyto(mine, new)
        for link, attrs in reply.get("namespaces", []):
            ns = self.namespaces.get(link)
            if not (writes and -link in self.back):
                changed.append(-link)
            elif ns is not None:
                values = self.decode(attrs, out)
                ns.__dict__.clear()
                ns.__dict__.update({str(k): v for k, v in values.items()})
        if changed and reply.get("error") is None:
            raise InputChanged(
                f"{what}\n  modified an input in place (the caller's arrays must not change)\n"
                "  hint: work on a copy (x = x.copy(), or out-of-place operations: x = x - m). Only "
                "optimizers, gradient clipping and train_mlp update their arguments in place.")
