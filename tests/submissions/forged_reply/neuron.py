"""Adversarial (issue 11, finding 7): forges a huge reply on the worker's pipe.

relu finds the worker's reply pipe (the one pipe it holds open for writing) and writes a
message of its own onto it: a header announcing `HINTS["bytes"]` bytes of envelope (64 MB
by default, today's cap), then that many bytes of JSON holding one enormous string as the
"result". Today the judge reads and decodes all of it (its memory grows by several times
that), and the string ends up in the test's message and in every report. The judge reads
no more than its caps allow: the exercise fails, the judge stays small."""

import os
import struct

HINTS: dict = {}


def _reply_pipe() -> int:
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
            flags = int(open(f"/proc/self/fdinfo/{name}").read().split("flags:")[1].split()[0], 8)
        except (OSError, ValueError, IndexError):
            continue
        if target.startswith("pipe:") and flags & os.O_ACCMODE == os.O_WRONLY:
            return int(name)
    raise RuntimeError("no reply pipe found")


def relu(x):
    size = int(HINTS.get("bytes", 64 * 2**20 - 64))
    head, tail = b'{"ok":"', b'"}'
    fd = _reply_pipe()
    os.write(fd, struct.pack(">QI", size, 0) + head)
    chunk = b"x" * (1 << 20)
    left = size - len(head) - len(tail)
    while left > 0:
        left -= os.write(fd, chunk[:left])
    os.write(fd, tail)
    while True:  # the real reply must never follow
        os.pause()


step = relu
