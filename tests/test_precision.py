"""Precision: bf16 autocast chosen where the device runs it natively, deterministic bf16 training on the CPU,
inference in bf16 with float32 probabilities, the GPU benchmark's projection arithmetic."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
from tiny_slices import tiny_slices

import benchmark as cb
from benchmark import precision as prec
from benchmark.errors import CmrbenchError
from benchmark.infer import predict_probabilities
from benchmark.precision import autocast, describe_precision, resolve_precision
from benchmark.slices import SliceSet
from benchmark.suite import Training
from benchmark.train import Trainer

CPU = torch.device("cpu")


@pytest.fixture
def threads(request):  # type: ignore[no-untyped-def]
    """Run with `request.param` CPU threads (None: torch's default); tiny networks run ~100x faster on one
    thread on a shared 2-core machine, where every parallel region waits for a descheduled thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(getattr(request, "param", 1) or before)
    yield torch.get_num_threads()
    torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------ resolving
def test_fp32_is_no_autocast_and_bf16_is_bfloat16_on_the_cpu():
    assert resolve_precision("fp32", CPU) is None
    assert resolve_precision("bf16", CPU) is torch.bfloat16
    assert describe_precision(None) == "fp32" and describe_precision(torch.bfloat16) == "bf16"


@pytest.mark.parametrize("native", [True, False])
def test_auto_takes_bf16_only_on_a_cpu_with_native_bf16(monkeypatch, native):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert resolve_precision("auto", CPU) is (torch.bfloat16 if native else None)
    assert resolve_precision("bf16", CPU) is torch.bfloat16  # forced: runs, only slower


def test_a_missing_or_failing_cpu_probe_means_no_native_bf16(monkeypatch):
    def boom() -> bool:
        raise RuntimeError("not in this build")

    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", boom, raising=False)
    assert resolve_precision("auto", CPU) is None


def test_auto_on_cuda_follows_the_card_and_forced_bf16_fails_clearly_without_it(monkeypatch):
    monkeypatch.setattr(prec, "cuda_bf16", lambda native: False)
    assert resolve_precision("auto", "cuda") is None
    with pytest.raises(CmrbenchError, match="cannot run bfloat16"):
        resolve_precision("bf16", torch.device("cuda"))
    monkeypatch.setattr(prec, "cuda_bf16", lambda native: True)
    assert resolve_precision("auto", "cuda") is torch.bfloat16


def test_an_unknown_precision_is_a_user_error():
    with pytest.raises(CmrbenchError, match="fp16.*auto, fp32, bf16"):
        resolve_precision("fp16", CPU)


def test_autocast_runs_a_convolution_in_bf16_only_when_asked():
    conv, x = torch.nn.Conv2d(1, 2, 3), torch.randn(1, 1, 8, 8)
    with autocast(CPU, torch.bfloat16):
        assert conv(x).dtype == torch.bfloat16
    with autocast(CPU, None):
        assert conv(x).dtype == torch.float32


# ------------------------------------------------------------------------------------------- training
def make_trainer(folder: Path, precision: str, steps: int = 6, compile: bool = False) -> Trainer:
    """unet_test on 32x32 crops of the tiny slices, `paper` augmentation, seed 0."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    cfg = Training(iterations=steps, batch_size=8, validate_every=5, checkpoint_every=steps, precision=precision,
                   compile=compile, optimizer={"name": "sgd", "lr": 0.05})
    data = tiny_slices()
    return Trainer(cb.create_model("unet_test"), cb.create_policy("paper", crop=32), cfg, data,
                   SliceSet(data.images[:8, 4:36, 4:36], data.labels[:8, 4:36, 4:36]), folder, 0, CPU, {})


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


@pytest.mark.parametrize("threads", [1, None], indirect=True, ids=["1-thread", "default-threads"])
def test_bf16_training_is_bit_identical_for_one_seed(tmp_path, threads):
    runs = []
    for name in ("a", "b"):
        trainer = make_trainer(tmp_path / name, "bf16", steps=4)
        assert trainer.precision == "bf16" and trainer.amp_dtype is torch.bfloat16
        trainer.fit()
        runs.append(weights(trainer))
    assert runs[0].keys() == runs[1].keys()
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def losses(folder: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (folder / "log.jsonl").read_text().splitlines()]


def test_fp32_and_bf16_train_differently_and_both_reduce_the_loss(tmp_path, threads):
    trained = {}
    for name in ("fp32", "bf16"):
        trainer = make_trainer(tmp_path / name, name, steps=30)
        assert trainer.precision == name
        trainer.fit()
        trained[name] = weights(trainer)
        curve = losses(tmp_path / name)  # mean loss of steps 1-5, ..., 26-30
        assert curve[-1] < 0.7 * curve[0], (name, curve)
    assert any(not torch.equal(trained["fp32"][k], trained["bf16"][k]) for k in trained["fp32"])


def test_resume_reads_an_old_checkpoint_with_a_gradscaler_entry(tmp_path, threads):
    trainer = make_trainer(tmp_path / "old", "bf16", steps=4)
    trainer.fit()
    state = torch.load(tmp_path / "old" / "last.pt", weights_only=False)
    assert state["precision"] == "bf16"
    state["scaler"] = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                       "_growth_tracker": 0}
    torch.save(state, tmp_path / "old" / "last.pt")
    again = make_trainer(tmp_path / "old", "bf16", steps=4)
    assert again.resume() and again.step == 4
    assert all(torch.equal(v, again.model.state_dict()[k]) for k, v in state["model"].items())


def test_a_compiled_trainer_saves_unprefixed_weights(tmp_path, monkeypatch, threads):
    class Wrapped(torch.nn.Module):  # what torch.compile returns: the network under `_orig_mod`
        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self._orig_mod = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self._orig_mod(x)

    monkeypatch.setattr(torch, "compile", lambda model, **kw: Wrapped(model))
    trainer = make_trainer(tmp_path / "c", "fp32", steps=2, compile=True)
    assert isinstance(trainer.net, Wrapped)
    trainer.fit()
    plain = set(cb.create_model("unet_test").state_dict())
    for name in ("last.pt", "best.pt"):
        assert set(torch.load(tmp_path / "c" / name, weights_only=False)["model"]) == plain


# ------------------------------------------------------------------------------------------ inference
def test_bf16_inference_gives_float32_probabilities_that_agree_with_fp32(threads):
    torch.manual_seed(0)
    model = cb.create_model("unet_test")
    slices = tiny_slices(n=5).images[:, 4:36, 4:36]
    p32 = predict_probabilities(model, slices, CPU, chunk=2)
    p16 = predict_probabilities(model, slices, CPU, chunk=2, precision=torch.bfloat16)
    assert p16.dtype == torch.float32 and p16.shape == p32.shape == (5, 4, 32, 32)
    assert torch.allclose(p16.sum(1), torch.ones(5, 32, 32), atol=1e-5)
    assert 0 < (p16 - p32).abs().max() < 0.05


# ------------------------------------------------------------------------------------- GPU benchmark
def load_gpu_script():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.py"
    spec = importlib.util.spec_from_file_location("cmrbench_gpu_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_gpu_benchmark_projects_the_paper_suite_from_a_rate():
    gpu = load_gpu_script()
    assert gpu.training_slices(subjects=3975, phases=2, slices_per_volume=10) == 79_500
    # 79,500 slices at 500 slices/s: 159 s per epoch; 10 epochs of 12 jobs
    p = gpu.project(slices=79_500, epochs=10, jobs=12, rate=500.0)
    assert p.epoch_s == pytest.approx(159.0) and p.job_s == pytest.approx(1590.0)
    assert p.total_s == pytest.approx(19_080.0)
    assert gpu.hours(7200.0) == "2.0 h"


def test_gpu_benchmark_counts_the_paper_suites_jobs_and_epochs():
    gpu = load_gpu_script()
    suite_path = Path(__file__).resolve().parents[1] / "suites" / "paper.yaml"
    models, epochs = gpu.suite_jobs(suite_path)
    # grid: unet64 x 4 policies; jobs: unet16, fcn16, fcn64 and four U-Net64 ablations
    assert epochs == 1000 and len(models) == 11
    assert models.count("unet64") == 8 and models.count("unet16") == 1
    assert gpu.rate_for("fcn16", {"unet16": 900.0, "unet64": 300.0}) == 900.0
    assert gpu.rate_for("fcn64", {"unet16": 900.0, "unet64": 300.0}) == 300.0
    assert gpu.split_sizes(suite_path) == (3975, 300)


def test_gpu_benchmark_without_cuda_says_so(capsys):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    gpu = load_gpu_script()
    assert gpu.main([]) == 0
    assert "no CUDA device: nothing measured" in capsys.readouterr().out
