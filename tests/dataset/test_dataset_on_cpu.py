"""AZRDataset: slot shares, item fields, determinism, resume, the prompt-length fallback, served
counts, and real veRL dataloader batches. A real TaskStore seeded from the zero triplet and the
shared seed files, and the tiny model's tokenizer (long prompts: a proposer prompt is ~2,000 tokens).
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf, open_dict
from transformers import AutoTokenizer

from azr_verl.buffer import TaskStore
from azr_verl.dataset import VIRTUAL_STEPS, AZRDataset, SlotApportioner, slot_order
from azr_verl.models.tiny import build_tiny_model
from azr_verl.sample import DATA_SOURCE, PAYLOAD_KEY, SlotPayload, agent_name
from azr_verl.tasks import NO_ERROR, PromptStyle, ProposalContext, Role, TaskKind, get_task_type

SEED_FILES = ("7b_coder_seed_io.jsonl", "7b_coder_code_f_seed_io.jsonl")
SLOTS = tuple(f"{kind}:{role}" for kind in ("code_o", "code_i", "code_f") for role in ("propose", "solve"))


# --- fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return AutoTokenizer.from_pretrained(build_tiny_model())


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "template.sqlite"
    with TaskStore(path) as store:
        store.seed_zero()
        for name in SEED_FILES:
            store.load_seeds(shared_data / name)
    return path


@pytest.fixture
def store(seeded_template: Path, tmp_path: Path) -> Iterator[TaskStore]:
    """A fresh copy of the seeded buffer per test (served counts start at 0)."""
    copy = tmp_path / "buffer.sqlite"
    with TaskStore(seeded_template) as template:
        template.snapshot(copy)
    with TaskStore(copy) as opened:
        yield opened


def data_config(batch_size: int = 12, max_prompt_length: int = 8192, **azr: Any) -> Any:
    """veRL's `data` block as the trainer passes it (a DictConfig with data.azr inside)."""
    return OmegaConf.create(
        {
            "train_batch_size": batch_size,
            "max_prompt_length": max_prompt_length,
            "dataloader_num_workers": 0,
            "shuffle": True,
            "seed": 1,
            "apply_chat_template_kwargs": {},
            "azr": {"seed": 3, **azr},
        }
    )


def make(store: TaskStore, tokenizer: Any, **kwargs: Any) -> AZRDataset:
    return AZRDataset(
        data_files=["ignored.parquet"],
        tokenizer=tokenizer,
        processor=None,
        config=data_config(**kwargs),
        max_samples=-1,
        buffer=store,
    )


def take(dataset: AZRDataset, items: int) -> list[dict[str, Any]]:
    """Items as a shuffling sampler asks for them (arbitrary indices)."""
    rng = np.random.default_rng(0)
    return [dataset[int(i)] for i in rng.integers(0, len(dataset), size=items)]


def comparable(item: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in item.items() if k != "dummy_tensor"}, sort_keys=True)


def tokens(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    return len(encoded["input_ids"])


def payload(item: dict[str, Any]) -> SlotPayload:
    return SlotPayload.from_dict(item["extra_info"][PAYLOAD_KEY])


# --- shares -----------------------------------------------------------------------------------
def _check_apportioner(weights: list[float], batch_size: int, batches: int) -> None:
    apportioner = SlotApportioner(weights, batch_size)
    total = sum(Fraction(w) for w in weights)
    shares = [Fraction(w) * batch_size / total for w in weights]
    given = [0] * len(weights)
    for batch in range(batches):
        counts = apportioner.counts(batch)
        assert sum(counts) == batch_size
        for i, (count, share) in enumerate(zip(counts, shares, strict=True)):
            assert math.floor(share) <= count <= math.ceil(share), (batch, i, counts)
            given[i] += count
            assert abs(given[i] - share * (batch + 1)) < 2, (batch, i, given)


@pytest.mark.parametrize(
    ("weights", "batch_size"),
    [([1] * 6, 12), ([1] * 6, 8), ([2, 1, 1, 1, 1, 1], 8), ([2, 1, 1, 1, 1, 0], 10), ([0.5, 3, 0.1], 7)],
)
def test_every_batch_gets_floor_or_ceiling_of_each_share_and_the_run_stays_exact(
    weights: list[float], batch_size: int
) -> None:
    _check_apportioner(weights, batch_size, batches=60)


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.sampled_from([0, 0.1, 0.5, 1, 1.3, 2, 7]), min_size=1, max_size=8).filter(any),
    batch_size=st.integers(1, 64),
)
def test_apportionment_holds_for_any_weights(weights: list[float], batch_size: int) -> None:
    _check_apportioner(weights, batch_size, batches=30)


