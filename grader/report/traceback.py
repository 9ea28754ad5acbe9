"""A Python traceback from the app's output, cut down to what the learner wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')


@dataclass
class AppError:
    """The last exception the app printed: its text, the learner's frames, how many were hidden."""

    exception: str  # `SyntaxError: invalid syntax`
    frames: list[list[str]] = field(default_factory=list)  # each: the File line and its source lines
    hidden: int = 0
    where: tuple[str, int] | None = None  # the learner's innermost file and line

    def lines(self) -> list[str]:
        return [line for frame in self.frames for line in frame] + self.exception.splitlines()


def app_error(output: str, submission: str) -> AppError | None:
    """The last traceback in `output`, keeping the frames in files under `submission` (else the last
    frame); None when the output holds no traceback."""
    lines = output.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    first_frame = next((n for n, line in enumerate(lines) if _FRAME.match(line)), None)
    if starts:
        lines = lines[starts[-1] + 1 :]
    elif first_frame is not None:  # the tail cut the header off
        lines = lines[first_frame:]
    else:
        return None
    frames: list[list[str]] = []
    rest: list[str] = []
    for line in lines:
        if _FRAME.match(line):
            frames.append([line])
            rest = []
        elif frames and not rest and line.startswith("    "):
            frames[-1].append(line)
        elif line.strip():
            rest.append(line)
    if not frames or not rest:
        return None
    root = submission.rstrip("/") + "/"
    own = [frame for frame in frames if _FRAME.match(frame[0]).group(1).startswith(root)]  # type: ignore[union-attr]
    kept = own or frames[-1:]
    where = None
    if own:
        found = _FRAME.match(own[-1][0])
        assert found is not None
        where = (found.group(1).removeprefix(root), int(found.group(2)))
    return AppError(exception="\n".join(rest), frames=kept, hidden=len(frames) - len(kept), where=where)
