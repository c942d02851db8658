"""Reward functions with veRL's `compute_score` signature, usable in any veRL run.

Use one with `reward.custom_reward_function.path=pkg://reward_fns.<module>`:
`output_prediction` (deduction, CRUXEval-O), `input_prediction` (abduction, CRUXEval-I),
`program_synthesis` (induction), `cruxeval` (both CRUXEval tasks, by data_source).
`python -m reward_fns.cruxeval_to_parquet` converts CRUXEval jsonl to veRL parquet.
"""

__all__: list[str] = []
