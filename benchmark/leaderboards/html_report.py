"""report.html: one self-contained page (no external files, scripts or fonts) with a contents bar, the provenance
header, every table (sortable by clicking a column's header), the figures, and the errors and unscored cases."""
from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from ..results import CASE_KEYS, Results
from .formats import to_html
from .tables import Table

# what the provenance header shows first, in this order, with its label; the rest follow as they come
HEADER = {"cmrbench": "version", "commit": "commit", "suite": "suite", "seeds": "seeds",
          "selection": "selection rule", "device": "device", "precision": "precision"}

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
nav{position:fixed;top:0;left:0;bottom:0;width:230px;overflow-y:auto;background:#f4f5f7;border-right:1px solid #ddd;
padding:12px;font-size:13px;box-sizing:border-box}
nav a{display:block;color:#0b5394;text-decoration:none;padding:2px 0}nav a:hover{text-decoration:underline}
nav h3{font-size:13px;margin:12px 0 4px;color:#555;text-transform:uppercase}
main{margin-left:250px;padding:16px 24px;max-width:1500px}
table.board,table.prov{border-collapse:collapse;font-size:13px}
table.board td,table.board th,table.prov td,table.prov th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
table.board th{cursor:pointer;background:#fafafa;position:sticky;top:0}
table.board th[data-sort=asc]::after{content:" \\25B2"}table.board th[data-sort=desc]::after{content:" \\25BC"}
table.prov th{color:#555;font-weight:normal}p.note{font-size:12px;color:#555;margin:2px 0}p.absent{color:#a00}
img{max-width:100%;border:1px solid #eee}h2{margin-top:28px}section{overflow-x:auto}
"""

# Sorting: numbers by their leading value (a cell '0.934 [0.91, 0.95] n=10' sorts by 0.934), text otherwise;
# a dash (no data) always last.
SCRIPT = """
document.querySelectorAll('table.board').forEach(function(t){
  var heads=t.querySelectorAll('thead th');
  heads.forEach(function(th,i){
    th.title='click to sort';
    th.addEventListener('click',function(){
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.dataset.sort!=='asc';
      heads.forEach(function(h){delete h.dataset.sort;});
      th.dataset.sort=asc?'asc':'desc';
      function key(r){var s=r.cells[i].textContent.trim(),m=s.match(/^[-+]?[0-9]*\\.?[0-9]+/);
        return s==='\\u2013'||s===''?null:(m?parseFloat(m[0]):s.toLowerCase());}
      rows.sort(function(a,b){var x=key(a),y=key(b);if(x===null)return 1;if(y===null)return -1;
        var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));
        return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
"""


def _provenance(prov: dict) -> str:
    keys = [k for k in HEADER if k in prov] + [k for k in prov if k not in HEADER]
    rows = "".join(f"<tr><th>{html.escape(str(HEADER.get(k, k)))}</th><td>{html.escape(str(prov[k]))}</td></tr>"
                   for k in keys)
    return f"<table class='prov' id='provenance'>{rows}</table>" if rows else "<p class='note'>no provenance</p>"


def _figure(title: str, path: Path | None, anchor: str) -> str:
    head = f"<h2 id='{anchor}'>{html.escape(str(title))}</h2>"
    if path is None:
        return head + "<p class='absent'>No data for this figure.</p>"
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return head + f"<img alt='{html.escape(title)}' src='data:image/png;base64,{data}'>"


def unscored_counts(res: Results) -> pd.DataFrame:
    """Per data set: cases expected (subject x phase x training), scored, and not scored."""
    expected = res.expected_cases()
    if expected.empty:
        return pd.DataFrame(columns=["dataset", "expected", "scored", "not scored"])
    keys = [k for k in CASE_KEYS if k in expected]
    exp = expected[keys].drop_duplicates()
    scored = res.cases[keys].drop_duplicates() if not res.cases.empty else exp.iloc[:0]
    hit = exp.merge(scored.assign(_s=1), on=keys, how="left")["_s"].notna()
    table = exp.assign(scored=hit.to_numpy()).groupby("dataset")["scored"].agg(["size", "sum"]).reset_index()
    table.columns = ["dataset", "expected", "scored"]
    return table.assign(**{"not scored": table["expected"] - table["scored"]})


def _errors(res: Results) -> str:
    counts = unscored_counts(res)
    parts = ["<h2 id='errors'>Errors and unscored cases</h2>"]
    if not counts.empty:
        parts.append(counts.to_html(index=False, border=0, classes="board"))
    errors = res.errors
    if errors.empty:
        parts.append("<p class='note'>No errors: every expected case was read and scored.</p>")
    else:
        parts.append(f"<p class='note'>{len(errors)} error(s): each case that could not be read or scored, with "
                     "the file and the reason (also in results/errors.csv)</p>")
        parts.append(errors.to_html(index=False, border=0, classes="board", escape=True, na_rep=""))
    return "".join(parts)


def report_page(tables: list[Table], figures: dict[str, Path | None], res: Results, prov: dict) -> str:
    """The whole page as one HTML string."""
    anchors = {title: f"figure-{i}" for i, title in enumerate(figures)}
    nav = ["<nav><strong>cmrbench report</strong>", "<a href='#provenance'>Provenance</a>", "<h3>Tables</h3>"]
    nav += [f"<a href='#{t.name}'>{html.escape(t.title or t.name)}</a>" for t in tables]
    nav += ["<h3>Figures</h3>"] + [f"<a href='#{anchors[f]}'>{html.escape(f)}</a>" for f in figures]
    nav += ["<h3>Problems</h3>", f"<a href='#errors'>Errors and unscored cases ({len(res.errors)})</a>", "</nav>"]
    title = html.escape(f"cmrbench: {prov.get('suite', 'results')}")
    body = [f"<h1>{title}</h1>", _provenance(prov)]
    body += [f"<section>{to_html(t)}</section>" for t in tables]
    body += [_figure(name, path, anchors[name]) for name, path in figures.items()]
    body.append(f"<section>{_errors(res)}</section>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(nav)}<main>{''.join(body)}</main>"
            f"<script>{SCRIPT}</script></body></html>")
