"""The generic registry: aliases, wildcards, origins, did-you-mean, duplicates, namespaces."""
from __future__ import annotations

import pytest

from benchmark.errors import CmrbenchError, UnknownNameError
from benchmark.registry import Registry, registering_from


def make() -> Registry[int]:
    reg: Registry[int] = Registry("widget")
    reg.add("alpha", 1, aliases=("a",))
    with registering_from("somepkg 1.0"):
        reg.add("alphabet", 2)
    reg.add("beta", 3)
    return reg


def test_get_by_name_and_alias_and_origin():
    reg = make()
    assert reg.get("alpha") == reg.get("a") == 1
    assert reg.entry("alphabet").origin == "somepkg 1.0"
    assert reg.entry("a").name == "alpha"


def test_wildcards_list_canonical_names_only_unless_asked():
    reg = make()
    assert reg.names("alph*") == ["alpha", "alphabet"]
    assert reg.names("*", include_aliases=True) == ["a", "alpha", "alphabet", "beta"]


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownNameError, match=r"unknown widget 'alpah'; did you mean 'alpha'"):
        make().get("alpah")
    with pytest.raises(UnknownNameError, match=r"known: alpha, alphabet, beta"):
        make().get("zzz")


def test_registering_a_name_or_alias_twice_is_an_error():
    reg = make()
    with pytest.raises(CmrbenchError, match="registered twice"):
        reg.add("beta", 4)
    with pytest.raises(CmrbenchError, match="registered twice"):
        reg.add("gamma", 5, aliases=("a",))


def test_namespace_resolves_prefixed_names_and_discovery_runs_once():
    calls = []
    reg: Registry[str] = Registry("thing", discover=lambda: calls.append(1))
    reg.add_namespace("ns", lambda rest: f"built {rest}")
    assert reg.get("ns:x:y") == "built x:y"
    assert reg.names() == [] and len(calls) == 1
