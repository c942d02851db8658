"""The reward manager `azr`: `run_single` on real veRL DataProto samples, with the real executor, a
real tokenizer and a real SQLite buffer. Each kind of answer and proposal gets its defined reward."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from transformers import AutoTokenizer
from verl import DataProto
from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls

from azr_verl.buffer.store import TaskStore
from azr_verl.executor import get_default_executor
from azr_verl.models.tiny import build_tiny_model
from azr_verl.reward import EXTRA_KEYS, AZRRewardManager
from azr_verl.sample import OUTCOME_KEY, PAYLOAD_KEY, ProposalOutcome, ProposalStatus, SlotPayload
from azr_verl.tasks import FormatError, ProposalContext, Rejection, Role, Task, get_task_type

DEDUCTION = Task("code_o", "def f(xs):\n    return sorted(xs)[::-1]", ("[3, 1, 2]",), ("[3, 2, 1]",))
ABDUCTION = Task("code_i", "def f(a, b):\n    return a * b", ("6, 7",), ("42",))
INDUCTION = Task(
    "code_f",
    "def f(x):\n    return x + 1",
    ("1", "2", "3", "4"),
    ("2", "3", "4", "5"),
    message="adds one",
)


def _answer(tag: str, body: str) -> str:
    return f"<think>...</think>\n<answer>\n```{tag}\n{body}\n```\n</answer>"


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(build_tiny_model())


@pytest.fixture()
def store(tmp_path: Path):
    with TaskStore(tmp_path / "buffer.sqlite") as store:
        store.seed_zero()
        yield store


@pytest.fixture()
def manager(tokenizer, store):
    config = OmegaConf.create({"azr": {"num_solver_attempts": 4}})
    return AZRRewardManager(config, tokenizer, buffer=store)


def _sample(
    tokenizer, payload: SlotPayload, response: str, tool_extra_fields: dict | None = None
) -> DataProto:
    prompt = tokenizer("prompt", add_special_tokens=False)["input_ids"]
    response_ids = tokenizer(response, add_special_tokens=False)["input_ids"] if response else []
    pad = 8  # right padding after the response, as veRL's batches have
    responses = torch.tensor([response_ids + [0] * pad])
    attention = torch.tensor([[1] * len(prompt) + [1] * len(response_ids) + [0] * pad])
    return DataProto.from_dict(
        tensors={
            "prompts": torch.tensor([prompt]),
            "responses": responses,
            "input_ids": torch.cat([torch.tensor([prompt]), responses], dim=-1),
            "attention_mask": attention,
        },
        non_tensors={
            "data_source": np.array(["azr"], dtype=object),
            "extra_info": np.array([{PAYLOAD_KEY: payload.to_dict()}], dtype=object),
            "tool_extra_fields": np.array([tool_extra_fields or {}], dtype=object),
        },
    )


def _run(manager, data):
    return manager.loop.run_until_complete(manager.run_single(data))


def test_azr_is_registered_in_verls_reward_loop_registry():
    assert get_reward_manager_cls("azr") is AZRRewardManager


@pytest.mark.parametrize(
    ("task", "response", "expected"),
    [
        (DEDUCTION, _answer("output", "[3,2,1]"), 1.0),  # values, not strings
        (DEDUCTION, _answer("output", "[1, 2, 3]"), -0.5),
        (DEDUCTION, "the answer is [3, 2, 1]", -1.0),
        (DEDUCTION, "", -1.0),
        (DEDUCTION, _answer("output", "__import__('os').system('touch /tmp/azr_pwned')"), -0.5),
        (ABDUCTION, _answer("input", "21, 2"), 1.0),  # any input that reproduces the output
        (ABDUCTION, _answer("input", "6, 6"), -0.5),
        (INDUCTION, _answer("python", "def f(x):\n    return 1 + x"), 1.0),
        (INDUCTION, _answer("python", "def f(x):\n    return x"), -0.5),
        (INDUCTION, _answer("python", "import os\ndef f(x):\n    os.kill(os.getppid(), 9)"), -0.5),
    ],
)
def test_solver_answers_get_their_defined_reward(manager, tokenizer, store, task, response, expected):
    (stored,) = store.add([task])
    payload = SlotPayload(task.kind.value, Role.SOLVE, step=1, task=task, task_id=stored.id)
    result = _run(manager, _sample(tokenizer, payload, response))
    assert result["reward_score"] == expected
    info = result["reward_extra_info"]
    assert set(info) == set(EXTRA_KEYS)
    assert info["azr_solver_acc"] == float(expected == 1.0)
    assert math.isnan(info["azr_valid"])
    assert not Path("/tmp/azr_pwned").exists()
    (after,) = store.get([stored.id])
    assert (after.stats.solve_attempts, after.stats.solve_successes) == (1, int(expected == 1.0))


def _outcome(task_type: str, response: str, scores: tuple[float, ...]) -> dict:
    """What the azr_propose loop leaves behind, computed with the same validation it uses."""
    result = get_task_type(task_type).validate_response(response, get_default_executor(), ProposalContext())
    if isinstance(result, FormatError):
        return ProposalOutcome(ProposalStatus.FORMAT_ERROR, reason=result.reason).to_dict()
    if isinstance(result, Rejection):
        return ProposalOutcome(ProposalStatus.REJECTED, reason=result.rule.value).to_dict()
    return ProposalOutcome(ProposalStatus.VALID, task=result, attempt_scores=scores).to_dict()


PROPOSAL = "<answer>\n```python\ndef f(n):\n    return n * n + 1\n```\n```input\n7\n```\n</answer>"


@pytest.mark.parametrize(
    ("response", "scores", "expected", "stored"),
    [
        (PROPOSAL, (1.0, 0.0, 1.0, 0.0), 0.5, True),  # learnability 1 - acc
        (PROPOSAL, (1.0, 1.0, 1.0, 1.0), 0.0, True),  # always solved: teaches nothing (paper: 0)
        (PROPOSAL, (0.0, 0.0, 0.0, 0.0), 0.0, True),  # never solved
        ("no proposal here", (), -1.0, False),
        (
            "<answer>\n```python\nimport os\ndef f(x):\n    return os.listdir('/')\n```\n```input\n1\n```\n</answer>",
            (),
            -1.0,
            False,
        ),
        (
            "<answer>\n```python\ndef f(x):\n    while True:\n        pass\n```\n```input\n1\n```\n</answer>",
            (),
            -1.0,
            False,
        ),
    ],
)
def test_proposals_get_learnability_or_the_invalid_penalty(
    manager, tokenizer, store, response, scores, expected, stored
):
    before = store.count("code_o")
    payload = SlotPayload("code_o", Role.PROPOSE, step=3)
    outcome = _outcome("code_o", response, scores)
    result = _run(manager, _sample(tokenizer, payload, response, {OUTCOME_KEY: outcome}))
    assert result["reward_score"] == pytest.approx(expected)
    assert set(result["reward_extra_info"]) == set(EXTRA_KEYS)
    assert result["reward_extra_info"]["azr_valid"] == float(stored)
    # a valid proposal is committed before its reward is returned
    assert store.count("code_o") == before + int(stored)
    if stored:
        added = [t for t in store.get(list(range(1, 20))) if t.task.program.startswith("def f(n)")]
        assert len(added) == 1
        assert added[0].step == 3
        assert added[0].task.output == "50"  # the executor's gold output, computed in the agent loop


def test_a_reproposed_task_is_deduplicated_not_stored_twice(manager, tokenizer, store):
    payload = SlotPayload("code_o", Role.PROPOSE, step=4)
    outcome = _outcome("code_o", PROPOSAL, (1.0, 0.0, 0.0, 0.0))
    for _ in range(2):
        _run(manager, _sample(tokenizer, payload, PROPOSAL, {OUTCOME_KEY: outcome}))
    assert store.count("code_o") == 2  # the zero triplet and one proposal


def test_a_propose_sample_without_an_agent_loop_outcome_is_rewarded_as_invalid(manager, tokenizer):
    payload = SlotPayload("code_i", Role.PROPOSE, step=1)
    result = _run(manager, _sample(tokenizer, payload, PROPOSAL))
    assert result["reward_score"] == -1.0
    assert result["reward_extra_info"]["azr_valid"] == 0.0


# --- validation samples (veRL's RLHFDataset rows over data.val_files) --------------------------
CRUX_PROBLEM = {
    "code": "def f(xs):\n    return [x * 2 for x in xs]",
    "input": "[1, 2]",
    "output": "[2, 4]",
    "id": "p",
}


def _validation_sample(tokenizer, task: str, response: str, data_source: str | None = None) -> DataProto:
    """One row as reward_fns.cruxeval_to_parquet writes it and veRL's RLHFDataset serves it."""
    from reward_fns.cruxeval_to_parquet import rows_for

    (row,) = rows_for([CRUX_PROBLEM], task, "test")
    data = _sample(tokenizer, SlotPayload("code_o", Role.PROPOSE), response)
    data.non_tensor_batch["data_source"] = np.array([data_source or row["data_source"]], dtype=object)
    data.non_tensor_batch["reward_model"] = np.array([row["reward_model"]], dtype=object)
    data.non_tensor_batch["extra_info"] = np.array([row["extra_info"]], dtype=object)
    return data


