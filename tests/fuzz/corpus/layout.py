"""2. Data-set layouts: ACDC Info.cfg and folders, M&Ms / M&Ms-2 CSVs, UK Biobank, roots that are files or empty."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from layouts import MNMS_HEADER, write_mnms, write_mnms2, write_ukbb

from .calls import index_acdc, index_call, manifest_rows
from .env import Call, Env, add, case
from .tools import random_bytes


def _info(env: Env, n: int = 1) -> Path:
    return env.acdc(n, "x").parent / "Info.cfg"


def _info_case(name: str, text: bytes | str, works_if_rows: int | None = None) -> None:
    """patient001's Info.cfg rewritten; `works_if_rows`: reading it right (that many cases) is fine too."""

    def build(env: Env) -> Call:
        cfg = _info(env)
        cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
        ok = (lambda: manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_acdc(env, ["Info.cfg"], accept_ok=ok)

    add("layout", f"acdc-info-{name}", build)


_INFO = "ED: {ed}\nES: 12\nGroup: RV\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n"
_info_case("binary", np.random.default_rng(2).integers(0, 256, 300, dtype=np.uint8).tobytes())
_info_case("latin1", "ED: 1\nES: 12\nGroup: RV\nName: Ren\xe9\n".encode("latin-1"))
_info_case("ed-superscript-two", _INFO.format(ed="²"))
_info_case("ed-arabic-indic-digit", _INFO.format(ed="\u0661"), works_if_rows=4)
_info_case("ed-minus-one", _INFO.format(ed="-1"))
_info_case("ed-1.5", _INFO.format(ed="1.5"))
_info_case("ed-zero", _INFO.format(ed="0"))
_info_case("ed-beyond-frame-count", _INFO.format(ed="31"))
_info_case("empty", "")


@case("layout", "acdc-info-missing")
def _(env: Env) -> Call:
    _info(env).unlink()
    return index_acdc(env, ["Info.cfg"])


@case("layout", "acdc-info-is-a-directory")
def _(env: Env) -> Call:
    cfg = _info(env)
    cfg.unlink()
    cfg.mkdir()
    return index_acdc(env, ["Info.cfg"])


@case("layout", "acdc-patient-folder-empty")
def _(env: Env) -> Call:
    (env.inputs() / "ACDC" / "training" / "patient003").mkdir()
    return index_acdc(env, ["patient003"])


@case("layout", "acdc-es-image-missing")
def _(env: Env) -> Call:
    path = env.acdc(2, "frame12.nii.gz")
    path.unlink()
    return index_acdc(env, [path.name])


@case("layout", "acdc-training-folder-empty")
def _(env: Env) -> Call:
    training = env.inputs() / "ACDC" / "training"
    shutil.rmtree(training)
    training.mkdir()
    return index_acdc(env, ["ACDC", "training"])


def _root_is_file(fmt: str) -> None:
    def build(env: Env) -> Call:
        root = env.sb / "in" / f"{fmt}_root.nii.gz"
        random_bytes(root, 64)
        return index_call(env, fmt, root, [root.name])

    add("layout", f"{fmt}-root-is-a-file", build)


def _root_empty(fmt: str) -> None:
    def build(env: Env) -> Call:
        root = env.sb / "in" / f"{fmt}_empty"
        root.mkdir(parents=True)
        return index_call(env, fmt, root, [root.name])

    add("layout", f"{fmt}-root-empty", build)


for _fmt in ("acdc", "mnms", "mnms2", "ukbb"):
    _root_is_file(_fmt)
    _root_empty(_fmt)


def _mnms_csv(env: Env) -> Path:
    root = write_mnms(env.sb / "in" / "MnM")
    return root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv"


def _mnms_case(name: str, rewrite: Callable[[Path], None], names: list[str] | None = None,
               works_if_rows: int | None = None) -> None:
    def build(env: Env) -> Call:
        csv = _mnms_csv(env)
        rewrite(csv)
        ok = (lambda: manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_call(env, "mnms", csv.parent, names or [csv.name], accept_ok=ok)

    add("layout", f"mnms-{name}", build)


def _sep(sep: str) -> Callable[[Path], None]:
    return lambda csv: csv.write_text(csv.read_text().replace(",", sep))


_mnms_case("csv-semicolon", _sep(";"), works_if_rows=4)
_mnms_case("csv-tab", _sep("\t"), works_if_rows=4)
_mnms_case("csv-bom", lambda csv: csv.write_bytes(b"\xef\xbb\xbf" + csv.read_bytes()), works_if_rows=4)
_mnms_case("csv-latin1", lambda csv: csv.write_bytes(csv.read_bytes().replace(b"HCM,M", b"HCM \xe9,M", 1)),
           works_if_rows=4)
_mnms_case("csv-utf16", lambda csv: csv.write_bytes(csv.read_text().encode("utf-16")), works_if_rows=4)
_mnms_case("csv-missing-es-column", lambda csv: csv.write_text(
    "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 6) for line in csv.read_text().splitlines())
    + "\n"))
_mnms_case("csv-duplicate-subject-rows", lambda csv: csv.write_text(
    csv.read_text() + "9,A0S9V9,Siemens,A,1,3,7,50,HCM,M,175,80\n"), names=["A0S9V9"])
_mnms_case("csv-ed-superscript", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",²,9,")),
           names=["A0S9V9"])
