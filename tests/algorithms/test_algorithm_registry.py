"""The algorithm registry: declared hyperparameters with their papers' defaults, errors that name the problem."""
from __future__ import annotations

import pytest
import torch

import benchmark as cb
from benchmark.algorithms import ALGORITHMS, create_algorithm
from benchmark.errors import CmrbenchError
from benchmark.losses import create_loss


def test_builtins_and_their_defaults():
    builtins = [e.name for e in ALGORITHMS.entries() if e.origin == "built-in"]  # plugins of other tests aside
    assert builtins == ["adv_bias", "dsu", "erm", "mixstyle", "randconv"]
    assert set(builtins) <= set(cb.list_algorithms())
    assert ALGORITHMS.get("erm").hyperparameters() == {}
    assert ALGORITHMS.get("mixstyle").hyperparameters() == {"p": 0.5, "alpha": 0.1, "eps": 1e-6, "layers": 2}
    assert ALGORITHMS.get("dsu").hyperparameters() == {"p": 0.5, "eps": 1e-6, "factor": 1.0, "layers": None}
    assert ALGORITHMS.get("randconv").hyperparameters()["kernel_sizes"] == (1, 3, 5, 7)
    assert ALGORITHMS.get("adv_bias").hyperparameters()["magnitude"] == 0.3


def test_unknown_hyperparameter_names_what_is_declared():
    with pytest.raises(CmrbenchError, match=r"algorithm 'mixstyle': unknown hyperparameter\(s\) 'beta' "
                                            r"\(it declares p=0.5, alpha=0.1"):
        create_algorithm("mixstyle", cb.create_model("unet_test"), create_loss("ce"), beta=0.3)


def test_unknown_algorithm_suggests_a_close_name():
    with pytest.raises(CmrbenchError, match="unknown algorithm 'mixstlye'; did you mean 'mixstyle'"):
        create_algorithm("mixstlye", cb.create_model("unet_test"), create_loss("ce"))


def test_parts_say_what_is_on_for_ablation_tables():
    net, ce = cb.create_model("unet_test"), create_loss("ce")
    assert create_algorithm("adv_bias", net, ce).parts() == ["adversarial bias field", "adversarial affine"]
    assert create_algorithm("adv_bias", net, ce, affine=False).parts() == ["adversarial bias field"]
    assert create_algorithm("randconv", net, ce, consistency=0.0).parts() == ["random convolution", "mixing"]
    assert create_algorithm("mixstyle", net, ce).parts() == ["stage 1", "stage 2"]


def test_adv_bias_moves_its_draw_up_the_loss():
    torch.manual_seed(0)
    net, ce = cb.create_model("unet_test"), create_loss("ce")
    algo = create_algorithm("adv_bias", net, ce)
    images, labels = torch.randn(4, 1, 32, 32), torch.randint(0, 4, (4, 32, 32))
    torch.manual_seed(1)
    control, params = algo.adversary(images, labels)
    torch.manual_seed(1)  # the same random draw, unmoved
    b = images.shape[0]
    start_control = torch.randn(b, 1, 32 // 64 + 2, 32 // 64 + 2)
    start_params = torch.randn(b, 4) * 0.5
    net.eval()
    with torch.no_grad():
        moved = ce(net(algo.transform(images, labels, control, params)[0]),
                   algo.transform(images, labels, control, params)[1])
        start = ce(net(algo.transform(images, labels, start_control, start_params)[0]),
                   algo.transform(images, labels, start_control, start_params)[1])
    assert moved > start


def test_a_hyperparameter_of_the_wrong_kind_is_refused_before_training():
    with pytest.raises(CmrbenchError, match=r"algorithm 'dsu': hyperparameter p='high' is not a float like its "
                                            r"default 0.5"):
        create_algorithm("dsu", cb.create_model("unet_test"), create_loss("ce"), p="high")
    with pytest.raises(CmrbenchError, match="hyperparameter affine=1 is not a bool"):
        create_algorithm("adv_bias", cb.create_model("unet_test"), create_loss("ce"), affine=1)
    algo = create_algorithm("randconv", cb.create_model("unet_test"), create_loss("ce"), kernel_sizes=[3, 5], views=2)
    assert algo.kernel_sizes == (3, 5) and algo.views == 2  # YAML lists for tuples, ints for floats
