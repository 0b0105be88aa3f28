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


def install_distribution(site: Path, dist: str, files: dict[str, str], entry_points: str) -> None:
    """A distribution as pip leaves it: its files and a .dist-info with METADATA and entry_points.txt."""
    for name, source in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(source)
    info = site / f"{dist}-0.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(entry_points)


def install_throwaway(site: Path, dist: str, module: str, source: str, entry: str) -> None:
    """A distribution whose package registers its models on import (entry point names the module)."""
    install_distribution(site, dist, {f"{module}/__init__.py": source}, f"[cmrbench.models]\n{entry} = {module}\n")


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


FACTORIES = '''
from torch import nn
from benchmark.augment import Policy
from benchmark.augment.ops import FlipH, RandomCrop

def build(in_channels=1, num_classes=4, width=3):
    return nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, num_classes, 1))

def flips(crop=256):
    return Policy([FlipH(p=0.5), RandomCrop(crop)], resample=False, name="flips")

NOT_A_FACTORY = 42
'''


def test_entry_points_naming_factories_register_them_under_the_entry_point_name(tmp_path):
    site = tmp_path / "site"
    install_distribution(site, "factplug", {"factplug/__init__.py": "", "factplug/nets.py": FACTORIES},
                         "[cmrbench.models]\nfactnet = factplug.nets:build\nnumber = factplug.nets:NOT_A_FACTORY\n"
                         "[cmrbench.policies]\nflipsonly = factplug.nets:flips\n")
    models = run(site, "-m", "benchmark", "list", "models")
    assert models.returncode == 0, models.stderr
    assert "factnet" in models.stdout and "factplug 0.3" in models.stdout
    assert ("plugin 'number' (factplug.nets:NOT_A_FACTORY) failed to load: CmrbenchError: factplug.nets:NOT_A_FACTORY "
            "is neither a module (which registers on import) nor a factory (registered as 'number'), but a int"
            ) in models.stdout
    policies = run(site, "-m", "benchmark", "list", "policies")
    assert "flipsonly" in policies.stdout and "flip_h(p=0.5), random_crop(size=256)" in policies.stdout
    built = run(site, "-c", "import benchmark as cb, torch; from benchmark.models import MODELS;"
                            "m = cb.create_model('factnet', width=5); print(m[0].out_channels, "
                            "tuple(m(torch.zeros(1, 1, 9, 7)).shape), MODELS.entry('factnet').origin);"
                            "print(cb.create_policy('flipsonly', crop=32).describe())")
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines() == ["5 (1, 4, 9, 7) factplug 0.3", "flip_h(p=0.5), random_crop(size=32)"]