def test_apportionment_is_a_function_of_the_batch_number_only() -> None:
    walked = SlotApportioner([2, 1, 1, 1, 1, 1], 8)
    sequence = [walked.counts(b) for b in range(12)]
    assert walked.counts(5) == sequence[5]  # going back replays
    assert SlotApportioner([2, 1, 1, 1, 1, 1], 8).counts(9) == sequence[9]


@pytest.mark.parametrize("counts", [[2, 2, 2, 2, 2, 2], [4, 1, 1, 2, 2, 0], [7, 1]])
def test_slot_order_interleaves_each_slot_exactly_its_count(counts: list[int]) -> None:
    order = slot_order(counts)
    assert Counter(order) == Counter({i: c for i, c in enumerate(counts) if c})
    first_half = Counter(order[: len(order) // 2])
    for i, count in enumerate(counts):
        assert abs(first_half[i] - count / 2) <= 1, (i, order)


def test_a_batch_has_the_configured_slot_shares(store: TaskStore, tokenizer: Any) -> None:
    weights = {"code_o:propose": 2, "code_f:solve": 0}
    nested = {"code_o": {"propose": 2}, "code_f": {"solve": 0}}
    dataset = make(store, tokenizer, batch_size=10, slot_weights=nested)
    expected = SlotApportioner([weights.get(s, 1) for s in SLOTS], 10)
    for batch in range(4):
        groups = Counter(item["trr_group"] for item in take(dataset, 10))
        assert groups == Counter({s: n for s, n in zip(SLOTS, expected.counts(batch), strict=True) if n})
        assert "code_f:solve" not in groups
        metrics = dataset.metrics()
        assert {s: metrics.get(f"azr/dataset/slots/{s}", 0) for s in SLOTS} == {s: groups[s] for s in SLOTS}


# --- items ------------------------------------------------------------------------------------
def test_items_carry_the_fields_verl_and_the_agent_loops_read(store: TaskStore, tokenizer: Any) -> None:
    dataset = make(store, tokenizer, batch_size=12, num_references=3)
    items = take(dataset, 24)
    assert sorted(item["index"] for item in items) == list(range(24))
    assert [payload(i).step for i in items] == [1] * 12 + [2] * 12
    for item in items:
        slot = payload(item)
        assert item["data_source"] == DATA_SOURCE
        assert item["reward_model"] == {"style": "azr", "ground_truth": ""}
        assert item["agent_name"] == agent_name(slot.role)
        assert item["trr_group"] == slot.group
        info = item["extra_info"]
        assert (info["task_type"], info["role"], info["index"]) == (
            slot.task_type,
            slot.role.value,
            item["index"],
        )
        _check_prompt_matches_payload(store, item["raw_prompt"], slot)


def _check_prompt_matches_payload(
    store: TaskStore, messages: list[dict[str, str]], slot: SlotPayload
) -> None:
    """The prompt is what the payload says was shown, and the shown tasks are the buffer's."""
    task_type = get_task_type(slot.task_type)
    if slot.role is Role.SOLVE:
        [stored] = store.get([slot.task_id])
        assert stored.task == slot.task
        assert messages == task_type.solver_prompt(slot.task, PromptStyle.CHAT)
        return
    shown = store.get(list(slot.reference_ids))
    assert len(shown) == len(slot.reference_ids)
    if task_type.program_source_kinds:
        [source] = shown
        assert source.kind in task_type.program_source_kinds and source.task.program == slot.program
        assert messages == task_type.proposer_prompt(ProposalContext(program=slot.program), PromptStyle.CHAT)
    else:
        assert 0 < len(shown) <= 3 and len(set(slot.reference_ids)) == len(shown)
        assert all(s.kind is task_type.kind for s in shown)
        context = ProposalContext(references=tuple(s.task for s in shown))
        assert messages == task_type.proposer_prompt(context, PromptStyle.CHAT)


def test_length_is_virtual_and_bounded_by_max_samples(store: TaskStore, tokenizer: Any) -> None:
    assert len(make(store, tokenizer, batch_size=12)) == 12 * VIRTUAL_STEPS
    bounded = AZRDataset(tokenizer=tokenizer, config=data_config(batch_size=12), max_samples=50, buffer=store)
    assert len(bounded) == 50


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"azr": None}, "data.azr"),
        ({"train_batch_size": 0}, "data.train_batch_size"),
        ({"max_prompt_length": "long"}, "data.max_prompt_length"),
        ({"dataloader_num_workers": 2}, "data.dataloader_num_workers"),
        ({"azr": {"num_references": -1}}, "azr.num_references"),
        ({"azr": {"bogus": 1}}, "azr.bogus"),
    ],
)
def test_a_bad_setting_is_refused_naming_its_key(
    store: TaskStore, tokenizer: Any, change: dict[str, Any], key: str
) -> None:
    config = data_config()
    for name, value in change.items():
        config[name] = value
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        AZRDataset(tokenizer=tokenizer, config=config, buffer=store)