@pytest.mark.parametrize(
    ("task", "response", "expected", "verdict"),
    [
        ("output", _answer("output", "[2,4]"), 1.0, "correct"),  # the gold output, as a value
        ("output", _answer("output", "[1, 2]"), -0.5, "wrong"),
        ("output", "[2, 4]", -1.0, "format_error"),  # no answer block: the format penalty
        ("input", _answer("input", "[1, 2]"), 1.0, "correct"),  # the gold input
        ("input", _answer("input", "[2, 1]"), -0.5, "wrong"),
        ("input", "<think>f([1, 2]) gives [2, 4]</think>", -1.0, "format_error"),
    ],
)
def test_cruxeval_validation_samples_are_scored_by_reward_fns_without_touching_the_buffer(
    tokenizer, task, response, expected, verdict
):
    from reward_fns import cruxeval

    manager = AZRRewardManager(OmegaConf.create({"azr": {}}), tokenizer)  # no buffer: none may be needed
    data = _validation_sample(tokenizer, task, response)
    result = _run(manager, data)
    row = data[0].non_tensor_batch
    direct = cruxeval.compute_score(row["data_source"], response, row["reward_model"]["ground_truth"])
    assert result["reward_score"] == expected == direct["score"]
    assert result["reward_extra_info"] == direct  # score, acc, format_ok, verdict: veRL's val metrics
    assert result["reward_extra_info"]["verdict"] == verdict
    assert result["reward_extra_info"]["acc"] == float(expected == 1.0)
    assert manager._buffer is None  # validation never reaches the self-play buffer


