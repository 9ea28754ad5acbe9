"""Who is calling: the X-Client-Id header, else the peer address.

Rate limits and idempotency keys are kept per client. The two sources get different prefixes so a
header value can never collide with (and spend the budget of) an address.
"""

from starlette.datastructures import Headers
from starlette.types import Scope

CLIENT_HEADER = "x-client-id"


def client_id(scope: Scope) -> str:
    header = Headers(scope=scope).get(CLIENT_HEADER, "").strip()
    if header:
        return "id:" + header
    peer = scope.get("client")
    return "addr:" + (peer[0] if peer else "unknown")
