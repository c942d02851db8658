"""End to end: an AZR run on CPU validates on CRUXEval-O and -I through veRL's own validation.

The run is one AZR step of `python -m azr_verl.main` with the tiny model, plus the overrides a user
adds: `data.val_files` (the first problems of the shared CRUXEval dev set, converted by
`reward_fns.cruxeval_to_parquet`), `trainer.test_freq=1` and `trainer.val_before_train=true`, so veRL
validates at step 0 and after step 1. `trainer.validation_data_dir` makes veRL dump every validation
response with its score; the test re-scores each dumped response with `reward_fns.cruxeval` and
recomputes veRL's per-source metrics from them.

The tiny model is first taught one gold answer per task (greedy decoding then reproduces it), so the
scores differ between problems: they are computed by the executor, not constant.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from azr_verl.cpu.selfplay import SelfPlayShape, selfplay_command
from azr_verl.cpu.smoke import run_smoke, short_ray_tmp
from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import build_tiny_model
from reward_fns import cruxeval

TIMEOUT_S = 300  # hard limit; the run takes about 75 s on 2 idle cores
SOURCES = ("cruxeval_o", "cruxeval_i")
SHAPE = SelfPlayShape(per_slot=1, solver_attempts=2, references=1, max_response_tokens=48)
TAUGHT_ID = "sample_2"  # a test-split problem whose gold answer is short: 'hbtofdeiequ' both ways


def _rows(files: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {source: pd.read_parquet(files[source]) for source in SOURCES}


def _gold_answer(source: str, truth: dict) -> str:
    tag, value = ("output", truth["output"]) if source == "cruxeval_o" else ("input", truth["input"])
    return f"<answer>\n```{tag}\n{value}\n```\n</answer>"


def _taught_model(root: Path, rows: dict[str, pd.DataFrame]) -> Path:
    examples = []
    for source, frame in rows.items():
        (row,) = [r for _, r in frame.iterrows() if r["extra_info"]["id"] == TAUGHT_ID]
        truth = json.loads(row["reward_model"]["ground_truth"])
        examples.append(([dict(m) for m in row["prompt"]], _gold_answer(source, truth)))
    return teach_chat(build_tiny_model(), examples, root / "taught", steps=100)


def _source_of(dumped_input: str, rows: dict[str, pd.DataFrame]) -> tuple[str, str]:
    """(data_source, problem id) of a dumped validation prompt, found by its rendered user message."""
    found = [
        (source, row["extra_info"]["id"])
        for source, frame in rows.items()
        for _, row in frame.iterrows()
        if row["prompt"][0]["content"] in dumped_input
    ]
    assert len(found) == 1, dumped_input[:300]
    return found[0]


def _run(tmp_path: Path, model: Path, val_files: dict[str, Path], monkeypatch) -> dict[int, dict]:
    metrics_file = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("VERL_FILE_LOGGER_PATH", str(metrics_file))
    ray_tmp = short_ray_tmp()
    extra = [
        f"data.val_files=[{val_files['cruxeval_o']},{val_files['cruxeval_i']}]",
        "trainer.test_freq=1",
        "trainer.val_before_train=true",
        f"trainer.validation_data_dir={tmp_path / 'validation'}",
        "trainer.save_freq=-1",
        "+actor_rollout_ref.rollout.engine_kwargs.hf.dtype=float32",  # greedy as the model was taught
    ]
    try:
        argv = selfplay_command(model, tmp_path / "run", ray_tmp, 1, SHAPE, extra=extra)
        result = run_smoke(argv, tmp_path / "run.log", ray_tmp, TIMEOUT_S)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    log = result.log_path.read_text(errors="replace")
    assert result.returncode == 0, f"exit {result.returncode} after {result.elapsed_s:.0f}s:\n{log[-5000:]}"
    return {row["step"]: row["data"] for row in map(json.loads, metrics_file.read_text().splitlines())}


@pytest.mark.timeout(2 * TIMEOUT_S)
def test_an_azr_run_reports_executor_checked_cruxeval_scores_per_source_before_and_after_training(
    tmp_path: Path, cruxeval_val_files: dict[str, Path], monkeypatch
) -> None:
    rows = _rows(cruxeval_val_files)
    model = _taught_model(tmp_path, rows)
    metrics = _run(tmp_path, model, cruxeval_val_files, monkeypatch)

    assert sorted(metrics) == [0, 1]
    assert metrics[1]["azr/reward/code_o:solve/count"] == 1  # the AZR step itself ran as usual
    for step in (0, 1):
        dumped = [json.loads(line) for line in (tmp_path / "validation" / f"{step}.jsonl").open()]
        assert len(dumped) == sum(len(frame) for frame in rows.values())
        per_source: dict[str, list[dict]] = {source: [] for source in SOURCES}
        for sample in dumped:
            source, problem = _source_of(sample["input"], rows)
            rescored = cruxeval.compute_score(source, sample["output"], sample["gts"])
            assert (sample["score"], sample["acc"], sample["verdict"]) == (
                rescored["score"],
                rescored["acc"],
                rescored["verdict"],
            )
            per_source[source].append({**sample, "problem": problem})
        for source, samples in per_source.items():
            assert len(samples) == len(rows[source])
            acc = sum(s["acc"] for s in samples) / len(samples)
            reward = sum(s["score"] for s in samples) / len(samples)
            assert metrics[step][f"val-core/{source}/acc/mean@1"] == pytest.approx(acc)
            assert metrics[step][f"val-aux/{source}/reward/mean@1"] == pytest.approx(reward)
            if step == 0:  # the taught gold answer is reproduced and checked right by the executor
                (taught,) = [s for s in samples if s["problem"] == TAUGHT_ID]
                assert taught["verdict"] == "correct", taught["output"]
                assert acc < 1.0 or len(samples) == 1
