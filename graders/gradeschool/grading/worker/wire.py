"""The wire between the judge and its worker, for both sides (standard library and NumPy).

A message is a HEADER (envelope length, number of arrays), a JSON envelope (UTF-8), then
for each array a BLOB length and its `.npy` bytes (header and raw data; never pickled).
A request's envelope names an operation (`Op`); a reply holds `ok` (a value) or `error`
(a description of what learner code raised), and after an ordinary call also `updates`,
`namespaces`, `changed` and `warnings` (see `gradeschool.grading.remote`).

Values travel as JSON: None, bool, int (|n| < 2**63), str bare; everything else as a
one-key object whose key is a `Tag` (an array is its index among the message's arrays).
An object that is none of these stays in the worker as a handle.

The reader enforces `Caps` before it reads what a header announces: a reply over a cap
raises ProtocolError, the judge stops that worker and the exercise fails; the judge's
memory stays bounded whatever the worker sends. Learner text (exception messages, names,
source lines) is clipped by `clip` on both sides."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
from dataclasses import dataclass

import numpy as np

HEADER = struct.Struct(">QI")  # envelope bytes, number of arrays
BLOB = struct.Struct(">Q")     # bytes of one .npy blob
DTYPE_KINDS = "biufcmM"        # plain dtypes only: no objects, strings or records
MAX_NPY_HEADER = 10_000


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message within the caps."""


@dataclass(frozen=True)
class Caps:
    """The most a message may hold: envelope bytes, arrays, bytes of all arrays together."""
    envelope: int
    arrays: int
    total: int


REQUEST_CAPS = Caps(envelope=256 * 2**20, arrays=1_000_000, total=8 * 2**30)  # from the judge
REPLY_CAPS = Caps(envelope=4 * 2**20, arrays=100_000, total=256 * 2**20)      # from learner code

# learner text, in characters
MAX_MESSAGE = 2000   # an exception's message
MAX_NAME = 200       # a type, function or file name
MAX_LINE = 300       # a source line in `where`
MAX_WARNINGS = 3     # warnings reported per call


def clip(text: object, limit: int) -> str:
    """`text` as a string of at most `limit` characters (an ellipsis marks the cut)."""
    text = text if type(text) is str else str(text)
    return text if len(text) <= limit else text[: max(limit - 15, 0)] + " ...[cut]"


class Op:
    """Operations of a request. The judge sends them; the worker's `serve` answers."""
    PING, IMPORT, GET, HAS, RELEASE = "ping", "import", "get", "has", "release"
    CALL, GETATTR, SETATTR, GETITEM, SETITEM = "call", "getattr", "setattr", "getitem", "setitem"
    LEN, ITER, NEXT, CONTAINS = "len", "iter", "next", "contains"
    SCRATCH, LISTDIR = "scratch", "listdir"  # a folder learner code may write files to, and its file names
    # speed measurements (gradeschool.grading.timing): all but RUN are untimed
    BENCH, INPUTS, RUN, COMMIT, REVEAL = "bench", "inputs", "run", "commit", "reveal"
    SPEED = (BENCH, INPUTS, RUN, COMMIT, REVEAL)
    RECORDABLE = (CALL, GETATTR, GETITEM, SETATTR, SETITEM)  # what a speed program's steps may do


BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")  # a Generator's, by name


class Tag:
    """Keys of the one-key objects that carry values."""
    FLOAT, BIGINT, ARRAY, SCALAR, DTYPE, TYPE = "float", "bigint", "array", "scalar", "dtype", "type"
    TUPLE, LIST, DICT, SLICE, ELLIPSIS = "tuple", "list", "dict", "slice", "ellipsis"
    HANDLE, NAMESPACE, FUNCTION = "handle", "namespace", "function"
    REF, SLOT = "ref", "slot"        # in a speed program: an earlier step's result, an input
    GENERATOR = "generator"          # a np.random.Generator, as its bit generator's state
    NEXT, STOP = "next", "stop"      # an iterator's answers


# ---------------------------------------------------------------- writing
def contiguous(arr) -> np.ndarray:
    """`arr` as a C-contiguous array of its own shape (np.ascontiguousarray would make a 0-d
    array 1-d: a learner's scalar result would come back with shape (1,))."""
    return np.asarray(arr, order="C")


def _npy_header(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, np.lib.format.header_data_from_array_1_0(arr))
    return buf.getvalue()