# --- determinism and resume -------------------------------------------------------------------
def test_same_seed_and_counter_give_the_same_batches(store: TaskStore, tokenizer: Any) -> None:
    first = [comparable(i) for i in take(make(store, tokenizer), 24)]
    second = [comparable(i) for i in take(make(store, tokenizer), 24)]
    other_seed = [comparable(i) for i in take(make(store, tokenizer, seed=4), 24)]
    assert first == second
    assert first != other_seed


@pytest.mark.parametrize("served", [12, 17], ids=["batch_boundary", "mid_batch"])
def test_state_dict_resume_continues_the_sequence(store: TaskStore, tokenizer: Any, served: int) -> None:
    original = make(store, tokenizer)
    take(original, served)
    state = original.state_dict()
    expected = [comparable(i) for i in take(original, 30)]
    resumed = make(store, tokenizer)
    resumed.load_state_dict(state)
    assert [comparable(i) for i in take(resumed, 30)] == expected


def _served(store: TaskStore) -> Counter[int]:
    every = store.get(range(1, 2000))
    return Counter({s.id: s.stats.times_served for s in every if s.stats.times_served})


def _shown_ids(items: list[dict[str, Any]]) -> Counter[int]:
    shown: Counter[int] = Counter()
    for item in items:
        slot = payload(item)
        shown.update(slot.reference_ids)
        shown.update([slot.task_id] if slot.task_id is not None else [])
    return shown


def test_served_counts_are_recorded_for_every_shown_task(store: TaskStore, tokenizer: Any) -> None:
    items = take(make(store, tokenizer), 24)
    assert sum(_shown_ids(items).values()) > 24  # references and programs count too
    assert _served(store) == _shown_ids(items)


def test_a_batch_resumed_midway_records_only_the_items_it_serves(store: TaskStore, tokenizer: Any) -> None:
    probe = make(store, tokenizer)
    whole = take(probe, 12)
    before = _served(store)
    resumed = make(store, tokenizer)
    resumed.load_state_dict({**probe.state_dict(), "batch": 0, "position": 5})
    rest = take(resumed, 7)
    assert [comparable(i) for i in rest] == [comparable(i) for i in whole[5:]]
    assert _served(store) - before == _shown_ids(rest)


# --- prompt length ----------------------------------------------------------------------------
def _solve_and_bare_propose_tokens(tokenizer: Any) -> tuple[int, int]:
    """Longest zero-triplet solver prompt, shortest reference-free proposer prompt (code_o, code_i)."""
    from azr_verl.buffer import zero_tasks

    solve = max(tokens(tokenizer, get_task_type(t.kind).solver_prompt(t)) for t in zero_tasks())
    bare = min(
        tokens(tokenizer, get_task_type(k).proposer_prompt(ProposalContext())) for k in ("code_o", "code_i")
    )
    return solve, bare


def _overlong(tokenizer: Any, items: list[dict[str, Any]], limit: int) -> int:
    return sum(tokens(tokenizer, item["raw_prompt"]) > limit for item in items)


def test_a_full_batch_comes_back_when_nothing_fits(store: TaskStore, tokenizer: Any) -> None:
    dataset = make(store, tokenizer, batch_size=12, max_prompt_length=16)
    items = take(dataset, 12)
    assert len(items) == 12 and Counter(i["trr_group"] for i in items) == Counter({s: 2 for s in SLOTS})
    metrics = dataset.metrics()
    assert metrics["azr/dataset/overlong"] == 12 == _overlong(tokenizer, items, 16)
    assert metrics["azr/dataset/references_dropped"] > 0
    assert all(
        payload(i).reference_ids == ()
        for i in items
        if payload(i).group in ("code_o:propose", "code_i:propose")
    )


