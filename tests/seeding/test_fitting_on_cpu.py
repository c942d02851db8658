"""Proposer prompts over the prompt length lose their longest references first, and induction prompts
fall back to the zero program, measured with the generator's own tokenizer and template."""

from __future__ import annotations

from azr_verl.buffer.seeds import ZERO_PROGRAM
from azr_verl.seeding import ProposalPrompt, fit_prompts, prompt_meter
from azr_verl.tasks import ProposalContext, Task, get_task_type

SHORT = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
LONG_PROGRAM = (
    "def f(x):\n"
    + "".join(f"    x = x + {i}  # step {i} of a long program\n" for i in range(60))
    + "    return x"
)
LONG = Task("code_o", LONG_PROGRAM, ("1",), ("1771",))


def _prompt(name: str, context: ProposalContext) -> ProposalPrompt:
    task_type = get_task_type(name)
    return ProposalPrompt(task_type, context, task_type.proposer_prompt(context))


def test_the_longest_reference_goes_first_and_a_long_program_becomes_the_zero_program(
    tiny_dir, generator_for
):
    generator = generator_for(tiny_dir)
    with_short = _prompt("code_o", ProposalContext(references=(SHORT,)))
    both = _prompt("code_o", ProposalContext(references=(LONG, SHORT)))
    long_program = _prompt("code_f", ProposalContext(program=LONG_PROGRAM))
    limit = max(
        prompt_meter(generator, 10**6).counts(
            [with_short.messages, _prompt("code_f", ProposalContext(program=ZERO_PROGRAM)).messages]
        )
    )
    meter = prompt_meter(generator, limit)
    assert max(meter.counts([both.messages, long_program.messages])) > limit
    fitted, stats = fit_prompts([both, with_short, long_program], meter)
    assert fitted[0].context.references == (SHORT,)
    assert fitted[0].messages == with_short.messages
    assert fitted[1] is with_short
    assert fitted[2].context.program == ZERO_PROGRAM
    assert (stats.references_dropped, stats.programs_replaced, stats.overlong) == (1, 1, 0)
    assert max(meter.counts([p.messages for p in fitted])) <= limit


def test_a_prompt_that_cannot_fit_is_sent_as_short_as_possible_and_counted(tiny_dir, generator_for):
    meter = prompt_meter(generator_for(tiny_dir), 100)
    fitted, stats = fit_prompts([_prompt("code_o", ProposalContext(references=(LONG, SHORT)))], meter)
    assert fitted[0].context.references == ()
    assert (stats.references_dropped, stats.overlong) == (2, 1)


def test_no_limit_or_no_tokenizer_measures_nothing(tiny_dir, generator_for):
    prompts = [_prompt("code_o", ProposalContext(references=(LONG,)))]
    assert prompt_meter(generator_for(tiny_dir), None) is None
    assert prompt_meter(object(), 100) is None
    assert fit_prompts(prompts, None)[0] == prompts
