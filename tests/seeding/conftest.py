"""Models and an executor for the seeding tests: the tiny random model, and copies of it briefly
taught (with `azr_verl.models.teach`) to answer the deduction proposer prompt with one fixed
proposal: a valid one, or one that imports os. Taught models are cached by their recipe, like the
tiny model itself, so only the first run pays for the teaching."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from azr_verl.executor import ExecLimits, Executor
from azr_verl.models.cache import cached_build
from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model
from azr_verl.tasks import ProposalContext, get_task_type

VALID_PROPOSAL = "<answer>\n```python\ndef f(x):\n    return x * 2\n```\n```input\n21\n```\n</answer>"
HOSTILE_PROPOSAL = (
    "<answer>\n```python\nimport os\ndef f(x):\n    return x * 2\n```\n```input\n21\n```\n</answer>"
)
LOOPING_PROPOSAL = (
    "<answer>\n```python\ndef f(x):\n    while True:\n        x += 1\n```\n```input\n21\n```\n</answer>"
)
TEACH_STEPS = 150  # loss ~0.003: the taught prompt is answered verbatim at temperature 0


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """The tiny model gains nothing from threads, and on a busy 2-core machine a second torch thread
    made generation 20x slower (measured: 9.8 s against 0.47 s for three 48-token responses)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def _single_torch_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def taught_prompt() -> list[dict[str, str]]:
    """The deduction proposer prompt without references: what `--references 0` shows every round."""
    return get_task_type("code_o").proposer_prompt(ProposalContext())


def _teach_into(base: Path, response: str, out: Path) -> None:
    with one_torch_thread():
        torch.manual_seed(0)
        teach_chat(base, [(taught_prompt(), response)], out, steps=TEACH_STEPS)


def _taught(base: Path, response: str) -> Path:
    prompt_text = "".join(message["content"] for message in taught_prompt())
    recipe = {
        "base": base.name,
        "prompt": hashlib.sha256(prompt_text.encode()).hexdigest(),
        "response": response,
        "steps": TEACH_STEPS,
        "torch": torch.__version__,
    }
    return cached_build("tiny-seed-taught", recipe, lambda out: _teach_into(base, response, out))


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    # Proposer prompts run to about 2000 tokens with the tiny byte-level vocabulary.
    return build_tiny_model(TinyModelSpec(max_position_embeddings=8192))


@pytest.fixture(scope="session")
def valid_model_dir(tiny_dir: Path) -> Path:
    return _taught(tiny_dir, VALID_PROPOSAL)


@pytest.fixture(scope="session")
def hostile_model_dir(tiny_dir: Path) -> Path:
    return _taught(tiny_dir, HOSTILE_PROPOSAL)


@pytest.fixture(scope="session")
def looping_model_dir(tiny_dir: Path) -> Path:
    return _taught(tiny_dir, LOOPING_PROPOSAL)


@pytest.fixture(scope="session")
def executor():
    with Executor(ExecLimits(timeout_s=1.0, cpu_time_s=1.0), max_workers=2) as ex:
        yield ex


@pytest.fixture(scope="session")
def generator_for():
    """`generator_for(model_dir)` -> the real hf TextGenerator (one per directory)."""
    from azr_verl.textgen import load_generator

    loaded = {}

    def get(model_dir: Path):
        if model_dir not in loaded:
            loaded[model_dir] = load_generator(model_dir, "hf", batch_size=8, seed=0)
        return loaded[model_dir]

    return get
