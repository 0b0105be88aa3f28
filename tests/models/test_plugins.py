"""Plugins: an installed distribution's entry point adds a model; a broken one is reported by name."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.errors import CmrbenchError
from benchmark.models import MODELS, create_model
from benchmark.plugins import load_plugin_file

GOOD = '''
from torch import nn
from benchmark.models import register_model

@register_model("tinynet", variants={"tinynet_wide": {"width": 8}})
def tinynet(in_channels=1, num_classes=4, width=2):
    return nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, num_classes, 1))
'''


def install_throwaway(site: Path, dist: str, module: str, source: str, entry: str) -> None:
    """A distribution as pip leaves it: the package and a .dist-info with METADATA and entry_points.txt."""
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text(source)
    info = site / f"{dist}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[cmrbench.models]\n{entry} = {module}\n")


def run(site: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", COLUMNS="200")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_installed_plugin_is_listed_and_built_and_broken_one_reported(tmp_path):
    site = tmp_path / "site"
    install_throwaway(site, "goodplug", "goodplug", GOOD, "tiny")
    install_throwaway(site, "badplug", "badplug", "raise ImportError('boom: needs xyz')\n", "broken")
    listing = run(site, "-m", "benchmark", "list", "models")
    assert listing.returncode == 0, listing.stderr
    out = listing.stdout
    assert "tinynet" in out and "goodplug 0.3" in out and "tinynet_wide" in out
    assert "plugin 'broken' (badplug) failed to load: ImportError: boom: needs xyz" in out
    assert "unet16" in out and "built-in" in out
    built = run(site, "-c", "import benchmark as cb, torch; m = cb.create_model('tinynet_wide');"
                            "print(tuple(m(torch.zeros(1, 1, 9, 7)).shape))")
    assert built.stdout.strip() == "(1, 4, 9, 7)", built.stderr
    unknown = run(site, "-c", "import benchmark as cb; cb.create_model('nope')")
    assert "plugins that failed to load: broken (ImportError: boom: needs xyz)" in unknown.stderr


def test_local_plugin_file_registers_with_its_path_as_origin(tmp_path):
    good = tmp_path / "my_nets.py"
    good.write_text(GOOD.replace("tinynet", "filenet"))
    try:
        load_plugin_file(good)
        assert MODELS.entry("filenet").origin == str(good.resolve())
        assert create_model("filenet", num_classes=3)[-1].out_channels == 3
    finally:
        MODELS.remove("filenet")
        MODELS.remove("filenet_wide")
    bad = tmp_path / "bad_nets.py"
    bad.write_text("import not_a_module_anywhere\n")
    with pytest.raises(CmrbenchError, match=r"bad_nets.py failed to load: ModuleNotFoundError"):
        load_plugin_file(bad)
