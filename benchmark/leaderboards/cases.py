"""The rows behind every Dice table: scored cases, and the expected cases no prediction scored, counted."""
from __future__ import annotations

import pandas as pd

from ..errors import CmrbenchError
from ..labels import STRUCTURES, parse_present
from ..results import DEFAULT_SELECTION, SELECTION_RULES, Results, selections

MISSING_RULES = {"exclude": "left out of the means (--missing exclude)",
                 "fail": "scored as Dice 0 for each annotated structure (--missing fail)"}
ORACLE = "oracle"
_KEYS = ["job", "selection", "dataset", "subject", "phase"]


def check_missing(rule: str) -> str:
    """The rule for expected cases without a usable prediction: 'exclude' or 'fail'."""
    if rule not in MISSING_RULES:
        raise CmrbenchError(f"--missing {rule}: choose {' or '.join(MISSING_RULES)}")
    return rule


def _job_info(res: Results) -> pd.DataFrame:
    cols = [c for c in ("method", "model", "policy", "seed", "parameters", "operations") if c in res.jobs]
    return res.jobs.drop_duplicates("job").set_index("job")[cols] if "job" in res.jobs else pd.DataFrame()


def missing_rows(res: Results, cases: pd.DataFrame) -> pd.DataFrame:
    """One Dice-0, scored=False row per structure of each expected case (per selection rule) that has no score.

    expected.csv may name each row's rule in a column `selection`; without it, a job's expected cases count
    under every rule that job was scored with."""
    expected = res.expected_cases()
    if expected.empty:
        return pd.DataFrame(columns=[*cases.columns, "scored"])
    exp = expected.assign(**{c: expected[c].astype(str) for c in ("job", "dataset", "subject", "phase")})
    if "selection" in exp and exp["selection"].notna().any():  # each evaluation names its rule
        exp["selection"] = selections(exp)
    else:  # expected for every rule the job was scored under
        rules = cases.groupby(cases["job"].astype(str))["selection"].agg(lambda s: sorted(set(s))).to_dict()
        exp["selection"] = [rules.get(j, [DEFAULT_SELECTION]) for j in exp["job"]]
        exp = exp.explode("selection")
    exp = exp.drop_duplicates(_KEYS)
    hit = cases[_KEYS].astype(str).drop_duplicates().assign(_scored=True)
    exp = exp.merge(hit, on=_KEYS, how="left")
    exp = exp[exp["_scored"].isna()].drop(columns="_scored")
    if exp.empty:
        return pd.DataFrame(columns=[*cases.columns, "scored"])
    exp["structure"] = [list(parse_present(p) or STRUCTURES) for p in exp.get("labels_present", [""] * len(exp))]
    exp = exp.explode("structure").reset_index(drop=True)
    info = _job_info(res).reindex(exp["job"])
    for c in info.columns:
        if c not in exp or exp[c].isna().all():
            exp[c] = info[c].to_numpy()
    exp["method"] = exp["method"].fillna(exp["job"]) if "method" in exp else exp["job"]
    return exp.assign(dice=0.0, scored=False)


HELDOUT = "heldout"  # the `part` of a leave-one-domain-out training scored on the domain it never saw


def case_frame(res: Results, heldout: bool = False) -> pd.DataFrame:
    """Scored rows (scored=True) plus missing_rows (scored=False): what every Dice table groups.

    Rows scored on a held-out domain (part == heldout) form their own table; the others never include them."""
    cases = res.with_methods().assign(scored=True)
    cases["subject"] = cases["subject"].astype(str)
    missing = missing_rows(res, cases)
    frame = cases if missing.empty else pd.concat([cases, missing.reindex(columns=cases.columns)],
                                                  ignore_index=True)
    frame["scored"] = frame["scored"].astype(bool)
    part = frame["part"].fillna("").astype(str) if "part" in frame else pd.Series("", index=frame.index)
    return frame[(part == HELDOUT) == heldout]


def split_selection(frame: pd.DataFrame, oracle: bool) -> tuple[pd.DataFrame, list[str]]:
    """Oracle rows only (oracle=True) or every other rule; ['selection'] as an extra key when several remain."""
    keep = (frame["selection"] == ORACLE) if oracle else (frame["selection"] != ORACLE)
    part = frame[keep]
    return part, (["selection"] if part["selection"].nunique() > 1 else [])


def selection_note(frame: pd.DataFrame) -> str:
    """Which model-selection rule(s) made the rows of a table."""
    rules = sorted(frame["selection"].dropna().unique())
    text = "; ".join(f"{r} ({SELECTION_RULES.get(r, 'a rule named in cases.csv')})" for r in rules)
    return f"model selection: {text}" + (" (column 'selection')" if len(rules) > 1 else "")


def seeds_note(frame: pd.DataFrame) -> str:
    """The seeds behind each method, listed from the data."""
    def listed(s: pd.Series) -> str:
        seeds = sorted({str(v) for v in s.dropna() if str(v) != ""}, key=lambda v: (len(v), v))
        return ", ".join(seeds) if seeds else "none recorded"

    per = frame.groupby("method")["seed"].agg(listed) if "seed" in frame else pd.Series(dtype=str)
    if per.empty:
        return "seeds: none recorded"
    if per.nunique() == 1:
        return f"seeds: {per.iloc[0]}" + (" (every method)" if len(per) > 1 else "")
    return "seeds: " + "; ".join(f"{m}: {s}" for m, s in per.items())


def count_note(frame: pd.DataFrame, missing: str) -> str:
    """How many expected cases (job x subject x phase) were scored, and what the tables do with the others."""
    cases = frame.groupby(_KEYS, dropna=False)["scored"].any()
    done, total = int(cases.sum()), len(cases)
    if done == total:
        return f"all {total} expected cases (subject x phase x seed) were scored"
    return (f"{done} of {total} expected cases (subject x phase x seed) were scored; the {total - done} without a "
            f"usable prediction (errors.csv says why) are {MISSING_RULES[missing]}")


def annotated(frame: pd.DataFrame) -> dict[str, set[str]]:
    """The structures annotated in at least one case of each dataset (an empty labels_present means all)."""
    out: dict[str, set[str]] = {}
    present = frame["labels_present"] if "labels_present" in frame else pd.Series("", index=frame.index)
    pairs = pd.DataFrame({"dataset": frame["dataset"], "present": present.fillna("").astype(str)}).drop_duplicates()
    for ds, cell in zip(pairs["dataset"], pairs["present"]):
        out.setdefault(str(ds), set()).update(parse_present(cell) or STRUCTURES)
    return out


def annotation_notes(frame: pd.DataFrame) -> list[str]:
    """A note for each dataset x structure that is never annotated (so never scored, not counted as 0)."""
    annotated_in = annotated(frame)
    return [f"– {d} {s}: not annotated in {d}, so never scored (not counted as 0)"
            for d in sorted(annotated_in) for s in STRUCTURES if s not in annotated_in[d]]
