"""An HTTP/1.1 server on asyncio streams: a task per connection, every read under the idle timeout."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from urllib.parse import parse_qs, unquote_to_bytes

from app import dns, rest

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
MAX_BODY = int(os.environ.get("MAX_BODY", "1048576"))
MAX_HEADER = int(os.environ.get("MAX_HEADER", "8192"))
IDLE = float(os.environ.get("IDLE_TIMEOUT", "5"))

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    206: "Partial Content",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
    502: "Bad Gateway",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*")
LINE = re.compile(rb"([A-Z]+) (/\S*) HTTP/(\d)\.(\d)")


class Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def http_date() -> str:
    t = time.gmtime()
    return (
        f"{DAYS[t.tm_wday]}, {t.tm_mday:02d} {MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


async def line_of(reader: asyncio.StreamReader, room: int, status: int) -> bytes:
    """One line without its CRLF; `status` if it takes more than `room` bytes."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\n"), IDLE)
    except asyncio.LimitOverrunError as exc:
        raise Refused(status) from exc
    if len(raw) > room:
        raise Refused(status)
    return raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]


async def exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    return await asyncio.wait_for(reader.readexactly(n), IDLE)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, tuple[int, int], dict, bytes]:
    room = MAX_HEADER
    first = await line_of(reader, room, 431)
    room -= len(first) + 2
    if len(first.split(b" ")) != 3:
        raise Refused(400)
    version = first.split(b" ")[2]
    match = LINE.fullmatch(first)
    if match is None:
        if re.fullmatch(rb"HTTP/\d\.\d", version) is None or not first.split(b" ")[1].startswith(b"/"):
            raise Refused(400)
        raise Refused(
            400 if not re.fullmatch(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", first.split(b" ")[0]) else 505
        )
    method, target = match.group(1).decode(), match.group(2).decode("latin-1")
    ver = (int(match.group(3)), int(match.group(4)))
    if ver not in ((1, 0), (1, 1)):
        raise Refused(505)
    fields: dict[str, list[str]] = {}
    while True:
        line = await line_of(reader, room, 431)
        room -= len(line) + 2
        if room < 0:
            raise Refused(431)
        if not line:
            break
        found = FIELD.fullmatch(line)
        if found is None:  # folding, no colon, or a space before the colon
            raise Refused(400)
        fields.setdefault(found.group(1).decode().lower(), []).append(found.group(2).decode("latin-1"))
    if ver == (1, 1) and len(fields.get("host", [])) != 1:
        raise Refused(400)
    body = await read_body(reader, method, fields)
    return method, target, ver, fields, body


async def read_body(reader: asyncio.StreamReader, method: str, fields: dict[str, list[str]]) -> bytes:
    if "transfer-encoding" in fields:
        if "content-length" in fields:
            raise Refused(400)
        if ", ".join(fields["transfer-encoding"]).strip().lower() != "chunked":
            raise Refused(501)
        data = b""
        while True:
            size_line = (await line_of(reader, MAX_HEADER, 400)).split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]+", size_line):
                raise Refused(400)
            size = int(size_line, 16)
            if size == 0:
                break
            if len(data) + size > MAX_BODY:
                raise Refused(413)
            data += await exactly(reader, size)
            if await exactly(reader, 2) != b"\r\n":
                raise Refused(400)
        while await line_of(reader, MAX_HEADER, 431):  # trailers
            pass
        return data
    if "content-length" in fields:
        lengths = {v.strip() for value in fields["content-length"] for v in value.split(",")}
        if len(lengths) != 1:
            raise Refused(400)
        (length,) = lengths
        if not re.fullmatch(r"[0-9]+", length):
            raise Refused(400)
        if int(length) > MAX_BODY:
            raise Refused(413)
        return await exactly(reader, int(length))
    if method == "POST":
        raise Refused(411)
    return b""


def text(status: int, body: str, extra: list[str] | None = None) -> tuple[int, list[str], bytes, bool]:
    return status, ["Content-Type: text/plain; charset=utf-8", *(extra or [])], body.encode(), False


