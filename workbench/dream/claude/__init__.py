"""The claude engine: Claude judges the analysis's candidates, the shared planner writes the plan.

The analysis finds the candidates (`workbench.candidates`) and the rules give their reading of
each (`workbench.dream.rules`); the model reads only what it must judge — every candidate the
rules would change, and conflicts the rules cannot order — in batches of at most `batch_size`.

    plan = dream(corpus, Focus("Prioritize coding style"), engine="claude", model="claude-sonnet-4-6")

- `prompt`: the system prompt, the candidates as prompts, the forced tool, the requests;
- `answers`: the tool input validated with pydantic, and the verdicts as `Verdict`s;
- `engine`: the dream over the Messages API (`dream_claude`, registered as `ENGINE`);
- `batches`: the same requests through the Message Batches API, for fleets (`prepare`, then
  `judge_answer` and `finish`).
"""

from .answers import Malformed, ModelVerdict, ToolInput, as_verdict, validate
from .batches import finish, judge_answer
from .engine import ENGINE, ENGINE_VERSION, Outcome, Prepared, dream_claude, judge_batch, prepare
from .prompt import (
           ACTION,
           SYSTEM,
           TOOL,
           TOOL_NAME,
           Prompt,
           prompts_for,
           request,
           retry_request,
           system_blocks,
)

__all__ = ["ENGINE", "ENGINE_VERSION", "dream_claude", "prepare", "judge_answer", "finish", "Prepared", "Outcome",
           "judge_batch", "prompts_for", "Prompt", "SYSTEM", "TOOL", "TOOL_NAME", "ACTION", "system_blocks",
           "request", "retry_request", "ModelVerdict", "ToolInput", "Malformed", "validate", "as_verdict"]
