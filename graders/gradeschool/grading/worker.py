"""The worker: the only process that runs a learner's code during grading.

This file is self-contained (standard library and NumPy only): the judge starts it as
`python -I -S -c <this source>` so that neither the kit's path nor its package is visible
to the learner's code. It talks to the judge over two inherited pipes (never stdout, which
the learner's code may print to) with messages of a small JSON envelope followed by
`.npy` blobs; nothing is ever pickled. Values that are not None/bool/int/float/str,
tuples/lists/dicts of those, NumPy arrays, NumPy scalars or dtypes stay here as opaque
handles; the judge may call them, read and set their attributes, index and iterate them.

Arrays that the judge sends are linked to the judge's arrays: when the learner's code
changes one in place (an optimizer's step), its new content is sent back after the call.

The same module also gives the judge its framing and limits (`read_message`,
`write_message`); the judge never decodes anything with pickle.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys

import numpy as np

MAX_JSON = 64 * 2**20
MAX_BLOB = 2**31
HEADER = struct.Struct(">QI")  # json length, number of array blobs
BLOB = struct.Struct(">Q")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


# ---------------------------------------------------------------- framing (both sides)
def _read_exact(fd: int, n: int, deadline_read=None) -> bytes:
    chunks = []
    while n:
        chunk = deadline_read(fd, n) if deadline_read else os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("the pipe was closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline_read=None) -> tuple[dict, list[np.ndarray]]:
    """One message: (JSON envelope, arrays). Arrays are loaded with allow_pickle=False."""
    size, count = HEADER.unpack(_read_exact(fd, HEADER.size, deadline_read))
    if size > MAX_JSON or count > 1_000_000:
        raise ProtocolError(f"message too large ({size} bytes, {count} arrays)")
    try:
        envelope = json.loads(_read_exact(fd, size, deadline_read).decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"malformed envelope: {err}") from None
    if not isinstance(envelope, dict):
        raise ProtocolError("the envelope is not an object")
    arrays = []
    for _ in range(count):
        (n,) = BLOB.unpack(_read_exact(fd, BLOB.size, deadline_read))
        if n > MAX_BLOB:
            raise ProtocolError(f"array blob too large ({n} bytes)")
        data = _read_exact(fd, n, deadline_read)
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as err:  # noqa: BLE001 - any malformed blob is a protocol error
            raise ProtocolError(f"malformed array: {type(err).__name__}: {err}") from None
        if type(arr) is not np.ndarray or arr.dtype.hasobject:
            raise ProtocolError("an array blob is not a plain array")
        if not arr.flags.writeable:
            arr = arr.copy()
        arrays.append(arr)
    return envelope, arrays


def write_message(fd: int, envelope: dict, arrays: list[np.ndarray]) -> None:
    body = json.dumps(envelope, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts = [HEADER.pack(len(body), len(arrays)), body]
    for arr in arrays:
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        data = buf.getvalue()
        parts += [BLOB.pack(len(data)), data]
    payload = b"".join(parts)
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


DTYPE_KINDS = "biufcmM"
BENCH_OPS = ("bench", "run_bench", "program", "run_program")  # answered with a bare ack


# ---------------------------------------------------------------- the worker itself
def _serve(read_fd: int, write_fd: int, config: dict) -> None:  # noqa: C901 - one dispatch loop
    import builtins
    import importlib
    import importlib.abc
    import traceback
    import types
    import weakref

    allowed_extra = set(config["topics"])
    forbidden_hits: list[str] = []
    denied = set(config.get("denied", ()))
    learner_denied = set(config.get("learner_denied", ()))

    def allowed(name: str) -> bool:
        top = name.split(".")[0]
        if top in denied:
            return False
        return top in sys.stdlib_module_names or top == "numpy" or top in allowed_extra \
            or top == "__future__"

    class ForbiddenImportError(ImportError):
        pass

    def refuse(name: str):
        forbidden_hits.append(name)
        return ForbiddenImportError(
            f"import of {name!r} is not allowed: exercises may use NumPy and the Python "
            "standard library only")

    class Blocker(importlib.abc.MetaPathFinder):
        """Refuses the libraries that could do the work (torch, ...) whoever imports them;
        other names outside the standard library and NumPy are not on the path anyway."""

        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in denied:
                raise refuse(fullname)
            return None

    real_import = builtins.__import__
    real_import_module = importlib.import_module

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__", "") or ""
        if level == 0 and importer.split(".")[0] in allowed_extra and (
                not allowed(name) or name in learner_denied or name.split(".")[0] in learner_denied):
            raise refuse(name)
        return real_import(name, globals, locals, fromlist, level)

    def guarded_import_module(name, package=None):
        if not name.startswith(".") and (not allowed(name) or name.split(".")[0] in learner_denied):
            raise refuse(name)
        return real_import_module(name, package)

    def no_processes(name: str):
        def refused(*args, **kwargs):
            raise refuse(f"os.{name}")
        return refused

    for fn in ("system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle",
               "execlp", "execlpe", "execvp", "execvpe", "spawnv", "spawnve", "spawnl", "spawnle",
               "spawnlp", "spawnlpe", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp"):
        if hasattr(os, fn):
            setattr(os, fn, no_processes(fn))

    sys.meta_path.insert(0, Blocker())
    builtins.__import__ = guarded_import
    importlib.import_module = guarded_import_module

    objects: dict[int, object] = {}
    next_id = [1]
    linked: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
    snapshots: dict[int, bytes] = {}
    modules: dict[str, object] = {}

    class Namespace(types.SimpleNamespace):
        """The judge's SimpleNamespace (e.g. an optimizer stand-in); attributes go back."""

    linked_ns: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
    ns_snapshots: dict[int, dict] = {}

    def changed_namespaces(arrays: list) -> list:
        out = []
        for link in list(ns_snapshots):
            ns = linked_ns.get(link)
            if ns is None:
                del ns_snapshots[link]
                continue
            now, before = ns.__dict__, ns_snapshots[link]
            if now.keys() != before.keys() or any(now[k] is not before[k] for k in now):
                ns_snapshots[link] = dict(now)
                out.append([link, encode(dict(now), arrays)])
        return out
    in_flight: list = []

    def new_handle(obj) -> dict:
        hid = next_id[0]
        next_id[0] += 1
        objects[hid] = obj
        kind = "class" if isinstance(obj, type) else ("callable" if callable(obj) else "object")
        return {"handle": hid, "type": f"{type(obj).__module__}.{type(obj).__qualname__}",
                "name": str(getattr(obj, "__name__", "")) if kind != "object" else "",
                "kind": kind}

    def encode(value, arrays: list, depth: int = 0):
        if depth > 50:
            return new_handle(value)
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2**63 else {"bigint": str(value)}
        if t is float:
            return {"float": repr(value)}
        if t is np.ndarray and not value.dtype.hasobject and value.dtype.kind in DTYPE_KINDS:
            arrays.append(value)
            return {"array": len(arrays) - 1}
        if isinstance(value, np.generic) and type(value).__module__ == "numpy" \
                and value.dtype.kind in DTYPE_KINDS:
            arrays.append(np.asarray(value))
            return {"scalar": len(arrays) - 1}
        if t is np.dtype and value.kind in DTYPE_KINDS:
            return {"dtype": value.str}
        if t is tuple:
            return {"tuple": [encode(v, arrays, depth + 1) for v in value]}
        if t is list:
            return {"list": [encode(v, arrays, depth + 1) for v in value]}
        if t is dict:
            return {"dict": [[encode(k, arrays, depth + 1), encode(v, arrays, depth + 1)]
                             for k, v in value.items()]}
        return new_handle(value)

    class Ref:
        """In a speed program: a part of the result of an earlier step."""

        __slots__ = ("step", "path")

        def __init__(self, body):
            if not isinstance(body, list) or len(body) != 2 or type(body[0]) is not int \
                    or not isinstance(body[1], list):
                raise ProtocolError("malformed reference")
            self.step, self.path = body

    refs_allowed = [False]
    functions: dict = {}

    def judge_function(body) -> object:
        """A pure function of the judge (numerical_gradient's f), from its source, in a
        namespace with np and math only."""
        key = (str(body["name"]), str(body["source"]))
        if key not in functions:
            import math

            namespace = {"np": np, "math": math, "__builtins__": builtins, "__name__": "judge"}
            exec(compile(key[1], f"<judge's {key[0]}>", "exec"), namespace)
            functions[key] = namespace[key[0]]
        return functions[key]

    def decode(value, arrays: list):
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, list):
            raise ProtocolError("bare list in envelope")
        (tag, body), = value.items()
        if tag == "float":
            return float(body)
        if tag == "bigint":
            return int(body)
        if tag == "array":
            arr = arrays[body["index"]]
            link = body.get("link")
            if link is not None:
                old = linked.get(link)
                if old is not None and old.shape == arr.shape and old.dtype == arr.dtype:
                    np.copyto(old, arr)
                    arr = old
                else:
                    linked[link] = arr
                    weakref.finalize(arr, snapshots.pop, link, None)
                snapshots[link] = arr.tobytes()
            in_flight.append(arr)  # alive until its in-place changes are sent back
            return arr
        if tag == "scalar":
            return arrays[body][()]
        if tag == "dtype":
            return np.dtype(body)
        if tag == "type":
            return np.dtype(body).type
        if tag == "tuple":
            return tuple(decode(v, arrays) for v in body)
        if tag == "list":
            return [decode(v, arrays) for v in body]
        if tag == "dict":
            return {decode(k, arrays): decode(v, arrays) for k, v in body}
        if tag == "handle":
            if body not in objects:
                raise LookupError("this object belongs to a worker that was restarted")
            return objects[body]
        if tag == "namespace":
            ns = linked_ns.get(body["link"])
            if ns is None:
                ns = Namespace()
                linked_ns[body["link"]] = ns
            attrs = decode(body["attrs"], arrays)
            ns.__dict__.clear()
            ns.__dict__.update({str(k): v for k, v in attrs.items()})
            ns_snapshots[body["link"]] = dict(ns.__dict__)
            in_flight.append(ns)
            return ns
        if tag == "function":
            return judge_function(body)
        if tag == "ref" and refs_allowed[0]:
            return Ref(body)
        if tag == "slice":
            return slice(*(decode(v, arrays) for v in body))
        if tag == "ellipsis":
            return Ellipsis
        raise ProtocolError(f"unknown tag {tag!r}")

    def changed_links(arrays: list) -> list:
        updates = []
        for link, arr in list(linked.items()):
            data = arr.tobytes()
            if snapshots.get(link) != data:
                snapshots[link] = data
                arrays.append(arr)
                updates.append([link, len(arrays) - 1])
        return updates

    def where(err: BaseException) -> str:
        found = None
        for frame in traceback.extract_tb(err.__traceback__):
            if os.path.dirname(os.path.abspath(frame.filename)) == config["root"]:
                found = f"{os.path.basename(frame.filename)} line {frame.lineno}: " \
                        f"{(frame.line or '').strip()}"
        return found or ""

    def describe_error(err: BaseException, before: int) -> dict:
        status = "forbidden import" if len(forbidden_hits) > before else "error"
        try:
            message = str(err)
        except BaseException:  # noqa: BLE001 - a learner's exception may break str()
            message = "<unprintable>"
        if isinstance(err, SystemExit):
            message = f"the code called sys.exit({message})"
        cls = type(err)
        return {"type": cls.__name__, "builtin": cls.__module__ == "builtins",
                "message": message[:4000], "where": where(err), "status": status,
                "forbidden": forbidden_hits[before:][:1]}

    def warm_up(fn, args, kwargs, seconds: float) -> None:
        """Untimed calls before a speed measurement (cold caches, first allocations),
        abandoned after `seconds` so that a slow loop costs little here."""
        import signal

        class _Stop(BaseException):
            pass

        def stop(signum, frame):
            raise _Stop

        if seconds <= 0:
            return
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            for _ in range(3):
                fn(*args, **kwargs)
        except _Stop:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def resolve(value, results: list):
        """A program step's argument with the references to earlier results filled in."""
        t = type(value)
        if t is Ref:
            out = results[value.step]
            for key in value.path:
                out = out[key]
            return out
        if t is tuple:
            return tuple(resolve(v, results) for v in value)
        if t is list:
            return [resolve(v, results) for v in value]
        if t is dict:
            return {k: resolve(v, results) for k, v in value.items()}
        return value

    def run_program(steps: list) -> None:
        results: list = []
        for step in steps:
            op, target = step["op"], resolve(step["target"], results)
            if op == "call":
                results.append(target(*resolve(step["args"], results), **resolve(step["kwargs"], results)))
            elif op == "getattr":
                results.append(getattr(target, step["name"]))
            else:
                results.append(target[resolve(step["key"], results)])

    def load(topic: str):
        if topic not in modules:
            modules[topic] = importlib.import_module(topic)  # real name: siblings import it
        return modules[topic]

    def handle(op: str, req: dict, arrays: list):
        if op == "ping":
            return "pong"
        if op == "import":
            load(req["topic"])
            return None
        if op == "get":
            return getattr(load(req["topic"]), req["name"])
        if op == "has":
            module = load(req["topic"])
            return [n for n in req["names"] if not hasattr(module, n)]
        if op == "release":
            for hid in req["ids"]:
                objects.pop(hid, None)
            return None
        target = decode(req["target"], arrays) if "target" in req else None
        if op == "call":
            args = decode(req["args"], arrays)
            kwargs = decode(req["kwargs"], arrays)
            return target(*args, **kwargs)
        if op == "bench":
            args = decode(req["args"], arrays)
            kwargs = decode(req["kwargs"], arrays)
            bench_id = next_id[0]
            next_id[0] += 1
            objects[bench_id] = (target, args, kwargs)
            warm_up(target, args, kwargs, float(req.get("warmup", 0)))
            return {"bench": bench_id}
        if op == "run_bench":
            fn, args, kwargs = objects[req["bench"]]
            fn(*args, **kwargs)
            return None
        if op == "program":
            steps = []
            refs_allowed[0] = True
            try:
                for step in req["steps"]:
                    if step.get("op") not in ("call", "getattr", "getitem"):
                        raise ProtocolError("unknown program step")
                    steps.append({"op": step["op"], "name": str(step.get("name", "")),
                                  **{k: decode(step[k], arrays) for k in ("target", "args", "kwargs", "key")
                                     if k in step}})
            finally:
                refs_allowed[0] = False
            program_id = next_id[0]
            next_id[0] += 1
            objects[program_id] = steps
            return {"program": program_id}
        if op == "run_program":
            run_program(objects[req["program"]])
            return None
        if op == "getattr":
            return getattr(target, req["name"])
        if op == "setattr":
            setattr(target, req["name"], decode(req["value"], arrays))
            return None
        if op == "getitem":
            return target[decode(req["key"], arrays)]
        if op == "setitem":
            target[decode(req["key"], arrays)] = decode(req["value"], arrays)
            return None
        if op == "len":
            return len(target)
        if op == "iter":
            return iter(target)
        if op == "next":
            try:
                return {"next": next(target)}
            except StopIteration:
                return {"stop": True}
        if op == "contains":
            return decode(req["value"], arrays) in target
        raise ProtocolError(f"unknown operation {op!r}")

    import select

    spin_until = [0.0]

    def spin_wait() -> None:
        """During speed measurements, poll for the next request instead of sleeping: a
        sleeping process wakes up late on a busy machine, and that delay would be timed."""
        import time

        while time.monotonic() < spin_until[0]:
            if select.select([read_fd], [], [], 0)[0]:
                return
            os.sched_yield()

    while True:
        spin_wait()
        try:
            req, arrays = read_message(read_fd)
        except EOFError:
            return
        before = len(forbidden_hits)
        out_arrays: list = []
        try:
            op = req.get("op")
            value = handle(op, req, arrays)
            if op in BENCH_OPS:
                reply = {"ok": value}
            elif op == "next" and "next" in value:
                reply = {"ok": {"next": encode(value["next"], out_arrays)}}
            else:
                reply = {"ok": encode(value, out_arrays)}
            if len(forbidden_hits) > before:
                reply = {"error": {"type": "ImportError", "builtin": True, "status": "forbidden import",
                                   "message": f"tried to import {forbidden_hits[before]!r}",
                                   "where": "", "forbidden": forbidden_hits[before:][:1]}}
                out_arrays = []
        except BaseException as err:  # noqa: BLE001 - sys.exit and the like end only this call
            out_arrays = []
            reply = {"error": describe_error(err, before)}
        del arrays
        if req.get("op") in BENCH_OPS:
            import time

            spin_until[0] = time.monotonic() + 0.2
        if req.get("op") not in ("run_bench", "run_program"):
            try:
                reply["updates"] = changed_links(out_arrays)
                reply["namespaces"] = changed_namespaces(out_arrays)
            except BaseException as err:  # noqa: BLE001
                reply = {"error": describe_error(err, before)}
                out_arrays = []
        in_flight.clear()
        try:
            write_message(write_fd, reply, out_arrays)
        except (BrokenPipeError, OSError):
            return
        except BaseException as err:  # noqa: BLE001 - e.g. an array too large to send
            write_message(write_fd, {"error": describe_error(err, before)}, [])