def handle(method: str, target: str, fields: dict[str, list[str]], body: bytes):
    path = target.partition("?")[0]
    reads = ["Allow: GET, HEAD"]
    if path == "/echo":
        if method != "POST":
            return text(405, "method not allowed\n", ["Allow: POST"])
        return 200, ["Content-Type: application/octet-stream"], body, False
    known = path in ("/health", "/hello") or path.startswith(("/echo/", "/headers/", "/chunked/"))
    if not known:
        return text(404, "not found\n")
    if method not in ("GET", "HEAD"):
        return text(405, "method not allowed\n", reads)
    if path == "/health":
        return text(200, "ok\n")
    if path == "/hello":
        return text(200, "Hello, world!\n")
    kind, _, rest = path[1:].partition("/")
    try:
        rest = unquote_to_bytes(rest).decode("utf-8")
    except UnicodeDecodeError:
        return text(400, "bad path\n")
    if kind == "echo":
        return text(200, rest)
    if kind == "headers":
        values = fields.get(rest.lower())
        return text(200, ", ".join(values)) if values else text(404, "no such header\n")
    if not rest.isdigit() or not 1 <= int(rest) <= 100:
        return text(404, "not found\n")
    lines = "".join(f"chunk {i}\n" for i in range(1, int(rest) + 1))
    return 200, ["Content-Type: text/plain; charset=utf-8"], lines.encode(), True


def as_json(status: int, data: object) -> tuple[int, list[str], bytes, bool]:
    return status, ["Content-Type: application/json"], json.dumps(data).encode(), False


async def respond(method: str, target: str, fields: dict[str, list[str]], body: bytes):
    path, _, query = target.partition("?")
    if path == "/notes" or path.startswith("/notes/"):
        return rest.notes_resource(method, path, fields, body)
    if path.startswith("/static/"):
        return rest.static_file(method, path[len("/static/") :], fields)
    if path != "/resolve":
        return handle(method, target, fields, body)
    if method not in ("GET", "HEAD"):
        return text(405, "method not allowed\n", ["Allow: GET, HEAD"])
    params = parse_qs(query, keep_blank_values=True)
    names, kinds = params.get("name", []), params.get("type", ["A"])
    if len(names) != 1 or len(kinds) != 1 or kinds[0] not in dns.QTYPES:
        return as_json(400, {"error": "bad_request"})
    name = names[0].lower().removesuffix(".")
    if not dns.name_ok(name):
        return as_json(400, {"error": "bad_request"})
    try:
        return as_json(200, await dns.resolve(name, kinds[0]))
    except dns.Failure as failure:
        return as_json(failure.status, {"error": failure.code})


def render(
    status: int, headers: list[str], body: bytes, chunked: bool, *, head: bool, closing: bool, ver
) -> bytes:
    out = [f"HTTP/1.1 {status} {REASONS[status]}", f"Date: {http_date()}", *headers]
    if status in (204, 304):  # no body and no framing
        body = b""
    elif chunked and ver == (1, 1):
        out.append("Transfer-Encoding: chunked")
        lines = body.splitlines(keepends=True)
        body = b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines) + b"0\r\n\r\n"
    else:
        out.append(f"Content-Length: {len(body)}")
    if closing:
        out.append("Connection: close")
    elif ver == (1, 0):
        out.append("Connection: keep-alive")
    return "".join(h + "\r\n" for h in out).encode("latin-1") + b"\r\n" + (b"" if head else body)


async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                method, target, ver, fields, body = await read_request(reader)
            except Refused as refused:
                status, headers, text_body, _ = text(refused.status, REASONS[refused.status] + "\n")
                writer.write(render(status, headers, text_body, False, head=False, closing=True, ver=(1, 1)))
                await writer.drain()
                writer.write_eof()
                return
            tokens = {t.strip().lower() for v in fields.get("connection", []) for t in v.split(",")}
            keep = "close" not in tokens if ver == (1, 1) else "keep-alive" in tokens
            status, headers, payload, chunked = await respond(method, target, fields, body)
            keep = keep and status != 400
            writer.write(
                render(status, headers, payload, chunked, head=method == "HEAD", closing=not keep, ver=ver)
            )
            await writer.drain()
            if not keep:
                return
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(connection, HOST, PORT, limit=65536)
    print(f"listening on {HOST}:{PORT}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
