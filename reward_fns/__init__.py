"""Reward functions with veRL's `compute_score` signature, usable in any veRL run.

Use one with `reward.custom_reward_function.path=pkg://reward_fns.<module>`.
"""

__all__: list[str] = []
