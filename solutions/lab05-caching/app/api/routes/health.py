from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    # Deliberately independent of Redis and the upstream: the app is up even when they are not.
    return {"status": "ok"}