def test_validation_scores_use_the_runs_azr_reward_values(tokenizer):
    config = OmegaConf.create({"azr": {"rewards": {"wrong": 0.0, "format_error": -2.0}}})
    manager = AZRRewardManager(config, tokenizer)
    assert (
        _run(manager, _validation_sample(tokenizer, "output", _answer("output", "3")))["reward_score"] == 0.0
    )
    assert _run(manager, _validation_sample(tokenizer, "output", "no answer"))["reward_score"] == -2.0


def test_other_validation_sources_go_to_verls_reward_function(tokenizer):
    from verl.utils.reward_score import default_compute_score

    manager = AZRRewardManager(OmegaConf.create({"azr": {}}), tokenizer, compute_score=default_compute_score)
    data = _validation_sample(tokenizer, "output", "so the answer is #### 72", data_source="openai/gsm8k")
    data.non_tensor_batch["reward_model"] = np.array([{"ground_truth": "72"}], dtype=object)
    result = _run(manager, data)
    assert result == {"reward_score": 1.0, "reward_extra_info": {"acc": 1.0}}  # veRL naive's convention
    data.non_tensor_batch["data_source"] = np.array(["my_benchmark"], dtype=object)
    with pytest.raises(ValueError, match=r"data_source 'my_benchmark'.*reward\.custom_reward_function"):
        _run(manager, data)


def test_an_azr_sample_without_its_payload_is_an_error_not_a_validation_sample(tokenizer):
    manager = AZRRewardManager(OmegaConf.create({"azr": {}}), tokenizer)
    data = _validation_sample(tokenizer, "output", _answer("output", "[2, 4]"), data_source="azr")
    with pytest.raises(ValueError, match="without its 'azr' payload"):
        _run(manager, data)
