"""Leave-one-domain-out: each training scored on the one domain it never saw, one column per held-out domain."""
from __future__ import annotations

import re

import pandas as pd

from ..labels import STRUCTURES
from ..results import Results
from .cases import case_frame, check_missing, split_selection
from .cells import DASH, cell_text, summarise
from .tables import Table, register, table_notes

_WITHOUT = re.compile(r" \(without .*\)$")


@register("table_lodo", "Leave-one-domain-out: Dice of each training on the domain it never saw")
def table_lodo(res: Results, missing: str = "exclude") -> Table:
    """Rows: method (model + policy); columns: held-out domain x structure."""
    check_missing(missing)
    frame, extra = split_selection(case_frame(res, heldout=True), oracle=False)
    if frame.empty:
        return Table("table_lodo", "", absent="no leave-one-domain-out training in this result set")
    heldout = res.jobs.drop_duplicates("job").set_index("job")["heldout"].astype(str)
    frame = frame.assign(heldout=frame["job"].astype(str).map(heldout),
                         method=frame["method"].astype(str).str.replace(_WITHOUT, "", regex=True))
    index = ["method", *extra]
    tidy = summarise(frame, [*index, "heldout", "structure"], missing)
    lookup = tidy.set_index([*index, "heldout", "structure"])
    domains = sorted(tidy["heldout"].unique())
    rows = []
    for key in tidy[index].drop_duplicates().itertuples(index=False):
        key = tuple(key)
        cells = {f"{d} {s}": cell_text(lookup.loc[(*key, d, s)]) if (*key, d, s) in lookup.index else DASH
                 for d in domains for s in STRUCTURES}
        rows.append({**dict(zip(index, key)), **cells})
    notes = ["each column: the training that left that domain out, scored on every case of that domain",
             *table_notes(frame, res, missing)]
    return Table("table_lodo", "", tidy, pd.DataFrame(rows), notes)
