"""Checks on the answer's words: required or forbidden terms (with synonyms), patterns, length."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from validators.base import CheckContext, Verdict
from validators.registry import register

Term = str | list[str]  # a list is a synonym group: any one alternative counts


class TermsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    all_of: list[Term] = Field(default_factory=list, description="every item must be present")
    any_of: list[Term] = Field(default_factory=list, description="at least one item must be present")
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _some_terms(self) -> TermsParams:
        if not self.all_of and not self.any_of:
            raise ValueError("give at least one item in all_of or any_of")
        if any(isinstance(term, list) and not term for term in [*self.all_of, *self.any_of]):
            raise ValueError("a synonym group must list at least one alternative")
        return self


class ContainsParams(TermsParams):
    whole_word: bool = Field(default=False, description="match whole words only, so 'SQLi' does not match 'SQLite'")


class RegexParams(TermsParams):
    @field_validator("all_of", "any_of")
    @classmethod
    def _compiles(cls, terms: list[Term]) -> list[Term]:
        for term in terms:
            for pattern in [term] if isinstance(term, str) else term:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return terms


def _label(term: Term) -> str:
    return repr(term) if isinstance(term, str) else " | ".join(repr(alt) for alt in term)


class _TermCheck:
    """Shared engine of contains / regex / not_contains: which groups are present, then all-of / any-of logic."""

    def __init__(self, name: str, params: TermsParams, found: Callable[[str, str], bool], noun: str) -> None:
        self.name = name
        self.params = params
        self._found = found
        self._noun = noun

    def present(self, term: Term, output: str) -> bool:
        return any(self._found(alt, output) for alt in ([term] if isinstance(term, str) else term))

    def evaluate(self, output: str) -> tuple[bool, list[Term], list[Term]]:
        """(passed, missing all_of items, present items)."""
        missing = [term for term in self.params.all_of if not self.present(term, output)]
        hits = [term for term in [*self.params.all_of, *self.params.any_of] if self.present(term, output)]
        any_ok = not self.params.any_of or any(self.present(term, output) for term in self.params.any_of)
        return not missing and any_ok, missing, hits

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        passed, missing, hits = self.evaluate(output)
        details = {"missing": missing, "found": hits}
        if passed:
            return Verdict(passed=True, reason=f"The answer has the required {self._noun}.", validator=self.name,
                           details=details)
        if missing:
            reason = f"The answer does not mention {'; '.join(_label(t) for t in missing)}."
        else:
            reason = f"The answer mentions none of {'; '.join(_label(t) for t in self.params.any_of)}."
        return Verdict(passed=False, reason=reason, validator=self.name, details=details)


def _substring_finder(params: ContainsParams) -> Callable[[str, str], bool]:
    flags = 0 if params.case_sensitive else re.IGNORECASE

    def found(term: str, output: str) -> bool:
        if params.whole_word:
            return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", output, flags) is not None
        return (term in output) if params.case_sensitive else (term.casefold() in output.casefold())

    return found


@register("contains", ContainsParams)
class Contains(_TermCheck):
    def __init__(self, params: ContainsParams) -> None:
        super().__init__("contains", params, _substring_finder(params), "terms")


@register("regex", RegexParams)
class Regex(_TermCheck):
    def __init__(self, params: RegexParams) -> None:
        flags = re.MULTILINE | (0 if params.case_sensitive else re.IGNORECASE)
        super().__init__("regex", params, lambda p, out: re.search(p, out, flags) is not None, "patterns")


@register("not_contains", ContainsParams)
class NotContains:
    """The exact negation of `contains` with the same params: use any_of to forbid every listed term."""

    name = "not_contains"

    def __init__(self, params: ContainsParams) -> None:
        self._inner = Contains(params)

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        matched, _, hits = self._inner.evaluate(output)
        if not matched:
            return Verdict(passed=True, reason="The answer avoids the forbidden terms.", validator=self.name)
        return Verdict(passed=False, reason=f"The answer must not mention {'; '.join(_label(t) for t in hits)}.",
                       validator=self.name, details={"found": hits})


class MaxLengthParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chars: int | None = Field(default=None, gt=0)
    words: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_limit(self) -> MaxLengthParams:
        if self.chars is None and self.words is None:
            raise ValueError("give chars or words")
        return self


@register("max_length", MaxLengthParams)
class MaxLength:
    name = "max_length"

    def __init__(self, params: MaxLengthParams) -> None:
        self.params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        chars, words = len(output), len(output.split())
        details = {"chars": chars, "words": words}
        if self.params.chars is not None and chars > self.params.chars:
            reason = f"The answer is {chars} characters long; the limit is {self.params.chars}."
        elif self.params.words is not None and words > self.params.words:
            reason = f"The answer is {words} words long; the limit is {self.params.words}."
        else:
            return Verdict(passed=True, reason="The answer is within the length limit.", validator=self.name,
                           details=details)
        return Verdict(passed=False, reason=reason, validator=self.name, details=details)
