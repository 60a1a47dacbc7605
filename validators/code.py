"""Finding the code in an answer and judging it statically: fenced-block extraction, syntax, AST rules."""

from __future__ import annotations

import ast
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from validators.base import CheckContext, Verdict
from validators.registry import register

Which = Literal["last", "first", "largest"]

_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<body>.*?)^[ \t]{0,3}(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_ALIASES = {
    "python": {"python", "py", "python3", "py3", "pycon"},
    "json": {"json", "jsonc"},
    "javascript": {"javascript", "js"},
    "typescript": {"typescript", "ts"},
    "bash": {"bash", "sh", "shell", "zsh"},
}


def fenced_blocks(output: str) -> list[tuple[str, str]]:
    """Every fenced block as (language tag in lower case, body)."""
    return [
        ((m.group("info").split() or [""])[0].lower(), m.group("body"))
        for m in _FENCE.finditer(output)
    ]


def extract_code(output: str, language: str | None = "python", which: Which = "largest") -> str | None:
    """The block the answer most likely means: tagged with `language` if any, else untagged ones; None if none.

    `largest` is the default because answers often end with a short usage example after the real module.
    """
    blocks = fenced_blocks(output)
    if language is not None:
        names = _ALIASES.get(language.lower(), {language.lower()})
        tagged = [body for tag, body in blocks if tag in names]
        bodies = tagged or [body for tag, body in blocks if not tag]
    else:
        bodies = [body for _, body in blocks]
    if not bodies:
        return None
    if which == "first":
        return bodies[0]
    if which == "last":
        return bodies[-1]
    return max(bodies, key=len)


def no_block_reason(language: str | None) -> str:
    fence = f"```{language}" if language else "fenced"
    return f"The answer contains no {fence} code block; put the complete code in one."


class CodeBlockParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str | None = "python"
    which: Which = "largest"


@register("code_block", CodeBlockParams)
class CodeBlock:
    name = "code_block"

    def __init__(self, params: CodeBlockParams) -> None:
        self.params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        code = extract_code(output, self.params.language, self.params.which)
        if code is None or not code.strip():
            return Verdict(passed=False, reason=no_block_reason(self.params.language), validator=self.name)
        return Verdict(passed=True, reason="The answer contains a code block.", validator=self.name,
                       details={"lines": code.count("\n") + 1})


class PythonCodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    which: Which = "largest"


def parse_python(output: str, which: Which, validator: str) -> ast.Module | Verdict:
    """The extracted block's AST, or the failed verdict that says why there is none."""
    code = extract_code(output, "python", which)
    if code is None:
        return Verdict(passed=False, reason=no_block_reason("python"), validator=validator)
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        return Verdict(passed=False, reason=f"The Python code has a syntax error on line {exc.lineno}: {exc.msg}.",
                       validator=validator, details={"line": exc.lineno})


@register("python_syntax", PythonCodeParams)
class PythonSyntax:
    """Parses without executing anything, so it is safe and instant."""

    name = "python_syntax"

    def __init__(self, params: PythonCodeParams) -> None:
        self.params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        tree = parse_python(output, self.params.which, self.name)
        if isinstance(tree, Verdict):
            return tree
        return Verdict(passed=True, reason="The Python code parses.", validator=self.name)


class AstRulesParams(BaseModel):
    """Rules for refactoring-style tasks; function names may be dotted (`Class.method`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    which: Which = "largest"
    public_docstrings: bool = Field(default=False, description="every public function and class has a docstring")
    exists: list[str] = Field(default_factory=list, description="functions that must still be defined")
    max_lines: dict[str, int] = Field(default_factory=dict, description="function name -> most lines allowed")
    max_branches: dict[str, int] = Field(default_factory=dict, description="function name -> most branches allowed")
    no_global: bool = False
    no_bare_except: bool = False


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.Module) -> dict[str, FunctionNode]:
    """Dotted name -> definition; the first definition of a name wins."""
    found: dict[str, FunctionNode] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(prefix + node.name, node)
                walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.ClassDef):
                walk(node.body, f"{prefix}{node.name}.")

    walk(tree.body, "")
    return found


def count_branches(node: ast.AST) -> int:
    """Decision points: if / loops / except handlers / match cases / comprehension filters / extra bool operands."""
    total = 0
    for child in ast.walk(node):
        if isinstance(child, ast.If | ast.IfExp | ast.For | ast.AsyncFor | ast.While | ast.ExceptHandler
                      | ast.match_case):
            total += 1
        elif isinstance(child, ast.BoolOp):
            total += len(child.values) - 1
        elif isinstance(child, ast.comprehension):
            total += len(child.ifs)
    return total


def _is_public(name: str) -> bool:
    return all(not part.startswith("_") for part in name.split("."))


@register("ast_rules", AstRulesParams)
class AstRules:
    name = "ast_rules"

    def __init__(self, params: AstRulesParams) -> None:
        self.params = params

    def violations(self, tree: ast.Module) -> list[str]:
        p = self.params
        functions = _functions(tree)
        problems = [f"function {name} is missing" for name in p.exists if name not in functions]
        for limits, measure, unit in (
            (p.max_lines, lambda f: (f.end_lineno or f.lineno) - f.lineno + 1, "lines"),
            (p.max_branches, count_branches, "branches"),
        ):
            for name, limit in limits.items():
                if name not in functions:
                    problems.append(f"function {name} is missing")
                elif (value := measure(functions[name])) > limit:
                    problems.append(f"{name} has {value} {unit} (at most {limit})")
        if p.public_docstrings:
            classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]
            undocumented = [n for n, f in functions.items() if _is_public(n) and ast.get_docstring(f) is None]
            undocumented += [c.name for c in classes if ast.get_docstring(c) is None]
            problems += [f"{name} has no docstring" for name in undocumented]
        for node in ast.walk(tree):
            if p.no_global and isinstance(node, ast.Global | ast.Nonlocal):
                problems.append(f"line {node.lineno} uses a {type(node).__name__.lower()} statement")
            if p.no_bare_except and isinstance(node, ast.ExceptHandler) and node.type is None:
                problems.append(f"line {node.lineno} has a bare except")
        return list(dict.fromkeys(problems))

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        tree = parse_python(output, self.params.which, self.name)
        if isinstance(tree, Verdict):
            return tree
        problems = self.violations(tree)
        if not problems:
            return Verdict(passed=True, reason="The code follows the structural rules.", validator=self.name)
        shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        return Verdict(passed=False, reason=f"The code breaks structural rules: {shown}.", validator=self.name,
                       details={"violations": problems})