def _sandbox(config: dict) -> str:
    """Resource limits; hide the kit, the reports and the original submission behind empty
    mounts when the system allows a private mount namespace. Returns what was done."""
    import resource

    done = []
    if config.get("memory"):
        resource.setrlimit(resource.RLIMIT_AS, (config["memory"], config["memory"]))
        done.append("memory limit")
    if config.get("cpu"):
        resource.setrlimit(resource.RLIMIT_CPU, (config["cpu"], config["cpu"] + 5))
        done.append("cpu limit")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    hide: list[str] = []
    for p in sorted(config.get("hide", ()), key=len):
        if os.path.isdir(p) and not any(p == h or p.startswith(h.rstrip("/") + "/") for h in hide):
            hide.append(p)
    if hide:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            clone_newns, clone_newuser = 0x00020000, 0x10000000
            if libc.unshare(clone_newns) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            ms_rec, ms_private = 16384, 1 << 18
            libc.mount(b"none", b"/", None, ms_rec | ms_private, None)
            for path in hide:
                if libc.mount(b"none", path.encode(), b"tmpfs", 0, b"size=64k,mode=000") != 0:
                    raise OSError(ctypes.get_errno(), f"mount {path}")
            # a nested user namespace locks those mounts: no way to unmount them from here
            libc.unshare(clone_newuser)
            done.append("private mounts")
        except (OSError, AttributeError) as err:
            done.append(f"no private mounts ({err})")
    return ", ".join(done)


def main() -> None:
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    envelope, _ = read_message(read_fd)
    config = envelope["config"]
    sources = envelope["sources"]  # {file name: text}; written after the kit is hidden
    sandbox = _sandbox(config)
    root = config["root"]
    os.makedirs(root, exist_ok=True)
    for name, text in sources.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as f:
            f.write(text)
    os.chdir(root)
    sys.path.append(root)
    sys.argv = [""]
    write_message(write_fd, {"ready": True, "sandbox": sandbox}, [])
    _serve(read_fd, write_fd, config)


if __name__ == "__main__":
    main()
