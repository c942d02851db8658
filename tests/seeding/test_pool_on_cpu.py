"""The seeding pool: references and induction programs come from the seeds found so far, drawn as the
training dataset draws them, and dedup follows the buffer's fingerprints."""

from __future__ import annotations

from azr_verl.buffer import zero_tasks
from azr_verl.buffer.seeds import ZERO_PROGRAM
from azr_verl.seeding import SeedPool
from azr_verl.tasks import Task, get_task_type, task_fingerprint

DOUBLE = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
REVERSE = Task("code_i", "def f(s):\n    return s[::-1]", ("'abc'",), ("'cba'",))


def test_a_new_pool_shows_the_zero_triplet_and_induction_probes_the_zero_program():
    deduction, induction = get_task_type("code_o"), get_task_type("code_f")
    with SeedPool() as pool:
        prompts = pool.prompts([deduction, induction], per_type=2, references=6, seed=0, round_index=1)
    assert [p.task_type.name for p in prompts] == ["code_o", "code_o", "code_f", "code_f"]
    assert all(p.context.references == (zero_tasks()[0],) for p in prompts[:2])
    assert all(p.context.program == ZERO_PROGRAM and not p.context.references for p in prompts[2:])
    assert all(p.messages == p.task_type.proposer_prompt(p.context) for p in prompts)


def test_found_seeds_become_references_and_induction_programs():
    deduction, induction = get_task_type("code_o"), get_task_type("code_f")
    with SeedPool() as pool:
        assert pool.add_proposed(
            [DOUBLE, REVERSE], [task_fingerprint(DOUBLE), task_fingerprint(REVERSE)], 1
        ) == [
            True,
            True,
        ]
        prompts = pool.prompts([deduction, induction], per_type=16, references=6, seed=0, round_index=2)
    for prompt in prompts[:16]:
        assert sorted(t.program for t in prompt.context.references) == sorted([ZERO_PROGRAM, DOUBLE.program])
    programs = {p.context.program for p in prompts[16:]}
    assert programs <= {ZERO_PROGRAM, DOUBLE.program, REVERSE.program}
    assert {DOUBLE.program, REVERSE.program} <= programs


def test_a_known_task_is_a_duplicate_whatever_its_formatting():
    reformatted = Task("code_o", "def f(x):\n    # doubles\n    return (x * 2)", ("21",), ("42",))
    with SeedPool() as pool:
        assert pool.add_known([DOUBLE]) == 1
        fingerprints = [task_fingerprint(reformatted), task_fingerprint(zero_tasks()[0])]
        assert pool.add_proposed([reformatted, zero_tasks()[0]], fingerprints, 1) == [False, False]
