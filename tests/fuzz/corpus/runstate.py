"""8. Run state: OUT a file; lock, cache, splits, summary, last.pt damaged; garbage results to `leaderboard`."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .calls import run_call, write_suite
from .env import Call, Env, add, case
from .tools import random_bytes


def _results_copy(env: Env) -> Path:
    assert env.run is not None
    dst = env.sb / "in" / "resultset"
    shutil.copytree(env.run / "results", dst / "results")
    return dst


def _results_case(name: str, make: Callable[[Path], Path], command: str = "leaderboard",
                  accept_any_ok: bool = False) -> None:
    def build(env: Env) -> Call:
        rs = _results_copy(env)
        bad = make(rs / "results")
        ok = (lambda: True) if accept_any_ok else None
        if command == "leaderboard":
            return Call(["leaderboard", str(rs), "--table", "all"], [], [bad.name], accept_ok=ok)
        if command == "leaderboard-out":
            return Call(["leaderboard", str(rs), "--out", str(env.out)], [env.out], [bad.name], accept_ok=ok)
        clean = env.sb / "in" / "clean"
        shutil.copytree(env.run / "results", clean / "results")  # type: ignore[operator]
        return Call(["compare", str(rs), str(clean)], [], [bad.name], accept_ok=ok)

    add("runstate", f"{command}-{name}", build, needs_run=True)


def _truncate_mid_line(path: Path) -> Path:
    text = path.read_bytes()
    cut = text.rfind(b"\n", 0, len(text) - 1)
    path.write_bytes(text[: cut + 25])
    return path


def _write(name: str, content: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return make


def _csv_edit(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        fn(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
        return path

    return make


_GARBAGE = np.random.default_rng(4).integers(0, 256, 3000, dtype=np.uint8).tobytes()
_results_case("cases-truncated-mid-line", lambda f: _truncate_mid_line(f / "cases.csv"))
_results_case("cases-truncated-mid-line", lambda f: _truncate_mid_line(f / "cases.csv"), command="compare")
_results_case("cases-random-bytes", _write("cases.csv", _GARBAGE))
_results_case("cases-random-bytes", _write("cases.csv", _GARBAGE), command="compare")
_results_case("cases-missing-dice-column", _csv_edit("cases.csv", lambda df: df.drop(columns=["dice"])))
_results_case("cases-dice-abc", _csv_edit("cases.csv", lambda df: df.assign(dice="abc")))
_results_case("cases-dice-abc", _csv_edit("cases.csv", lambda df: df.assign(dice="abc")), command="compare")
_results_case("cases-is-a-directory", lambda f: ((f / "cases.csv").unlink(), (f / "cases.csv").mkdir(),
                                                 f / "cases.csv")[-1])
_results_case("meta-json-not-json", _write("meta.json", "{name: oops"))
_results_case("meta-json-a-list", _write("meta.json", "[1, 2]"))
_results_case("meta-json-name-is-a-mapping", _write("meta.json", '{"name": {"a": 1}}'), accept_any_ok=True)
_results_case("errors-extra-columns", _csv_edit("errors.csv", lambda df: pd.concat(
    [df, pd.DataFrame([{"job": "x", "dataset": "ukbb", "subject": "s", "phase": "ED", "file": "f", "what": "w",
                        "why": "y"}])]).assign(extra="1", more="2")), accept_any_ok=True)
_results_case("errors-random-bytes", _write("errors.csv", _GARBAGE))
_results_case("jobs-random-bytes", _write("jobs.csv", _GARBAGE))
_results_case("jobs-missing-method-column", _csv_edit("jobs.csv", lambda df: df.drop(columns=["method"])))
_results_case("expected-missing-columns", _csv_edit("expected.csv", lambda df: df[["job"]]))
_results_case("clinical-random-bytes", _write("clinical.csv", _GARBAGE), command="leaderboard-out")


@case("runstate", "run-out-is-an-existing-file", needs_run=True)
def _(env: Env) -> Call:
    out = env.sb / "in" / "out_file"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("i am a file\n")
    return run_call(env, write_suite(env), [out.name], out=out)


# A read-only OUT is covered by tests/runner/test_run_state.py::test_read_only_out_is_one_clear_error, which drops
# root's privileges in a child process; a whole `cmrbench run` cannot (the child cannot read root's interpreter).


@case("runstate", "run-lock-is-a-directory", needs_run=True)
def _(env: Env) -> Call:
    (env.out / ".lock").mkdir(parents=True)
    return run_call(env, write_suite(env), [".lock"])


@case("runstate", "run-cache-is-a-file", needs_run=True)
def _(env: Env) -> Call:
    cache = env.sb / "in" / "cache_file"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder\n")
    suite = write_suite(env, {"data": {"cache": str(cache)}})
    return run_call(env, suite, [cache.name])


def _copy_run(env: Env) -> Path:
    assert env.run is not None
    shutil.copytree(env.run, env.out, symlinks=True)
    return env.out


@case("runstate", "run-splits-csv-garbage", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    (out / "splits.csv").write_bytes(_GARBAGE)
    return run_call(env, write_suite(env), ["splits.csv"])


@case("runstate", "run-resume-summary-json-corrupt", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    summary = next(out.glob("jobs/*/summary.json"))
    summary.write_text("{not json")
    return run_call(env, write_suite(env), ["summary.json"])


@case("runstate", "run-resume-last-pt-garbage", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    job = next(out.glob("jobs/*/trained")).parent
    (job / "trained").unlink()
    random_bytes(job / "last.pt")
    return run_call(env, write_suite(env), ["last.pt"])


@case("runstate", "run-errors-csv-extra-columns", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    path = out / "results" / "errors.csv"
    path.write_text("job,dataset,subject,phase,file,what,why,extra\nx,ukbb,s,ED,f,w,y,1\n")
    return run_call(env, write_suite(env), ["errors.csv"], accept_ok=lambda: True)
