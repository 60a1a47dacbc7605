from __future__ import annotations

from collections.abc import Callable

from validators import Verdict, extract_code

Check = Callable[..., Verdict]
Py = Callable[[str], str]

MIXED = """Intro
```python
def small(): pass
```
Then the real module:
```py
def big():
    return 1 + 1
```
Usage:
```bash
python big.py
```
"""


def test_extract_code_is_language_aware() -> None:
    assert extract_code(MIXED, "python", "first") == "def small(): pass\n"
    assert extract_code(MIXED, "python", "largest") == "def big():\n    return 1 + 1\n"
    assert extract_code(MIXED, "python", "last") == extract_code(MIXED, "python", "largest")
    assert extract_code(MIXED, "bash") == "python big.py\n"


def test_extract_code_falls_back_to_untagged_blocks_only() -> None:
    assert extract_code("```\nx = 1\n```", "python") == "x = 1\n"
    assert extract_code("```js\nlet x\n```", "python") is None
    assert extract_code("no code here", "python") is None


def test_code_block(check: Check, py: Py) -> None:
    assert check({"code_block": {"language": "python"}}, py("x = 1")).passed
    verdict = check({"code_block": {"language": "python"}}, "Just set x to 1.")
    assert not verdict.passed and "```python" in verdict.reason


def test_python_syntax(check: Check, py: Py) -> None:
    assert check("python_syntax", py("def f():\n    return 1")).passed
    verdict = check("python_syntax", py("def f(:\n    return 1"))
    assert not verdict.passed and "line 1" in verdict.reason


RULES = {
    "ast_rules": {
        "public_docstrings": True,
        "exists": ["parse"],
        "max_lines": {"parse": 5},
        "max_branches": {"parse": 2},
        "no_global": True,
        "no_bare_except": True,
    }
}


def test_ast_rules_pass(check: Check, py: Py) -> None:
    good = py('''
def parse(text):
    """Split on commas."""
    if not text:
        return []
    return text.split(",")
''')
    assert check(RULES, good).passed


def test_ast_rules_each_rule_fails(check: Check, py: Py) -> None:
    bad = py("""
COUNT = 0

def parse(text):
    global COUNT
    if text and text.strip() or text is None:
        for part in text.split(","):
            try:
                COUNT += 1
            except:
                pass
    return text

def helper():
    return 1
""")
    verdict = check(RULES, bad)
    assert not verdict.passed
    problems = " | ".join(verdict.details["violations"])
    for expected in (
        "lines (at most 5)",
        "branches (at most 2)",
        "helper has no docstring",
        "global statement",
        "bare except",
    ):
        assert expected in problems


def test_ast_rules_missing_function(check: Check, py: Py) -> None:
    verdict = check({"ast_rules": {"exists": ["Cache.get"]}}, py("class Cache:\n    pass"))
    assert not verdict.passed and "Cache.get is missing" in verdict.reason
