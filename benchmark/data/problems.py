"""Problems found in input data: one record per file and what is wrong with it."""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..atomic import replace_atomic

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """What is wrong with one file of one case; `severity` error means the case is unusable."""

    file: str
    what: str
    why: str
    dataset: str = ""
    subject: str = ""
    phase: str = ""
    severity: str = ERROR

    def line(self) -> str:
        """One human-readable line: file, what, why."""
        who = "/".join(x for x in (self.dataset, self.subject, self.phase) if x)
        prefix = f"[{who}] " if who else ""
        return f"{prefix}{self.file}: {self.what}: {self.why}"


class DataError(Exception):
    """Raised while reading a case; carries the Problem that describes it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.line())
        self.problem = problem


PROBLEM_COLUMNS = [f.name for f in fields(Problem)]


def write_problems(problems: list[Problem], path: Path) -> None:
    """Write problems as CSV (header only when there are none, so 'no problems' is explicit), atomically."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=PROBLEM_COLUMNS)
            writer.writeheader()
            for p in problems:
                writer.writerow(asdict(p))

    replace_atomic(Path(path), write)


def read_problems(path: Path) -> list[Problem]:
    """Read a problems CSV written by `write_problems`."""
    with open(path, newline="") as fh:
        return [Problem(**{k: (v or "") for k, v in row.items()}) for row in csv.DictReader(fh)]
