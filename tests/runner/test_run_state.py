"""Run state under hostile conditions: kill -9 during cohort generation, atomic writes, full disk, unwritable OUT."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import benchmark
from benchmark.run.sources import cohort_folder
from benchmark.run.store import RunLock
from benchmark.synth.cohorts import generate_cohort

REPO = Path(benchmark.__file__).resolve().parents[1]

# a run's first step: take OUT's lock, then generate a cohort into its cache with two worker processes
GENERATE_UNDER_LOCK = """
import sys
from pathlib import Path
from benchmark.run.store import RunLock
from benchmark.synth.cohorts import generate_cohort
out, folder, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
with RunLock(out):
    generate_cohort("ukbb", folder, n, seed=0, workers=2)
"""


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), fields[0]


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _ppid_and_state(int(entry.name))
            if info:
                parents[int(entry.name)] = info[0]
    found, todo = set(), [root]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        todo += list(kids - found)
        found |= kids
    return found


def _running(pid: int) -> bool:
    info = _ppid_and_state(pid)
    return info is not None and info[1] not in ("Z", "X")  # a zombie has exited, only not reaped yet


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads process parents from /proc")
def test_kill_9_during_cohort_generation_leaves_no_worker_no_lock_and_no_half_cohort(tmp_path):
    out = tmp_path / "out"
    n = 24
    folder = out / "cache" / "synth" / cohort_folder("ukbb", n, 0)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", GENERATE_UNDER_LOCK, str(out), str(folder), str(n)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not (folder.parent.is_dir() and any(folder.parent.rglob("*.nii.gz"))):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "no subject written within 120 s"
            time.sleep(0.05)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2, workers  # the two pool workers (and multiprocessing's resource tracker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 5
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [w for w in workers if _running(w)] == [], "workers outlived their killed parent"
        with RunLock(out) as lock:  # the lock died with the run: no worker holds its file
            assert (out / ".lock").read_text() == f"pid {os.getpid()}"
            assert not os.get_inheritable(lock.fh.fileno())  # a child process started under it never gets it
        assert not (folder / "truth.csv").exists() and not folder.exists()  # no half cohort looks finished
        assert len(list(folder.parent.glob(f".{folder.name}.*.partial"))) == 1  # what the killed run wrote

        truth = generate_cohort("ukbb", folder, n, seed=0, workers=2)  # the rerun
        assert truth["subject"].nunique() == n
        written = pd.read_csv(folder / "truth.csv", dtype={"subject": str})
        assert written["subject"].nunique() == n and len(written) == 2 * n  # ED and ES of every subject
        assert len(list(folder.rglob("*.nii.gz"))) == 4 * n  # an image and a label per phase
        assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # the killed run's partial folder is gone
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:  # old code: workers that never exit (ours, by pid)
            if _running(w):
                os.kill(w, signal.SIGKILL)
