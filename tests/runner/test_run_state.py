"""Run state under hostile conditions: kill -9 during cohort generation, atomic writes, full disk, unwritable OUT."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner
from unprivileged import run_unprivileged, shared_folder

import benchmark
from benchmark.atomic import WriteError
from benchmark.cli import app
from benchmark.data.problems import Problem, read_problems, write_problems
from benchmark.errors import CmrbenchError
from benchmark.results import ERROR_COLUMNS, Results
from benchmark.run.sources import cohort_folder
from benchmark.run.store import JobDir, RunLock, ensure_writable_dir
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


# --- writes are atomic: a write cut short (full disk) keeps the previous file whole and leaves no temporary ---
def _full_disk_after(monkeypatch, keep: int) -> None:
    """Make DataFrame.to_csv write its first `keep` characters to the file, then fail as a full disk does."""
    real = pd.DataFrame.to_csv

    def cut(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        Path(path).write_text(real(self, None, *args, **kwargs)[:keep])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", cut)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name or p.name.startswith("."))


def test_results_write_cut_by_a_full_disk_keeps_the_previous_cases_csv(tmp_path, monkeypatch):
    cases = pd.DataFrame({"job": ["j1"], "dataset": ["acdc"], "subject": ["S001"], "phase": ["ED"],
                          "structure": ["LV"], "dice": [0.91]})
    Results(cases=cases).write(tmp_path)
    before = (tmp_path / "results" / "cases.csv").read_text()
    _full_disk_after(monkeypatch, keep=20)
    with pytest.raises(WriteError) as info:
        Results(cases=cases.assign(dice=[0.12])).write(tmp_path)
    assert str(info.value) == f"{tmp_path / 'results' / 'cases.csv'}: cannot write (No space left on device)"
    assert isinstance(info.value, CmrbenchError) and info.value.errno == errno.ENOSPC
    assert (tmp_path / "results" / "cases.csv").read_text() == before  # 0.91, whole
    assert _leftovers(tmp_path) == []


def test_write_problems_cut_by_a_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "problems.csv"
    write_problems([Problem("a.nii.gz", "unreadable", "truncated gzip", "acdc", "patient001", "ED")], path)
    import csv

    real = csv.DictWriter.writerow

    def full(self, row):  # type: ignore[no-untyped-def]
        real(self, row)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerow", full)
    with pytest.raises(WriteError, match="problems.csv: cannot write \\(No space left on device\\)"):
        write_problems([Problem("b.nii.gz", "unreadable", "not NIfTI")], path)
    assert [p.file for p in read_problems(path)] == ["a.nii.gz"]
    assert _leftovers(tmp_path) == []


# --- full disk or unwritable OUT ----------------------------------------------------------------------------
def _job_error() -> pd.DataFrame:
    return pd.DataFrame([{"job": "j1", "dataset": "", "subject": "", "phase": "", "file": "jobs/j1",
                          "what": "job failed", "why": "RuntimeError: boom"}], columns=ERROR_COLUMNS)


def test_write_error_on_a_full_disk_says_so_in_one_line_and_does_not_raise(tmp_path, monkeypatch, capsys):
    jd = JobDir(tmp_path, "j1")

    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    jd.write_error("Traceback ...\nRuntimeError: boom\n", _job_error())  # must not raise
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "could not record the failure of job j1" in err and "No space left on device" in err
    assert not jd.trained and list(jd.path.iterdir()) == []  # nothing half-written: a rerun tries the job again


def test_write_error_in_a_read_only_job_folder_does_not_raise():
    jd = JobDir(shared_folder(), "j1")
    jd.path.chmod(0o555)  # readable, not writable, by the unprivileged user

    def check() -> None:
        jd.write_error("trace", _job_error())

    err = run_unprivileged(check)
    assert "could not record the failure of job j1" in err and "Permission denied" in err
    assert list(jd.path.iterdir()) == []


def test_out_that_is_a_file_is_one_clear_error(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder\n")
    with pytest.raises(CmrbenchError, match=f"--out {out}: cannot write there \\(Not a directory"):
        ensure_writable_dir(out)
    with pytest.raises(CmrbenchError, match=f"--out {out / 'run'}: cannot write there \\(Not a directory\\)"):
        ensure_writable_dir(out / "run")  # a file on the way
    assert out.read_text() == "not a folder\n"


def test_out_on_a_full_disk_is_one_clear_error(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(CmrbenchError) as info:
        ensure_writable_dir(tmp_path / "out")
    assert str(info.value) == f"--out {tmp_path / 'out'}: cannot write there (No space left on device)"
    assert list((tmp_path / "out").iterdir()) == []  # the probe left nothing behind


def test_read_only_out_is_one_clear_error():
    folder = shared_folder()
    folder.chmod(0o555)

    def check() -> None:
        with pytest.raises(CmrbenchError, match="cannot write there \\(Permission denied\\)"):
            ensure_writable_dir(folder / "out")
        with pytest.raises(CmrbenchError, match="cannot write there \\(Permission denied\\)"):
            ensure_writable_dir(folder)

    run_unprivileged(check)
    assert list(folder.iterdir()) == []


def test_run_with_out_being_a_file_exits_2_with_one_line(tiny_suite, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("my notes\n")
    result = CliRunner().invoke(app, ["run", str(tiny_suite), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"error: --out {out}: cannot write there (Not a directory" in " ".join(result.output.split())
    assert out.read_text() == "my notes\n"


def test_clean_remove_refuses_while_a_run_holds_out(tmp_path):
    out = tmp_path / "out"
    (out / "jobs" / "old" / "eval").mkdir(parents=True)
    (out / "plan.json").write_text('{"new": []}')
    with RunLock(out):
        result = CliRunner().invoke(app, ["clean", str(out), "--remove"])
    assert result.exit_code == 2 and "in use by another cmrbench run" in result.output
    assert (out / "jobs" / "old").is_dir()  # nothing removed under a running run
    result = CliRunner().invoke(app, ["clean", str(out), "--remove"])
    assert result.exit_code == 0, result.output
    assert not (out / "jobs" / "old").exists()


def test_clean_with_a_plan_that_is_not_a_plan_is_one_clear_error(tmp_path):
    (tmp_path / "jobs" / "a" / "eval" / "e1").mkdir(parents=True)
    (tmp_path / "plan.json").write_text('{"a": 3}')
    result = CliRunner().invoke(app, ["clean", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "plan.json: not a plan" in " ".join(result.output.split())
