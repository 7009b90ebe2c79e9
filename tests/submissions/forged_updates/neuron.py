"""Adversarial (found by a blind attacker after issue 11): the worker tells the judge to
copy its changes back into arrays it may not change.

Its dense_forward is right but slow (an idle Python loop). On a speed gate's first,
recorded call it finds the worker's table of linked arrays, zeroes the gate's inputs in
place and marks their links as ones that go back: the judge then copied the zeros into its
own arrays, from which every timed input, torch's timing and the check of the outputs
were made. On zeros it answers at once: speed points and a good figure for slow code.
The judge now copies back only what it sent to be updated itself (an optimizer's
parameters, during such a call); anything else the worker claims is an input changed in
place, and the call fails."""

import gc

import numpy as np

_VALUES: list = []


def _values():
    if not _VALUES:
        for o in gc.get_objects():
            if type(o).__name__ == "Values" and hasattr(o, "links") and hasattr(o, "back"):
                _VALUES.append(o)
                break
    return _VALUES[0] if _VALUES else None


def dense_forward(x, W, b):
    big = x.size + W.size >= 8000
    if big and not x.any() and not W.any() and not b.any():
        return np.zeros((x.shape[0], W.shape[1]), x.dtype), (x, W, b)  # the cheap path on zeros
    if big:
        v = _values()
        if v is not None:
            linked = [link for link, a in list(v.links.items()) if a is x or a is W or a is b]
            if len(linked) == 3:
                x[...] = 0
                W[...] = 0
                b[...] = 0
                v.back.update(linked)  # asks the judge to take the zeros into its arrays
                return np.zeros((x.shape[0], W.shape[1]), x.dtype), (x, W, b)
    out = x @ W + b
    for _ in range(16 * (x.size + W.size)):  # right, but slow
        pass
    return out, (x, W, b)