REFERENCE_GROUPS = ("code_o:propose", "code_i:propose")


def test_proposer_prompts_drop_their_longest_references_to_fit(store: TaskStore, tokenizer: Any) -> None:
    unconstrained = [i for i in take(make(store, tokenizer), 12) if i["trr_group"] in REFERENCE_GROUPS]
    _, bare = _solve_and_bare_propose_tokens(tokenizer)
    full = min(tokens(tokenizer, i["raw_prompt"]) for i in unconstrained)
    limit = (bare + full) // 2  # every drawn proposer prompt is too long, but a few references fit
    dataset = make(store, tokenizer, max_prompt_length=limit)
    items = [i for i in take(dataset, 12) if i["trr_group"] in REFERENCE_GROUPS]
    metrics = dataset.metrics()
    assert _overlong(tokenizer, items, limit) == 0 == metrics["azr/dataset/overlong"]
    kept = [payload(i).reference_ids for i in items]
    assert 0 < sum(map(len, kept)) < 6 * len(kept)
    assert metrics["azr/dataset/references_dropped"] == 6 * len(kept) - sum(map(len, kept))
    for shown, drawn in zip(kept, (payload(i).reference_ids for i in unconstrained), strict=True):
        sizes = {s.id: len(s.task.program) + len(s.task.input) + len(s.task.output) for s in store.get(drawn)}
        dropped = set(drawn) - set(shown)
        assert set(shown) <= set(drawn)
        assert max((sizes[i] for i in shown), default=0) <= min((sizes[i] for i in dropped), default=math.inf)


def test_long_solver_tasks_are_substituted_and_counted(store: TaskStore, tokenizer: Any) -> None:
    solve, bare = _solve_and_bare_propose_tokens(tokenizer)
    limit = solve + 40  # the zero triplet fits, long seed programs do not
    assert limit < bare
    unconstrained = take(make(store, tokenizer, batch_size=24), 24)
    too_long = sum(
        tokens(tokenizer, i["raw_prompt"]) > limit for i in unconstrained if payload(i).role is Role.SOLVE
    )
    dataset = make(store, tokenizer, batch_size=24, max_prompt_length=limit)
    items = take(dataset, 24)
    metrics = dataset.metrics()
    assert len(items) == 24 and too_long > 0
    assert metrics["azr/dataset/substituted"] >= too_long
    assert all(tokens(tokenizer, i["raw_prompt"]) <= limit for i in items if payload(i).role is Role.SOLVE)
    assert metrics["azr/dataset/overlong"] == _overlong(tokenizer, items, limit)
    assert metrics["azr/dataset/total/substituted"] == metrics["azr/dataset/substituted"]


def test_task_types_without_tasks_are_filled_with_the_zero_triplet(tmp_path: Path, tokenizer: Any) -> None:
    with TaskStore(tmp_path / "empty.sqlite") as empty:
        dataset = make(empty, tokenizer, batch_size=8, task_types=["code_o", "code_f", "code_e", "code_i"])
        items = take(dataset, 8)
    assert len(items) == 8 and Counter(i["trr_group"] for i in items)["code_e:solve"] == 1
    needs_task = [
        payload(i) for i in items if payload(i).role is Role.SOLVE or payload(i).task_type == "code_f"
    ]
    assert dataset.metrics()["azr/dataset/zero_filled"] == len(needs_task) == 5
    for slot in needs_task:
        assert slot.task_id is None and slot.reference_ids == ()
    [error_task] = [p.task for p in needs_task if p.task_type == "code_e"]
    assert error_task.kind is TaskKind.ERROR and error_task.outputs == (NO_ERROR,)


# --- veRL's dataloader ------------------------------------------------------------------------
def _loader(dataset: AZRDataset, config: Any) -> Any:
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.trainer.ppo.utils import create_rl_sampler
    from verl.utils.dataset.rl_dataset import collate_fn

    return StatefulDataLoader(
        dataset=dataset,
        batch_size=config.train_batch_size,
        num_workers=config.dataloader_num_workers,
        drop_last=True,
        collate_fn=collate_fn,
        sampler=create_rl_sampler(config, dataset),
    )


