"""Downloads of the files shipped in files/public."""

import os

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from app.api.deps import OptionalUser
from app.core import config
from app.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/files")
def list_files(request: Request, user: OptionalUser) -> Response:
    names = sorted(
        os.path.relpath(os.path.join(folder, name), config.FILES_DIR)
        for folder, _, files in os.walk(config.FILES_DIR)
        for name in files
    )
    return render(request, "files.html", user=user, names=names)


@router.get("/files/download")
def download(name: str) -> Response:
    path = os.path.join(config.FILES_DIR, name)
    if not os.path.isfile(path):
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(path)
