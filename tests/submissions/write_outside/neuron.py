"""Adversarial: tries to leave files behind for the next grading or for the grader:
next to the submission, in the working folder, in /tmp, in the home folder, /root,
/var/tmp, /dev/shm and beside the kit (`KIT`, as a student who read the README could
guess it), then raise saying where the writes succeeded (only the sandbox's private /tmp
can take one); tests/kit/grading/test_grading.py checks that none of the files exists on
the grading machine afterwards."""

import os

MARK = "gradeschool-pwned-write_outside"
KIT = ""


def _spray() -> list[str]:
    places = [os.path.dirname(os.path.abspath(__file__)), os.getcwd(), os.path.expanduser("~"),
              "/root", "/var/tmp", "/dev/shm", "/tmp", "/", "/usr", KIT]
    written = []
    for folder in (p for p in places if p):
        try:
            with open(os.path.join(folder, MARK), "w") as f:
                f.write("pwned")
            written.append(folder)
        except OSError:
            pass
    return written


def _exercise(x, *args, **kwargs):
    raise RuntimeError(f"wrote into: {_spray()}")


relu = step = _exercise