def test_a_verl_dataloader_batch_feeds_the_v1_and_legacy_trainers(store: TaskStore, tokenizer: Any) -> None:
    from verl import DataProto
    from verl.utils import tensordict_utils as tu

    config = data_config(batch_size=12)
    batch = next(iter(_loader(AZRDataset(tokenizer=tokenizer, config=config, buffer=store), config)))
    assert isinstance(batch["raw_prompt"], np.ndarray) and batch["raw_prompt"].shape == (12,)
    assert all(isinstance(p, list) and p[0]["role"] == "user" for p in batch["raw_prompt"])
    assert Counter(batch["trr_group"]) == Counter({s: 2 for s in SLOTS})
    assert sorted(batch["index"]) == list(range(12))
    batch["uid"] = np.array([str(uuid.uuid4()) for _ in range(12)], dtype=object)  # as the v1 trainer does
    tensordict = tu.get_tensordict(batch)
    assert tensordict.batch_size == torch.Size([12])
    assert list(tu.get(tensordict, "agent_name")) == list(batch["agent_name"])
    legacy = DataProto.from_single_dict({k: v for k, v in batch.items() if k != "uid"})
    assert len(legacy) == 12


def test_a_verl_checkpoint_of_the_dataloader_resumes_the_sequence(
    store: TaskStore, tokenizer: Any, tmp_path: Path
) -> None:
    config = data_config(batch_size=12)
    loader = _loader(AZRDataset(tokenizer=tokenizer, config=config, buffer=store), config)
    batches = iter(loader)
    next(batches)
    torch.save(loader.state_dict(), tmp_path / "data.pt")  # what veRL writes per checkpoint
    expected = next(batches)

    resumed = _loader(AZRDataset(tokenizer=tokenizer, config=config, buffer=store), config)
    resumed.load_state_dict(torch.load(tmp_path / "data.pt", weights_only=False))
    got = next(iter(resumed))
    assert list(got["index"]) == list(expected["index"]) and min(got["index"]) == 12
    assert [json.dumps(p) for p in got["extra_info"]] == [json.dumps(p) for p in expected["extra_info"]]


# --- in a Ray session, as veRL's TaskRunner builds it -----------------------------------------
RAY_CHECK = Path(__file__).with_name("ray_dataset_check.py")
RAY_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def ray_result(tmp_path_factory: pytest.TempPathFactory, shared_data: Path, run_ray_check) -> dict[str, Any]:
    """Runs ray_dataset_check.py in its own session with its own Ray temp dir, under a hard limit."""
    work = tmp_path_factory.mktemp("ray_run")
    seeds = [str(shared_data / name) for name in SEED_FILES]
    return run_ray_check(RAY_CHECK, [str(work), *seeds], RAY_TIMEOUT_S, "Ray dataset check")


def test_verl_builds_the_dataset_which_serves_the_runs_buffer_actor(
    ray_result: dict[str, Any], store: TaskStore, tokenizer: Any
) -> None:
    assert ray_result["class"] == "AZRDataset" and ray_result["buffer_file"] == "True"
    assert ray_result["tasks"] == store.count()  # zero triplet + the same seed files
    local = [i["extra_info"][PAYLOAD_KEY] for i in take(make(store, tokenizer), 12)]
    assert ray_result["payloads"] == json.loads(json.dumps(local))  # same seed, same batch
    assert ray_result["served"] == ray_result["shown"] > 12


def test_the_projects_composed_config_builds_the_dataset(store: TaskStore, tokenizer: Any) -> None:
    """veRL hands the dataset `config.data` of the composed azr_trainer.yaml (data.azr: ${azr})."""
    from verl.utils.dataset.rl_dataset import get_dataset_class

    from azr_verl.hydra_config import compose_azr

    config = compose_azr(["data.train_batch_size=12", "azr.seed=3"])
    with open_dict(config):  # as `+azr.slot_weights.code_f.solve=0` on the command line would
        config.azr.slot_weights = {"code_f": {"solve": 0}}
    dataset_cls = get_dataset_class(config.data)
    dataset = dataset_cls(
        data_files=config.data.train_files,
        tokenizer=tokenizer,
        processor=None,
        config=config.data,
        buffer=store,
    )
    assert dataset_cls is AZRDataset and dataset.settings.max_prompt_length == config.data.max_prompt_length
    assert dataset.azr.run_id == "azr/azr" and dataset.azr.num_references == config.azr.num_references
    groups = Counter(item["trr_group"] for item in take(dataset, 12))
    assert sum(groups.values()) == 12 and "code_f:solve" not in groups
