"""Known-bad variants of the reference solutions.

Each lab has a module `tests/mutants/labNN.py` with a list `MUTANTS`. A mutant is a small, realistic
bug applied to a copy of `solutions/labNN-topic/` as exact text replacements; `catches` names the
checks (ids such as `resources::create_answers_201`) that must not pass on it. `tests/test_mutants.py`
grades every mutant and also requires that every check of the suite is caught by at least one mutant.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    file: str  # relative to the solution folder
    old: str  # must occur exactly once in the file
    new: str


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str  # the realistic mistake this stands for
    edits: tuple[Edit, ...]
    catches: tuple[str, ...]  # check ids that must fail (or be skipped) on this mutant
    env: dict[str, str] = field(default_factory=dict)  # extra environment for grading, rarely needed


def mutant(name: str, why: str, *edits: Edit, catches: list[str] | tuple[str, ...]) -> Mutant:
    return Mutant(name=name, why=why, edits=tuple(edits), catches=tuple(catches))


def replace(file: str, old: str, new: str) -> Edit:
    return Edit(file=file, old=old, new=new)
