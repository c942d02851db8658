"""The agent loops `azr_propose` and `azr_solve`, instantiated through veRL's agent-loop registry and
driven by a local server whose generations come from a real tiny transformers model."""

from __future__ import annotations

import hydra
import pytest
from omegaconf import OmegaConf
from verl.experimental.agent_loop.agent_loop import DictConfigWrap, _agent_loop_registry
from verl.utils.dataset.rl_dataset import RLHFDataset

import azr_verl.agent_loops  # noqa: F401 - registers the loops (the plugin does this in veRL's workers)
from azr_verl.sample import OUTCOME_KEY, PAYLOAD_KEY, PROPOSE_AGENT, SOLVE_AGENT, ProposalOutcome, SlotPayload
from azr_verl.tasks import ProposalContext, Role, Task, get_task_type

N_ATTEMPTS = 3
GREEDY = {"temperature": 0.0, "top_p": 1.0, "top_k": -1}
PROPOSAL = (
    "<think>double it</think>\n<answer>\n```python\ndef f(x):\n    return x * 2\n```\n"
    "```input\n21\n```\n</answer>"
)
ANSWER = "<think>21 times 2</think>\n<answer>\n```output\n42\n```\n</answer>"
REFERENCE = Task("code_o", "def f(a):\n    return a", ('"Hello world"',), ('"Hello world"',))
PROPOSED = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))


def _config():
    return OmegaConf.create(
        {
            "actor_rollout_ref": {"rollout": {"prompt_length": 4096, "response_length": 96}},
            "data": {},
            "azr": {"num_solver_attempts": N_ATTEMPTS},
        }
    )


def _loop(name: str, server, tokenizer):
    config = _config()
    return hydra.utils.instantiate(
        config=_agent_loop_registry[name],
        trainer_config=DictConfigWrap(config=config),
        server_manager=server,
        tokenizer=tokenizer,
        processor=None,
        hf_model_type="qwen2",
        dataset_cls=RLHFDataset,
        data_config=DictConfigWrap(config.data),
    )


def _propose_kwargs() -> dict:
    task_type = get_task_type("code_o")
    payload = SlotPayload("code_o", Role.PROPOSE, step=1, reference_ids=(1,))
    messages = task_type.proposer_prompt(ProposalContext(references=(REFERENCE,)))
    return {"raw_prompt": messages, "extra_info": {PAYLOAD_KEY: payload.to_dict()}}


def _token_ids(loop, messages) -> list[int]:
    return loop.loop.run_until_complete(loop.ct_build_initial_tokens(list(messages)))


def _response_ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]


def test_both_loops_are_registered_with_verl():
    assert _agent_loop_registry[PROPOSE_AGENT]["_target_"] == "azr_verl.agent_loops.AZRProposeAgentLoop"
    assert _agent_loop_registry[SOLVE_AGENT]["_target_"] == "azr_verl.agent_loops.AZRSolveAgentLoop"


def test_untrained_model_gives_a_format_error_outcome_not_an_exception(tiny_model_and_tokenizer, make_server):
    _, tokenizer = tiny_model_and_tokenizer
    server = make_server(48)
    loop = _loop(PROPOSE_AGENT, server, tokenizer)
    output = loop.loop.run_until_complete(loop.run({"temperature": 1.0, "top_p": 1.0}, **_propose_kwargs()))
    outcome = ProposalOutcome.from_dict(output.extra_fields[OUTCOME_KEY])
    assert outcome.status.value == "format_error"
    assert outcome.attempt_scores == ()
    assert len(server.calls) == 1  # no solver attempts for an invalid proposal
    assert 0 < len(output.response_ids) <= 96
    assert len(output.response_logprobs) == len(output.response_ids) == len(output.response_mask)


def test_valid_proposal_is_validated_and_attempted_n_times_by_the_current_policy(
    tiny_model_and_tokenizer, make_server, teach_model
):
    _, tokenizer = tiny_model_and_tokenizer
    server = make_server(96)
    loop = _loop(PROPOSE_AGENT, server, tokenizer)
    kwargs = _propose_kwargs()
    solver_messages = get_task_type("code_o").solver_prompt(PROPOSED)
    teach_model(
        [
            (_token_ids(loop, kwargs["raw_prompt"]), _response_ids(tokenizer, PROPOSAL)),
            (_token_ids(loop, solver_messages), _response_ids(tokenizer, ANSWER)),
        ],
    )
    output = loop.loop.run_until_complete(loop.run(GREEDY, **kwargs))
    outcome = ProposalOutcome.from_dict(output.extra_fields[OUTCOME_KEY])
    assert outcome.status.value == "valid", outcome.reason
    assert outcome.task == PROPOSED  # the executor computed the gold output 42
    assert outcome.attempt_scores == (1.0,) * N_ATTEMPTS  # the taught policy solves its own task
    assert len(server.calls) == 1 + N_ATTEMPTS
    assert all(call == server.calls[1] for call in server.calls[1:])  # every attempt saw the solver prompt
    assert outcome.exec_time_s > 0
    # the trajectory trained on is the proposal, not the attempts
    assert tokenizer.decode(output.response_ids, skip_special_tokens=True).strip() == PROPOSAL


def test_solve_loop_returns_one_generation(tiny_model_and_tokenizer, make_server):
    _, tokenizer = tiny_model_and_tokenizer
    server = make_server(16)
    loop = _loop(SOLVE_AGENT, server, tokenizer)
    payload = SlotPayload("code_o", Role.SOLVE, step=1, task=PROPOSED, task_id=3)
    messages = get_task_type("code_o").solver_prompt(PROPOSED)
    output = loop.loop.run_until_complete(
        loop.run(GREEDY, raw_prompt=messages, extra_info={PAYLOAD_KEY: payload.to_dict()})
    )
    assert len(server.calls) == 1
    assert server.calls[0] == output.prompt_ids
    assert 0 < len(output.response_ids) <= 16


@pytest.mark.parametrize(
    "response",
    ["", "<answer>```python\nimport os\ndef f(x): return os.getcwd()\n```\n```input\n1\n```</answer>"],
)
def test_unusable_proposals_get_a_reason_and_no_attempts(tiny_model_and_tokenizer, make_server, response):
    _, tokenizer = tiny_model_and_tokenizer
    server = make_server(8)
    loop = _loop(PROPOSE_AGENT, server, tokenizer)
    payload = SlotPayload("code_o", Role.PROPOSE, step=1)
    outcome = loop.loop.run_until_complete(loop.evaluate(payload, response, GREEDY))
    assert outcome.status.value in {"format_error", "rejected"}
    assert outcome.reason
    assert outcome.attempt_scores == ()
    assert server.calls == []
