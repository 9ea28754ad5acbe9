"""Finding the kit, its labs, and the lab a learner means when they type `grade 2`."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.manifest import Manifest, load_manifest

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class Lab:
    manifest: Manifest
    folder: Path  # labs/labNN-slug: the starter the learner edits
    root: Path  # the kit's checkout

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / self.folder.name

    def suite(self, suites: Path | None = None) -> Path:
        """The hidden suite: grader/suites/labNN, or labNN inside a teacher's folder (or that folder)."""
        if suites is None:
            if not (SUITES_DIR / self.id).is_dir():
                raise GraderError(
                    f"There is no hidden suite for {self.id} in {SUITES_DIR}.",
                    "Give a teacher's suite folder with --suites DIR.",
                )
            return SUITES_DIR / self.id
        for candidate in (suites / self.id, suites / self.folder.name, suites):
            if candidate.is_dir() and any(candidate.glob("test_*.py")):
                return candidate
        raise GraderError(
            f"No suite for {self.id} in {suites}.",
            f"Put its test_*.py modules in {suites / self.id}.",
        )


def kit_root(start: Path | None = None) -> Path:
    """The checkout that holds labs/: $GRADE_ROOT, else the nearest parent of the working directory,
    else the checkout this grader was installed from (pip install -e .)."""
    if env := os.environ.get("GRADE_ROOT"):
        root = Path(env).expanduser().resolve()
        if not (root / "labs").is_dir():
            raise GraderError(f"GRADE_ROOT={env} has no labs/ folder.", "Point it at the kit's checkout.")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "labs").is_dir() and (folder / "grader").is_dir():
            return folder
    installed = Path(__file__).resolve().parent.parent
    if (installed / "labs").is_dir():
        return installed
    raise GraderError(
        "Cannot find the kit's labs/ folder from here.",
        "Run grade inside your clone of the kit, or set GRADE_ROOT to it.",
    )


def discover(root: Path) -> list[Lab]:
    """Every lab under root/labs, in roadmap order. A broken manifest stops with its own message."""
    labs = [
        Lab(manifest=load_manifest(folder / "lab.toml"), folder=folder, root=root)
        for folder in sorted((root / "labs").iterdir())
        if folder.is_dir() and (folder / "lab.toml").exists()
    ]
    for lab in labs:
        if lab.folder.name != lab.manifest.folder_name:
            raise GraderError(
                f"{lab.folder}/lab.toml says id={lab.manifest.id!r}, slug={lab.manifest.slug!r}, "
                f"so the folder should be named {lab.manifest.folder_name}.",
                "Rename the folder or fix the manifest.",
            )
    return labs


def _aliases(lab: Lab) -> list[str]:
    number = lab.manifest.number
    return [lab.id, lab.folder.name, lab.manifest.slug, str(number), f"{number:02d}"]


def resolve(query: str, root: Path) -> Lab:
    """`lab02`, `lab02-rest-api`, `rest-api`, `2` and `02` all name the same lab."""
    labs = discover(root)
    wanted = query.strip().lower().rstrip("/").removeprefix("labs/")
    for lab in labs:
        if wanted in _aliases(lab):
            return lab
    names = {alias: lab.id for lab in labs for alias in _aliases(lab)}
    typo = re.sub(r"(?<=^lab)[0-9o]+", lambda m: m.group().replace("o", "0"), wanted)  # lab9O is lab90
    close = [typo] if typo in names else difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
    known = ", ".join(lab.id for lab in labs) or "none"
    if close:
        raise GraderError(
            f"There is no lab called {query!r}.", f"Did you mean {names[close[0]]}? (labs: {known})"
        )
    raise GraderError(
        f"There is no lab called {query!r}.", f"Known labs: {known}. `grade list` shows them all."
    )
