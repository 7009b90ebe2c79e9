"""The judge <-> worker wire (gradeschool.grading.worker.wire): caps enforced before
anything is read, arrays only as announced, digests, clipped text; and a worker that
forges a reply fails its exercise without growing the judge."""

import io
import json
import os
import resource
import shutil
import struct
import threading
import time

import numpy as np
import pytest

from gradeschool.core.paths import kit_root
from gradeschool.grading.errors import WorkerCrashed
from gradeschool.grading.isolated import IsolatedImplementation
from gradeschool.grading.process import Limits
from gradeschool.grading.worker import wire

pytestmark = pytest.mark.kit

SUBMISSIONS = kit_root() / "tests" / "submissions"
SMALL = wire.Caps(envelope=1024, arrays=4, total=4096)


def _send(parts: list[bytes]):
    """A pipe holding `parts` (written from a thread: it may exceed the pipe's buffer)."""
    r, w = os.pipe()

    def write():
        try:
            for p in parts:
                os.write(w, p)
        except OSError:
            pass
        finally:
            os.close(w)

    threading.Thread(target=write, daemon=True).start()
    return r


def _message(envelope: dict, arrays: list) -> list[bytes]:
    return [bytes(p) for p in wire.frames(envelope, arrays)]


def test_a_message_round_trips():
    arrays = [np.arange(6.0).reshape(2, 3), np.asfortranarray(np.ones((2, 2), np.float32)), np.zeros(0),
              np.array(-1e30, np.float32)]  # 0-d: a scalar argument keeps its shape ()
    r = _send(_message({"op": "call", "x": [1, "a"]}, arrays))
    envelope, got = wire.read_message(r, wire.REPLY_CAPS)
    os.close(r)
    assert envelope == {"op": "call", "x": [1, "a"]}
    for a, b in zip(arrays, got, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) and b.flags.writeable


@pytest.mark.parametrize("header, why", [
    (struct.pack(">QI", 10**9, 0), "size caps"),
    (struct.pack(">QI", 2, 10**6) + b"{}", "size caps"),
    (struct.pack(">QI", 2, 1) + b"{}" + struct.pack(">Q", 10**9), "size cap"),
], ids=["envelope", "count", "array-bytes"])
def test_a_message_over_the_caps_is_refused_before_it_is_read(header, why):
    r = _send([header])  # nothing follows: a reader that tried to read what it announces would hang
    start = time.monotonic()
    with pytest.raises(wire.ProtocolError, match=why):
        wire.read_message(r, SMALL)
    os.close(r)
    assert time.monotonic() - start < 1


def _npy(shape_in_header: str, data: bytes, descr: str = "<f8") -> bytes:
    head = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_in_header}, }}".encode()
    head += b" " * (63 - (len(head) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head + data


@pytest.mark.parametrize("blob, why", [
    (_npy("(10**12,)", b"\0" * 8), "malformed|does not match"),
    (_npy("(1000000000000,)", b"\0" * 8), "does not match"),
    (_npy("(1,)", b"\0" * 8, descr="|O"), "not a plain array|malformed"),
    (b"\x93NUMPY\x01\x00" + b"\xff" * 20, "malformed"),
], ids=["expression", "huge-shape", "object", "garbage"])
def test_an_array_is_only_what_its_bytes_hold(blob, why):
    envelope = b"{}"
    r = _send([struct.pack(">QI", len(envelope), 1), envelope, struct.pack(">Q", len(blob)), blob])
    with pytest.raises(wire.ProtocolError, match=why):
        wire.read_message(r, wire.REPLY_CAPS)
    os.close(r)


def test_digests_are_the_same_on_both_sides_and_see_every_bit():
    value = (np.arange(4.0), [np.float32(1.5), 2, None], {"k": np.ones((2, 2), np.int64)})
    r = _send(_message({"v": 0}, [np.arange(4.0)]))
    _, (again,) = wire.read_message(r, wire.REPLY_CAPS)
    os.close(r)
    assert wire.digest(value) == wire.digest((again, [np.float32(1.5), 2, None], {"k": np.ones((2, 2), np.int64)}))
    changed = np.arange(4.0)
    changed[3] = np.nextafter(3.0, 4.0)
    assert wire.digest(value) != wire.digest((changed, *value[1:]))
    assert wire.digest([1.0]) != wire.digest((1.0,)) != wire.digest([np.float64(1.0)])
    with pytest.raises(TypeError):
        wire.digest(object())


def test_learner_text_is_clipped():
    assert wire.clip("x" * 10, 20) == "x" * 10
    assert len(wire.clip("x" * 10**6, 300)) <= 300


def test_a_forged_huge_reply_fails_the_exercise_and_the_judge_stays_small(tmp_path):
    """forged_reply writes a header announcing 64 MB of envelope onto the worker's pipe
    (today's judge read and decoded all of it): the judge refuses it at the header, fails
    the exercise, and its memory does not grow."""
    shutil.copytree(SUBMISSIONS / "forged_reply", tmp_path / "sub")
    impl = IsolatedImplementation(tmp_path / "sub", limits=Limits(call_timeout=20.0))
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        with pytest.raises(WorkerCrashed, match="over the size limits"):
            impl.relu(np.ones(2))
        assert time.monotonic() - start < 10
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 * 1024  # KiB
    finally:
        impl.close()


def test_request_frames_are_not_copies_of_the_arrays():
    big = np.ones(2**20)
    parts = wire.frames({"op": "x"}, [big])
    assert any(isinstance(p, memoryview) and p.obj is not None for p in parts)
    assert sum(len(p) for p in parts) < big.nbytes + 512
    json.loads(bytes(parts[0])[wire.HEADER.size:])
    io.BytesIO(bytes(parts[1]))
