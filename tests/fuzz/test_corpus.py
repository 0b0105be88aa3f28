"""Run every hostile input of the corpus package and check the promise (see README.md)."""
from __future__ import annotations

import csv
import json
import os
import resource
import signal
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import nibabel as nib
import pytest
import yaml
from corpus import CASES, TINY, Call, Env
from layouts import write_acdc
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.labels import to_canonical

MEMORY_HEADROOM = 2 << 30  # what a limited command may map beyond the interpreter and its imports
LIMITED_TIMEOUT = 6  # seconds
ENV = {"CMRBENCH_NO_PROGRESS": "1", "COLUMNS": "200"}


# ---------------------------------------------------------------------------------------------------------
# shared inputs, built once
# ---------------------------------------------------------------------------------------------------------
def cli(*args: object):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


@pytest.fixture(scope="session")
def clean_base(tmp_path_factory) -> Path:
    """ACDC (2 patients), its manifest acdc.csv, and perfect predictions preds/<subject>_<phase>.nii.gz."""
    base = tmp_path_factory.mktemp("clean")
    write_acdc(base / "ACDC", patients=(1, 2))
    result = cli("data", "index", "acdc", base / "ACDC", "--out", base / "acdc.csv")
    assert result.exit_code == 0, result.output
    (base / "acdc.errors.csv").unlink()
    (base / "preds").mkdir()
    with open(base / "acdc.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            gt = nib.load(str(base / row["label"]))
            canon = to_canonical(gt.get_fdata().astype("uint8"), "acdc")
            nib.save(nib.Nifti1Image(canon, gt.affine, gt.header),
                     str(base / "preds" / f"{row['subject']}_{row['phase']}.nii.gz"))
    return base


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A finished run of a 2-step unet_test training on 4 synthetic subjects, and its cache."""
    root = tmp_path_factory.mktemp("tinyrun")
    suite = dict(TINY, data=dict(TINY["data"], cache=str(root / "cache")))
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    result = cli("run", path, "--out", root / "run")
    assert result.exit_code == 0, result.output
    return root / "run", root / "cache", suite


# ---------------------------------------------------------------------------------------------------------
# running a call
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    code: int | None  # None: killed by the timeout
    stdout: str
    stderr: str
    seconds: float
    crash: str = ""  # 'Type: message' of an exception that escaped the command
    trace: str = ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_in_process(call: Call) -> Outcome:
    start = time.perf_counter()
    r = CliRunner().invoke(app, call.args, env=ENV)
    seconds = time.perf_counter() - start
    out = Outcome(r.exit_code, r.stdout, r.stderr, seconds)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        out.crash = traceback.format_exception_only(type(r.exception), r.exception)[-1].strip()
        out.trace = "".join(traceback.format_exception(*r.exc_info)) if r.exc_info else ""
    return out


def run_limited(call: Call, work: Path, harness: Path) -> Outcome:
    """Run the call in a forked child (modules already imported) under RLIMIT_AS = its mapping + MEMORY_HEADROOM,
    killed after LIMITED_TIMEOUT seconds."""
    harness.mkdir(parents=True, exist_ok=True)
    result = harness / "outcome.json"
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.chdir(work)
            with open("/proc/self/statm") as fh:
                mapped = int(fh.read().split()[0]) * resource.getpagesize()
            resource.setrlimit(resource.RLIMIT_AS, (mapped + MEMORY_HEADROOM, mapped + MEMORY_HEADROOM))
            result.write_text(json.dumps(asdict(run_in_process(call))))
        except BaseException:  # noqa: B036  (anything: the parent must hear of it)
            result.write_text(json.dumps({"code": 1, "stdout": "", "stderr": "", "seconds": 0.0,
                                          "crash": f"harness: {traceback.format_exc(limit=3)}"}))
        finally:
            os._exit(0)
    deadline = time.monotonic() + LIMITED_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Outcome(None, "", "", time.perf_counter() - start)
        time.sleep(0.01)
    if os.WIFSIGNALED(status) or not result.is_file():
        return Outcome(-1, "", "", time.perf_counter() - start, crash=f"child died (status {status})")
    return Outcome(**json.loads(result.read_text()))


# ---------------------------------------------------------------------------------------------------------
# judging
# ---------------------------------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: kind and, for files, size and mtime; for links, the target."""
    entries: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                entries[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                entries[rel] = ("dir",)
            else:
                entries[rel] = ("file", st.st_size, st.st_mtime_ns)
    return entries


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _within(path: Path, allowed: list[Path]) -> bool:
    """In an allowed folder, or a folder on the way to one (made by mkdir -p)."""
    return any(path == a or a in path.parents or path in a.parents for a in allowed)


def error_rows(call: Call, sb: Path) -> list[str]:
    """Every row of every errors.csv / *.errors.csv in the folders the command may write (cells joined)."""
    rows = []
    for folder in call.allowed:
        if not folder.is_dir() or not (folder == sb or sb in folder.parents):
            continue
        for path in sorted({*folder.rglob("errors.csv"), *folder.rglob("*.errors.csv")}):
            try:
                with open(path, newline="", errors="replace") as fh:
                    rows += [" | ".join(r) for r in list(csv.reader(fh))[1:]]
            except (OSError, csv.Error) as exc:
                rows.append(f"<unreadable {path}: {exc}>")
    return rows


def judge(call: Call, o: Outcome, changed: list[str], env: Env, scrub: str) -> list[str]:
    """What broke the promise; [] when it held."""
    bad: list[str] = []
    clean = lambda s: s.replace(str(env.sb), "<SB>").replace(scrub, "<T>")  # noqa: E731  (the paths hold test ids)
    named = lambda s: any(n in clean(s) for n in call.names)  # noqa: E731
    if o.code is None:
        bad.append(f"timeout: still running after {LIMITED_TIMEOUT} s")
    if o.crash:
        bad.append(f"crash: {o.crash}")
    elif "Traceback" in o.output:
        bad.append("a Traceback was printed")
    if env.marker.exists():
        bad.append(f"code executed: {env.marker.name} was created")
    outside = [c for c in changed if not _within(env.sb / c, call.allowed)]
    if outside:
        bad.append(f"wrote outside the allowed folders: {', '.join(outside[:5])}")
    if call.max_seconds is not None and o.seconds > call.max_seconds:
        bad.append(f"took {o.seconds:.1f} s (limit {call.max_seconds} s)")
    if o.crash or o.code is None:
        return bad
    rows = [r for r in error_rows(call, env.sb) if named(r)]
    lines = [ln for ln in o.output.splitlines() if ln.startswith("error:") and named(ln)]
    if o.code == 0:
        printed = call.report_lines and any(ln.startswith(("error:", "warning:")) and named(ln)
                                            for ln in o.output.splitlines())
        if not (rows or printed or (call.accept_ok and call.accept_ok())):
            bad.append(f"exit 0 but no errors row names any of {call.names}")
    elif o.code == 1:
        if not (lines or rows):
            bad.append(f"exit 1 but no 'error:' line or errors row names any of {call.names}")
    elif o.code == 2:
        err = [ln for ln in o.stderr.splitlines() if ln.strip()]
        if len(err) != 1 or not err[0].startswith("error:"):
            bad.append(f"exit 2 but stderr is not one 'error: ...' line ({len(err)} lines)")
        elif not (named(err[0]) or rows):
            bad.append(f"exit 2 but the error names none of {call.names}")
    else:
        bad.append(f"exit code {o.code}")
    return bad


def transcript(call: Call, o: Outcome) -> str:
    tail = lambda s: "\n".join(s.strip().splitlines()[-12:])  # noqa: E731
    return (f"\n  command: cmrbench {' '.join(repr(a) if ' ' in a else a for a in call.args)[:400]}"
            f"\n  exit {o.code}, {o.seconds:.2f} s\n--- stdout ---\n{tail(o.stdout)}\n--- stderr ---\n{tail(o.stderr)}"
            + (f"\n--- traceback ---\n{tail(o.trace)}" if o.trace else ""))


@pytest.fixture
def sandbox(tmp_path, monkeypatch, tmp_path_factory):  # type: ignore[no-untyped-def]
    sb = tmp_path / "sb"
    (sb / "work").mkdir(parents=True)
    monkeypatch.chdir(sb / "work")
    return sb, str(tmp_path_factory.getbasetemp())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, sandbox, clean_base, request, tmp_path):  # type: ignore[no-untyped-def]
    sb, scrub = sandbox
    run, cache, suite = request.getfixturevalue("tiny_run") if case.needs_run else (None, None, None)
    env = Env(sb, clean_base, run, cache, suite)
    call = case.build(env)
    if call.skip:
        pytest.skip(call.skip)
    before = snapshot(sb)
    outcome = run_limited(call, env.work, tmp_path / "harness") if call.limited else run_in_process(call)
    problems = judge(call, outcome, changes(before, snapshot(sb)), env, scrub)
    if os.environ.get("CMRBENCH_FUZZ_REPORT"):  # one JSON line per case, for summaries
        with open(os.environ["CMRBENCH_FUZZ_REPORT"], "a") as fh:
            fh.write(json.dumps({"id": case.id, "family": case.family, "problems": problems, "exit": outcome.code,
                                 "crash": outcome.crash, "seconds": round(outcome.seconds, 3),
                                 "stderr": outcome.stderr[-300:], "stdout": outcome.stdout[-300:]}) + "\n")
    assert not problems, "; ".join(problems) + transcript(call, outcome)


# ---------------------------------------------------------------------------------------------------------
# controls: the same commands on clean input succeed (so a failure above is the input's doing, not the harness's)
# ---------------------------------------------------------------------------------------------------------
CONTROLS = {
    "index": lambda env: ["data", "index", "acdc", str(env.inputs() / "ACDC"), "--out", str(env.out / "m.csv")],
    "check": lambda env: ["data", "check", str(env.manifest)],
    "evaluate": lambda env: ["evaluate", "--manifest", str(env.manifest), "--pred", str(env.inp / "preds"),
                             "--out", str(env.out)],
    "index-manifest": lambda env: ["data", "index", "manifest", str(env.manifest), "--out", str(env.out / "m.csv")],
    "validate": lambda env: ["validate", str(_suite(env))],
    "predict": lambda env: ["predict", "--checkpoint", str(env.best_pt()), "--input", str(env.acdc(1)),
                            "--out", str(env.out)],
    "leaderboard": lambda env: ["leaderboard", str(env.run), "--table", "all"],
    "compare": lambda env: ["compare", str(env.run), str(env.run)],
    "rerun": lambda env: ["run", str(_suite(env)), "--out", str(env.run)],
}


def _suite(env: Env) -> Path:
    path = env.sb / "in" / "suite.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(env.suite or TINY, sort_keys=False))
    return path


@pytest.mark.parametrize(("name", "limited"), [(n, False) for n in CONTROLS] + [("validate", True), ("check", True)],
                         ids=[*CONTROLS, "validate-limited", "check-limited"])
def test_control(name, limited, sandbox, clean_base, tiny_run, tmp_path):  # type: ignore[no-untyped-def]
    sb, _ = sandbox
    run, cache, suite = tiny_run
    env = Env(sb, clean_base, run, cache, suite)
    call = Call(CONTROLS[name](env))
    o = run_limited(call, env.work, tmp_path / "harness") if limited else run_in_process(call)
    assert o.code == 0 and not o.crash, transcript(call, o)
    if name in ("index", "evaluate", "index-manifest"):
        errors = env.out / ("m.errors.csv" if name.startswith("index") else "results/errors.csv")
        assert len(errors.read_text().strip().splitlines()) == 1, errors.read_text()
