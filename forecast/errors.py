"""The one error type raised for bad input anywhere in staffcast."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is and what is wrong.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is line 1), or None when the problem is not tied to a row.
    """

    source: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"


class InputError(ValueError):
    """Bad input. Carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str, source: str = ""):
        if isinstance(problems, str):
            problems = [Problem(source, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self.summary())

    def summary(self, limit: int = 20) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problems")
        return "\n".join(lines)


class InputWarning(UserWarning):
    """Something in an input that is accepted but worth a line on the
    terminal (a blank cell in a bulletin: a year that was not published)."""