def frames(envelope: dict, arrays: list) -> list:
    """The message as a list of bytes-like parts (array data is not copied)."""
    body = json.dumps(envelope, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts: list = [HEADER.pack(len(body), len(arrays)) + body]
    for arr in arrays:
        arr = contiguous(arr)
        head = _npy_header(arr)
        data = memoryview(arr).cast("B") if arr.size else b""
        parts += [BLOB.pack(len(head) + len(data)) + head, data]
    return parts


def write_message(fd: int, envelope: dict, arrays: list) -> None:
    """Write one message to a blocking file descriptor."""
    for part in frames(envelope, arrays):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


# ---------------------------------------------------------------- reading
def _read_exact(fd: int, n: int, read, alloc=None) -> np.ndarray:
    """`n` bytes, read straight into one buffer (no copy beyond the kernel's); `alloc(n)`
    may give a buffer (a worker reuses those of used input sets)."""
    buf = alloc(n) if alloc is not None else np.empty(n, dtype=np.uint8)  # every byte is read into it
    view, done = memoryview(buf), 0
    while done < n:
        got = read(fd, view[done:done + (1 << 22)])
        if not got:
            raise EOFError("the pipe was closed")
        done += got
    return buf


def _plain_read(fd: int, view: memoryview) -> int:
    return os.readv(fd, [view])


def _array(data: np.ndarray) -> np.ndarray:
    """A writable array over `.npy` bytes (no copy), after checking that the header
    announces exactly the data that follows (nothing is allocated on a header's word)."""
    buf = io.BytesIO(data[:MAX_NPY_HEADER + 16].tobytes())
    try:
        version = np.lib.format.read_magic(buf)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(buf, max_header_size=MAX_NPY_HEADER)
    except (ValueError, SyntaxError, TypeError, OverflowError) as err:
        raise ProtocolError(f"malformed array header: {err}") from None
    if dtype.hasobject or dtype.kind not in DTYPE_KINDS or dtype.fields is not None:
        raise ProtocolError(f"an array of dtype {dtype} is not a plain array")
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - buf.tell():
        raise ProtocolError("an array's data does not match its header")
    flat = data[buf.tell():].view(dtype) if count else np.empty(0, dtype)
    return flat.reshape(shape, order="F" if fortran else "C")


def blob_size(arr: np.ndarray) -> int:
    """Bytes of an array's blob on the wire (what a reader's buffer for it must hold)."""
    return len(_npy_header(contiguous(arr))) + arr.nbytes


def read_message(fd: int, caps: Caps, read=None, alloc_for=None) -> tuple[dict, list]:
    """One message: (envelope, arrays). `read(fd, view)` (readv into `view`, returns the
    count) may impose a deadline; `alloc_for(envelope)` may give the function that gives
    the buffers of its arrays (`alloc(n)`)."""
    read = read or _plain_read
    size, count = HEADER.unpack(_read_exact(fd, HEADER.size, read))
    if size > caps.envelope or count > caps.arrays:
        raise ProtocolError(f"a message over the size caps ({size} bytes of envelope, {count} arrays)")
    try:
        envelope = json.loads(_read_exact(fd, size, read).tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"malformed envelope: {clip(err, 200)}") from None
    if not isinstance(envelope, dict):
        raise ProtocolError("the envelope is not an object")
    arrays, total = [], 0
    alloc = alloc_for(envelope) if alloc_for is not None else None
    for _ in range(count):
        (n,) = BLOB.unpack(_read_exact(fd, BLOB.size, read))
        total += n
        if total > caps.total:
            raise ProtocolError(f"a message over the size cap of {caps.total} bytes of arrays")
        arrays.append(_array(_read_exact(fd, n, read, alloc)))
    return envelope, arrays


# ---------------------------------------------------------------- commitments
def digest(value: object) -> str:
    """SHA-256 of a speed run's output, the same on both sides: the worker commits to it,
    the judge recomputes it from what the worker reveals. Raises TypeError for a value that
    cannot travel (an object that stays in the worker)."""
    h = hashlib.sha256()

    def feed(v: object, depth: int = 0) -> None:
        if depth > 20:
            raise TypeError("nested too deeply")
        t = type(v)
        if v is None or t in (bool, int, float, str):
            h.update(f"{t.__name__}:{v!r};".encode())
        elif t is np.ndarray or isinstance(v, np.generic):
            a = contiguous(v)
            if a.dtype.hasobject or a.dtype.kind not in DTYPE_KINDS:
                raise TypeError("not a plain array")
            h.update(f"a:{a.dtype.str}:{a.shape};".encode())
            h.update(memoryview(a).cast("B") if a.size else b"")
        elif t in (tuple, list):
            h.update(f"{t.__name__}:{len(v)}(".encode())
            for x in v:
                feed(x, depth + 1)
            h.update(b")")
        elif t is dict:
            h.update(f"dict:{len(v)}(".encode())
            for k, x in v.items():
                feed(k, depth + 1)
                feed(x, depth + 1)
            h.update(b")")
        else:
            raise TypeError(f"a {t.__name__} cannot be committed to")

    feed(value)
    return h.hexdigest()
