"""Finding the kit, its labs, and the lab a learner means when they type `grade 2`."""

from __future__ import annotations

import difflib
import os
import re
import stat
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


def kit_root() -> Path:
    """The kit that holds labs/: $GRADE_ROOT, else the checkout this grader was installed from
    (pip install -e .). Never the working directory or its parents: `cd SUBMISSION && grade ...` must
    not take the policy (pass marks, suites) from a labs/ folder the submission planted."""
    if env := os.environ.get("GRADE_ROOT"):
        root = Path(env).expanduser().resolve()
        if not (root / "labs").is_dir():
            raise GraderError(f"GRADE_ROOT={env} has no labs/ folder.", "Point it at the kit's checkout.")
        return root
    installed = Path(__file__).resolve().parent.parent
    if (installed / "labs").is_dir():
        return installed
    raise GraderError(
        f"This grader ({installed}) was not installed from a checkout of the kit, so it has no labs/.",
        "Install it with pip install -e from your clone of the kit, or set GRADE_ROOT to the clone.",
    )


def submission_file(submission: Path, name: str, max_bytes: int = 1024 * 1024) -> Path | None:
    """A file the grader itself reads from a submission (lab.toml, requirements.txt), or None: only a
    regular file of the submission, never a symlink (as root it could name any file on the machine and
    its content would be quoted in messages), a FIFO or device (a read that blocks), or a huge file."""
    path = submission / name
    try:
        info = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return None
    if path.parent.resolve() != submission.resolve():
        return None
    return path


def refuse_kit_inside(root: Path, submission: Path) -> None:
    """A kit at or under the submission is the submission's own policy: refuse to grade with it."""
    root, submission = root.resolve(), submission.resolve()
    if root == submission or submission in root.parents:
        raise GraderError(
            f"The kit ({root}) is inside the submission ({submission}): its labs/ and suites would be "
            "the submission's own.",
            "Grade with a kit installed outside the submission (pip install -e, or GRADE_ROOT).",
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
    return [lab.id, lab.folder.name, lab.manifest.slug, str(number), f"{number:02d}", f"lab{number}"]


def lab_at(where: Path, root: Path) -> Lab | None:
    """The lab whose folder holds `where` (a learner standing in labs/lab02-rest-api/app), if any."""
    here = where.resolve()
    for lab in discover(root):
        folder = lab.folder.resolve()
        if here == folder or folder in here.parents:
            return lab
    return None


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
