"""Pass/fail validators for model answers, and the sandbox that runs model-written code.

Importing the package registers the built-ins; register your own with `@register("name", Params)`.
"""

from validators import code, combinators, execution, judge, structured, text
from validators.base import (
    CheckContext,
    JudgeFn,
    UnknownValidatorError,
    Validator,
    ValidatorParamsError,
    Verdict,
)
from validators.code import extract_code
from validators.registry import build, check_all, known_validators, register
from validators.sandbox import Isolation, SandboxLimits, SandboxResult, run_sandboxed

__all__ = [
    "CheckContext",
    "Isolation",
    "JudgeFn",
    "SandboxLimits",
    "SandboxResult",
    "UnknownValidatorError",
    "Validator",
    "ValidatorParamsError",
    "Verdict",
    "build",
    "check_all",
    "code",
    "combinators",
    "execution",
    "extract_code",
    "judge",
    "known_validators",
    "register",
    "run_sandboxed",
    "structured",
    "text",
]