_mnms_case("csv-ed-minus-one", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",-1,9,")),
           names=["A0S9V9"])
_mnms_case("csv-ed-1.5", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",1.5,9,")),
           names=["A0S9V9"])
_mnms_case("csv-es-beyond-cine", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",0,13,")),
           names=["A0S9V9"])
_mnms_case("csv-header-only", lambda csv: csv.write_text(MNMS_HEADER), names=["A0S9V9", "211230"])
_mnms_case("csv-binary-garbage", lambda csv: random_bytes(csv, 2000) and None, names=["MnM"])


@case("layout", "mnms-case-folder-without-files")
def _(env: Env) -> Call:
    csv = _mnms_csv(env)
    (csv.parent / "Training" / "Labeled" / "A0S9V9" / "A0S9V9_sa.nii.gz").unlink()
    return index_call(env, "mnms", csv.parent, ["A0S9V9_sa.nii.gz"])


def _mnms2_case(name: str, rewrite: Callable[[Path], None], names: list[str], works_if_rows: int | None = None) -> None:
    def build(env: Env) -> Call:
        root = write_mnms2(env.sb / "in" / "MnM2")
        rewrite(root / "dataset_information.csv")
        ok = (lambda: manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_call(env, "mnms2", root, names, accept_ok=ok)

    add("layout", f"mnms2-{name}", build)


_mnms2_case("csv-latin1", lambda csv: csv.write_bytes(csv.read_bytes().replace(b"ARR", b"ARR\xe9", 1)),
            ["dataset_information.csv"], works_if_rows=4)
_mnms2_case("csv-missing-subject-code-column",
            lambda csv: csv.write_text(csv.read_text().replace("SUBJECT_CODE", "CODE")), ["dataset_information.csv"])
_mnms2_case("csv-duplicate-subject-rows",
            lambda csv: csv.write_text(csv.read_text() + "1,HCM,PHILIPS,Achieva,3T\n"),
            ["dataset_information.csv", "001"])
_mnms2_case("csv-binary-garbage", lambda csv: random_bytes(csv, 3000) and None, ["dataset_information.csv"])


@case("layout", "ukbb-image-is-a-directory")
def _(env: Env) -> Call:
    root = write_ukbb(env.sb / "in" / "UKBB")
    path = root / "1000001" / "sa_ES.nii.gz"
    path.unlink()
    path.mkdir()
    return index_call(env, "ukbb", root, ["sa_ES.nii.gz"])


@case("layout", "ukbb-label-random-bytes")
def _(env: Env) -> Call:
    root = write_ukbb(env.sb / "in" / "UKBB")
    return index_call(env, "ukbb", root, [random_bytes(root / "1000002" / "label_sa_ED.nii.gz").name])
