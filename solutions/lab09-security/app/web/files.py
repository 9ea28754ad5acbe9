"""Downloads of the files shipped in files/public, and of nothing else."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from app.api.deps import OptionalUser
from app.core.config import settings
from app.web.templates import render

router = APIRouter(include_in_schema=False)


def public_file(name: str) -> Path:
    """The file `name` inside the download folder (subfolders allowed), or 404.

    The path is resolved first (.., symbolic links, absolute names), then it must still lie inside
    the folder: checking the text of the name instead always misses a spelling.
    """
    root = settings.files_dir.resolve()
    try:
        path = (root / name).resolve()
    except (OSError, ValueError):
        raise HTTPException(status_code=404, detail="no such file") from None
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status_code=404, detail="no such file")
    return path


@router.get("/files")
def list_files(request: Request, user: OptionalUser) -> Response:
    root = settings.files_dir.resolve()
    names = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    return render(request, "files.html", user=user, names=names)


@router.get("/files/download")
def download(name: str) -> Response:
    return FileResponse(public_file(name))
