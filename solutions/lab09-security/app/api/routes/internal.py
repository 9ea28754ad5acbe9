"""Routes for the machine itself: the readiness probe and the instance metadata."""

import ipaddress

from fastapi import APIRouter, HTTPException, Request

from app.core.config import settings

router = APIRouter(tags=["internal"])


@router.get("/health")
def health() -> dict:
    return {"status": "ok"}


@router.get("/internal/metadata")
def metadata(request: Request) -> dict:
    """Answers only to the machine itself, like a cloud provider's metadata service."""
    client = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(client).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HTTPException(status_code=403, detail="internal only")
    return {"instance": "notebook-1", "token": settings.metadata_token}
