"""The worker's side of values: decoding the judge's arguments, encoding results, handles
for the objects that stay here, and what learner code changed in place.

Every array the judge sends carries a link: the same judge array always arrives as the
same array here (learner code that keeps a reference, as an early-stopping object might,
sees later contents as it would in-process). A link sent with `back` (an argument of a
function the catalogue says updates its arguments in place: an optimizer, gradient
clipping) may send its new contents back to the judge after a call; any other link that
learner code changed is only named in the reply (`changed`), and its contents stay here.
The judge's SimpleNamespace objects (an optimizer stand-in for a scheduler) work the same
way."""

from __future__ import annotations

import builtins
import math
import types
import weakref

import numpy as np

from .wire import BIT_GENERATORS, DTYPE_KINDS, MAX_NAME, ProtocolError, Tag, clip


class Namespace(types.SimpleNamespace):
    """A judge's SimpleNamespace, here."""


class Ref:
    """In a speed program: (part of) the result of an earlier step."""

    __slots__ = ("step", "path")

    def __init__(self, body):
        if not isinstance(body, list) or len(body) != 2 or type(body[0]) is not int \
                or not isinstance(body[1], list):
            raise ProtocolError("malformed reference")
        self.step, self.path = body


class Slot:
    """In a speed program: one of the input arrays that change from run to run."""

    __slots__ = ("index",)

    def __init__(self, index):
        if type(index) is not int:
            raise ProtocolError("malformed slot")
        self.index = index


