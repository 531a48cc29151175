"""A pytest plugin that counts the test process's open descriptors, to find what a test leaves open.

    PYTHONPATH=.:bench FD_PROBE_OUT=/tmp/fd.log .venv/bin/python -m pytest -q -p fd_probe -m "not slow" tests/webapp

Writes to FD_PROBE_OUT (appending): one `TEST` line for each test after which the count changed, with the
change by kind (a SQLite file, its -wal, a socket, a pipe...), one `MODULE` line with the total after each
test module, and the descriptors still open at the end (`FINAL`, descriptor -> target). Linux (/proc/self/fd).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator

import pytest

OUT = os.environ.get("FD_PROBE_OUT", "fd_probe.log")


def open_descriptors() -> dict[int, str]:
    targets = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            targets[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
    return targets


def kind(target: str) -> str:
    if target.startswith(("socket:", "pipe:")):
        return target.split(":")[0]
    if target.startswith(("anon_inode:", "/dev/")):
        return target
    base = os.path.basename(target)
    return "file:" + (base.rsplit(".", 1)[-1] if "." in base else base)


def kinds(targets: dict[int, str]) -> Counter[str]:
    return Counter(kind(target) for target in targets.values())


def write(line: str) -> None:
    with open(OUT, "a", encoding="utf-8") as log:
        log.write(line + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    before = kinds(open_descriptors())
    yield
    targets = open_descriptors()
    after = kinds(targets)
    if after != before:
        change = {name: after[name] - before[name] for name in after | before if after[name] != before[name]}
        write(f"TEST {item.nodeid} {before.total()}->{after.total()} {json.dumps(change)}")
    if nextitem is None or nextitem.path != item.path:
        write(f"MODULE {item.path.name} total={after.total()} {json.dumps(dict(after))}")
    if nextitem is None:
        write("FINAL " + json.dumps(dict(sorted(targets.items()))))
