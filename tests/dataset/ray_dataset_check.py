"""Child process of test_dataset_on_cpu.py: veRL builds the AZR dataset in a Ray session (as in the
TaskRunner); the dataset creates the run's buffer actor. Prints one JSON line `RESULT {...}`.

Usage: python ray_dataset_check.py WORK_DIR RAY_TEMP_DIR SEED_FILE...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import ray
from omegaconf import OmegaConf
from transformers import AutoTokenizer
from verl.trainer.ppo.utils import create_rl_dataset

from azr_verl.buffer.remote import RemoteBuffer
from azr_verl.models.tiny import build_tiny_model
from azr_verl.sample import PAYLOAD_KEY

RUN_ID = "dataset-check"


def main() -> None:
    work, ray_tmp, seed_files = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    ray.init(num_cpus=2, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
    try:
        config = OmegaConf.create(
            {
                "custom_cls": {"path": "pkg://azr_verl.dataset", "name": "AZRDataset"},
                "train_batch_size": 12,
                "max_prompt_length": 8192,
                "dataloader_num_workers": 0,
                "azr": {"seed": 3, "run_id": RUN_ID, "run_dir": str(work), "seed_files": seed_files},
            }
        )
        tokenizer = AutoTokenizer.from_pretrained(build_tiny_model())
        dataset = create_rl_dataset(
            ["ignored.parquet"], config, tokenizer, None, is_train=True, max_samples=-1
        )
        items = [dataset[i] for i in range(12)]
        buffer = RemoteBuffer.for_run(RUN_ID)  # what the trainer does
        shown = [i for item in items for i in item["extra_info"][PAYLOAD_KEY]["reference_ids"]]
        shown += [
            item["extra_info"][PAYLOAD_KEY]["task_id"]
            for item in items
            if item["trr_group"].endswith("solve")
        ]
        result = {
            "class": type(dataset).__name__,
            "payloads": [item["extra_info"][PAYLOAD_KEY] for item in items],
            "buffer_file": str((work / "buffer.sqlite").is_file()),
            "tasks": buffer.count(),
            "served": sum(t.stats.times_served for t in buffer.get(sorted(set(shown)))),
            "shown": len(shown),
        }
        print("RESULT " + json.dumps(result), flush=True)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