class Values:
    """Handles, links and the codec of one worker."""

    def __init__(self):
        self.objects: dict[int, object] = {}
        self._next = 1
        self.links: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.back: set[int] = set()               # links whose changes may go back
        self.snapshots: dict[int, bytes] = {}     # link -> contents last seen by the judge
        self.namespaces: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.ns_snapshots: dict[int, dict] = {}
        self.in_flight: list = []                 # kept alive until the reply is written
        self.functions: dict = {}

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def keep(self, obj) -> int:
        hid = self.new_id()
        self.objects[hid] = obj
        return hid

    def handle(self, obj) -> dict:
        kind = "class" if isinstance(obj, type) else ("callable" if callable(obj) else "object")
        try:
            name = str(getattr(obj, "__name__", "")) if kind != "object" else ""
        except BaseException:  # noqa: BLE001 - a learner's __getattr__ may raise anything
            name = ""
        return {Tag.HANDLE: self.keep(obj), "type": clip(f"{type(obj).__module__}.{type(obj).__qualname__}", MAX_NAME),
                "name": clip(name, MAX_NAME), "kind": kind}

    # ------------------------------------------------------------ results
    def encode(self, value, arrays: list, depth: int = 0):
        if depth > 50:
            return self.handle(value)
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2**63 else {Tag.BIGINT: str(value)}
        if t is float:
            return {Tag.FLOAT: repr(value)}
        if t is np.ndarray and not value.dtype.hasobject and value.dtype.kind in DTYPE_KINDS \
                and value.dtype.fields is None:
            arrays.append(value)
            return {Tag.ARRAY: len(arrays) - 1}
        if isinstance(value, np.generic) and type(value).__module__ == "numpy" \
                and value.dtype.kind in DTYPE_KINDS:
            arrays.append(np.asarray(value))
            return {Tag.SCALAR: len(arrays) - 1}
        if t is np.dtype and value.kind in DTYPE_KINDS:
            return {Tag.DTYPE: value.str}
        if t in (tuple, list):
            return {t.__name__: [self.encode(v, arrays, depth + 1) for v in value]}
        if t is dict:
            return {Tag.DICT: [[self.encode(k, arrays, depth + 1), self.encode(v, arrays, depth + 1)]
                               for k, v in value.items()]}
        return self.handle(value)

    # ------------------------------------------------------------ arguments
    def decode(self, value, arrays: list, program: bool = False):
        """A judge's value. `program`: a speed program's step, where references to earlier
        results and input slots may appear, and arrays are plain copies (never linked)."""
        if value is None or isinstance(value, bool | int | str):
            return value
        if not isinstance(value, dict) or len(value) != 1:
            raise ProtocolError("malformed value")
        (tag, body), = value.items()
        if tag == Tag.FLOAT:
            return float(body)
        if tag == Tag.BIGINT:
            return int(body)
        if tag == Tag.ARRAY:
            arr = arrays[body["index"]]
            return arr if program else self._linked(arr, body)
        if tag == Tag.SCALAR:
            return arrays[body][()]
        if tag == Tag.DTYPE:
            return np.dtype(body)
        if tag == Tag.TYPE:
            return np.dtype(body).type
        if tag == Tag.TUPLE:
            return tuple(self.decode(v, arrays, program) for v in body)
        if tag == Tag.LIST:
            return [self.decode(v, arrays, program) for v in body]
        if tag == Tag.DICT:
            return {self.decode(k, arrays, program): self.decode(v, arrays, program) for k, v in body}
        if tag == Tag.HANDLE:
            if body not in self.objects:
                raise LookupError("this object belongs to a worker that was restarted")
            return self.objects[body]
        if tag == Tag.NAMESPACE:
            return self._namespace(body, arrays, program)
        if tag == Tag.FUNCTION:
            return self._judge_function(body)
        if tag == Tag.GENERATOR:
            if body.get("bit_generator") not in BIT_GENERATORS:
                raise ProtocolError("unknown bit generator")
            bits = getattr(np.random, body["bit_generator"])()
            bits.state = self.decode(body["state"], arrays, program)
            return np.random.Generator(bits)
        if tag == Tag.SLICE:
            return slice(*(self.decode(v, arrays, program) for v in body))
        if tag == Tag.ELLIPSIS:
            return Ellipsis
        if program and tag == Tag.REF:
            return Ref(body)
        if program and tag == Tag.SLOT:
            return Slot(body)
        raise ProtocolError(f"unknown tag {clip(tag, 40)!r}")

    def _linked(self, arr: np.ndarray, body: dict) -> np.ndarray:
        link = body.get("link")
        if link is not None:
            old = self.links.get(link)
            if old is not None and old.shape == arr.shape and old.dtype == arr.dtype:
                np.copyto(old, arr)
                arr = old
            else:
                self.links[link] = arr
                weakref.finalize(arr, self._forget, link)
            if body.get("back"):
                self.back.add(link)
            self.snapshots[link] = arr.tobytes()
        self.in_flight.append(arr)  # alive until its in-place changes are reported
        return arr

    def _forget(self, link: int) -> None:
        self.snapshots.pop(link, None)
        self.back.discard(link)

    def _namespace(self, body: dict, arrays: list, program: bool):
        link = body["link"]
        ns = self.namespaces.get(link)
        if ns is None:
            ns = Namespace()
            self.namespaces[link] = ns
        attrs = self.decode(body["attrs"], arrays, program)
        ns.__dict__.clear()
        ns.__dict__.update({str(k): v for k, v in attrs.items()})
        if body.get("back"):
            self.back.add(-link)
        self.ns_snapshots[link] = dict(ns.__dict__)
        self.in_flight.append(ns)
        return ns

    def _judge_function(self, body: dict):
        """A pure function of the judge (numerical_gradient's f), from its source, in a
        namespace holding only np and math."""
        key = (str(body["name"]), str(body["source"]))
        if key not in self.functions:
            namespace = {"np": np, "math": math, "__builtins__": builtins, "__name__": "judge"}
            exec(compile(key[1], f"<judge's {key[0]}>", "exec"), namespace)
            self.functions[key] = namespace[key[0]]
        return self.functions[key]

    # ------------------------------------------------------------ after a call
    def changes(self, arrays: list) -> dict:
        """What learner code changed in place since the judge last looked: the new contents
        of links that may go back (`updates`, `namespaces`) and the others' links (`changed`)."""
        updates, changed, namespaces = [], [], []
        for link, arr in list(self.links.items()):
            data = arr.tobytes()
            if self.snapshots.get(link) != data:
                self.snapshots[link] = data
                if link in self.back:
                    arrays.append(arr)
                    updates.append([link, len(arrays) - 1])
                else:
                    changed.append(link)
        for link in list(self.ns_snapshots):
            ns = self.namespaces.get(link)
            if ns is None:
                del self.ns_snapshots[link]
                continue
            now, before = ns.__dict__, self.ns_snapshots[link]
            if now.keys() != before.keys() or any(now[k] is not before[k] for k in now):
                self.ns_snapshots[link] = dict(now)
                if -link in self.back:
                    namespaces.append([link, self.encode(dict(now), arrays)])
                else:
                    changed.append(-link)
        self.in_flight.clear()
        return {"updates": updates, "namespaces": namespaces, "changed": changed}
