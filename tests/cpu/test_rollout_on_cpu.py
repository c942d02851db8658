"""The hf rollout through Ray: replica launch, veRL's generate call, weight sync through the adapter.

One local Ray session for the module (own short temp dir, 2 logical CPUs, hard timeout); whatever is
left afterwards is killed by PID.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import ray
import torch
from omegaconf import OmegaConf
from transformers import AutoModelForCausalLM
from verl.workers.config import HFModelConfig, RolloutConfig
from verl.workers.rollout.replica import RolloutMode

from azr_verl.cpu.rollout import HFReplica, HFServerAdapter, server_name
from azr_verl.cpu.server import resolve_dtype, weights_fingerprint
from azr_verl.cpu.smoke import kill_leftovers, short_ray_tmp
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def tiny_dir() -> Path:
    return build_tiny_model()


@pytest.fixture(scope="module")
def ray_session():
    tmp = short_ray_tmp()
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(tmp), log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
        kill_leftovers(session_id=-1, marker=str(tmp))
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def replica(ray_session, tiny_dir: Path) -> HFReplica:
    # float32 so that log-probs can be compared with a float32 forward pass at 1e-4.
    config = RolloutConfig(
        name="hf",
        prompt_length=32,
        response_length=12,
        tensor_model_parallel_size=1,
        engine_kwargs={"hf": {"dtype": "float32"}},
    )
    replica = HFReplica(replica_rank=0, config=config, model_config=OmegaConf.create({"path": str(tiny_dir)}))
    replica.rollout_mode = RolloutMode.HYBRID  # what init_hybrid sets before launching
    asyncio.run(replica.launch_servers())
    return replica


def _generate(server, prompt: list[int], **params):
    sampling = {"temperature": 1.0, "top_p": 1.0, "top_k": -1, "repetition_penalty": 1.0, "logprobs": True}
    return ray.get(
        server.generate.remote(prompt_ids=prompt, sampling_params={**sampling, **params}, request_id="r")
    )


def _forward_log_probs(model, prompt: list[int], tokens: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(torch.tensor([prompt + tokens])).logits[0, len(prompt) - 1 : -1].float()
    return torch.log_softmax(logits, dim=-1).gather(-1, torch.tensor(tokens)[:, None])[:, 0]


def test_generate_returns_ids_and_log_probs_of_a_direct_forward_pass(
    replica: HFReplica, tiny_dir: Path
) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_dir).eval()
    prompt = [1, 12, 40, 41, 7]
    out = _generate(replica.server_handle, prompt)
    assert 0 < len(out.token_ids) <= 12
    assert len(out.log_probs) == len(out.token_ids)
    torch.testing.assert_close(
        torch.tensor(out.log_probs), _forward_log_probs(model, prompt, out.token_ids), atol=1e-4, rtol=1e-4
    )
    assert out.extra_fields["hf_weights_version"] == 0


def test_log_probs_are_omitted_when_not_requested_and_concurrent_requests_all_answer(
    replica: HFReplica,
) -> None:
    server = replica.server_handle
    refs = [
        server.generate.remote(
            prompt_ids=[1, 5 + i], sampling_params={"logprobs": False, "max_tokens": 3}, request_id=str(i)
        )
        for i in range(6)
    ]
    outs = ray.get(refs)
    assert all(o.log_probs is None and len(o.token_ids) <= 3 for o in outs)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"repetition_penalty": 1.2}, "repetition_penalty"), ({"max_tokens": 4}, "no room")],
    ids=["repetition-penalty", "prompt-too-long"],
)
def test_unsupported_requests_fail_with_a_clear_error(replica: HFReplica, params: dict, message: str) -> None:
    prompt = list(range(1, 50)) if message == "no room" else [1, 2]
    with pytest.raises(ray.exceptions.RayTaskError, match=message):
        _generate(replica.server_handle, prompt, **params)


def test_adapter_syncs_new_weights_and_generation_uses_them(
    replica: HFReplica, tiny_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("RANK", "0")
    new_model = AutoModelForCausalLM.from_pretrained(
        build_tiny_model(TinyModelSpec(seed=7), cache_dir=tmp_path)
    ).eval()
    adapter = HFServerAdapter(replica.config, HFModelConfig(path=str(tiny_dir)), device_mesh=None)
    before = ray.get(replica.server_handle.state.remote())

    asyncio.run(adapter.update_weights(iter(new_model.state_dict().items()), global_steps=3))

    after = ray.get(replica.server_handle.state.remote())
    assert after["weights_version"] == before["weights_version"] + 1
    assert after["global_steps"] == 3
    assert after["fingerprint"] == pytest.approx(
        weights_fingerprint(new_model.state_dict().items()), rel=1e-12
    )
    assert after["fingerprint"] != pytest.approx(before["fingerprint"], rel=1e-9)
    prompt = [1, 30, 31]
    out = _generate(replica.server_handle, prompt, temperature=0.0)
    torch.testing.assert_close(
        torch.tensor(out.log_probs),
        _forward_log_probs(new_model, prompt, out.token_ids),
        atol=1e-4,
        rtol=1e-4,
    )
    assert out.extra_fields["hf_weights_version"] == after["weights_version"]
    assert out.extra_fields["global_steps"] == 3


@pytest.mark.parametrize("fault", ["unknown-name", "missing-parameter"])
def test_a_partial_or_foreign_sync_is_refused(replica: HFReplica, fault: str) -> None:
    server = replica.server_handle
    if fault == "unknown-name":
        ref = server.load_weights.remote([("model.not_a_layer.weight", torch.zeros(2))], final=True)
        match = "not_a_layer"
    else:
        ref = server.load_weights.remote([("model.norm.weight", torch.ones(64))], final=True)
        match = "ended without"
    version = ray.get(server.state.remote())["weights_version"]
    with pytest.raises(ray.exceptions.RayTaskError, match=match):
        ray.get(ref)
    assert ray.get(server.state.remote())["weights_version"] == version


def test_a_refused_sync_does_not_poison_the_next_one(replica: HFReplica, tiny_dir: Path) -> None:
    server = replica.server_handle
    with pytest.raises(ray.exceptions.RayTaskError):
        ray.get(server.load_weights.remote([("model.nope", torch.zeros(1))], first=True, final=False))
    weights = list(AutoModelForCausalLM.from_pretrained(tiny_dir).state_dict().items())
    version = ray.get(server.state.remote())["weights_version"]
    ray.get(server.load_weights.remote(weights[:3], first=True, final=False))
    state = ray.get(server.load_weights.remote(weights[3:], first=False, final=True))
    assert state["weights_version"] == version + 1
    assert state["fingerprint"] == pytest.approx(weights_fingerprint(weights), rel=1e-12)


@pytest.mark.parametrize(("name", "expected"), [("bfloat16", torch.bfloat16), ("fp32", torch.float32)])
def test_dtype_names_follow_verls_spelling(name: str, expected: torch.dtype) -> None:
    assert resolve_dtype(name) is expected


def test_an_unknown_dtype_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="'int8'"):
        resolve_dtype("int8")


def test_engine_kwargs_dtype_wins_over_the_rollout_dtype(replica: HFReplica) -> None:
    assert replica.config.dtype == "bfloat16"  # veRL's default rollout dtype
    assert ray.get(replica.server_handle.state.remote())["dtype"] == "float32"


def test_the_server_is_found_by_name_for_the_adapter(replica: HFReplica) -> None:
    assert ray.get_actor(server_name(0)) is not None
    assert replica.server_address == f"hf://{server_name(0)}"
