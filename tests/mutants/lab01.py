# ruff: noqa: E501 - the blind mutants quote their writers verbatim, some lines longer than the limit
"""Known-bad variants of solutions/lab01-http: each is a mistake learners make writing HTTP/1.1 by hand."""

from __future__ import annotations

from tests.mutants import blind, mutant, replace

MAIN = "app/main.py"
PROTOCOL = "app/protocol.py"
RESPONSES = "app/responses.py"
ROUTES = "app/routes.py"
CONFIG = "app/config.py"
RESOLVER = "app/resolver.py"
NOTES = "app/notes.py"
STATIC = "app/static.py"

MUTANTS = [
    # -- resources ---------------------------------------------------------------------------------
    mutant(
        "hello-without-newline",
        "the body of /hello forgets its final newline",
        replace(ROUTES, '"Hello, world!\\n"', '"Hello, world!"'),
        catches=["resources::hello", "requests::http10_without_host"],
    ),
    mutant(
        "plus-is-a-space",
        "the path is decoded like a form (unquote_plus): '+' becomes a space",
        replace(ROUTES, "unquote_to_bytes(raw).decode", 'unquote_to_bytes(raw.replace("+", " ")).decode'),
        catches=["resources::echo_decodes"],
    ),
    mutant(
        "query-kept-in-path",
        "the target is routed whole, its query string included",
        replace(ROUTES, 'path = request.target.split("?", 1)[0]', "path = request.target"),
        catches=["resources::echo_decodes"],
    ),
    mutant(
        "path-decoded-as-latin-1",
        "percent-escapes decoded one byte per character: multi-byte UTF-8 comes out as mojibake",
        replace(ROUTES, '.decode("utf-8")', '.decode("latin-1")'),
        catches=["resources::echo_decodes", "responses::length_in_bytes"],
    ),
    mutant(
        "header-value-not-trimmed",
        "only leading spaces are stripped from a header value, tabs and trailing spaces are kept",
        replace(PROTOCOL, 'value.strip(b" \\t")', 'value.lstrip(b" ")'),
        catches=["resources::header_lookup"],
    ),
    mutant(
        "header-lookup-case-sensitive",
        "the name asked for is compared as given, not lower-cased",
        replace(
            PROTOCOL,
            "values = [value for key, value in self.headers if key == name.lower()]",
            "values = [value for key, value in self.headers if key == name]",
        ),
        catches=["resources::header_lookup", "resources::repeated_header"],
    ),
    mutant(
        "repeated-header-last-wins",
        "headers kept in a dict: a header sent twice keeps only its last value",
        replace(
            PROTOCOL, 'return ", ".join(values) if values else None', "return values[-1] if values else None"
        ),
        catches=["resources::repeated_header"],
    ),
    mutant(
        "never-chunked",
        "the /chunked resource is buffered and sent with Content-Length to every client",
        replace(RESPONSES, "chunked = response.chunks is not None and version == (1, 1)", "chunked = False"),
        catches=["resources::chunked_resource", "responses::head_chunked"],
    ),
    mutant(
        "chunked-to-http10",
        "chunked coding sent whatever the request's version",
        replace(
            RESPONSES,
            "chunked = response.chunks is not None and version == (1, 1)",
            "chunked = response.chunks is not None",
        ),
        catches=["resources::chunked_resource_http10"],
    ),
    mutant(
        "echo-labelled-text",
        "POST /echo answers with the default text content type",
        replace(ROUTES, ', content_type="application/octet-stream"', ""),
        catches=["resources::post_echo"],
    ),
    mutant(
        "echo-strips-body",
        "the body is stripped like text, losing its trailing whitespace",
        replace(ROUTES, "Response(200, request.body,", "Response(200, request.body.strip(),"),
        catches=["resources::post_echo"],
    ),
    mutant(
        "unknown-path-200",
        "a catch-all route answers 200 to any path",
        replace(
            ROUTES,
            '        return Response(200, chunks=chunks)\n    return text(404, "not found\\n")',
            '        return Response(200, chunks=chunks)\n    return text(200, "not found\\n")',
        ),
        catches=["resources::unknown_path"],
    ),
    mutant(
        "405-without-allow",
        "405 answered without saying which methods are allowed",
        replace(ROUTES, 'headers=[("Allow", ", ".join(methods))]', "headers=[]"),
        catches=["resources::wrong_method"],
    ),
    # -- reading a request -------------------------------------------------------------------------
    mutant(
        "request-line-split-on-any-whitespace",
        "split() instead of split(' '): two spaces between the parts are accepted",
        replace(PROTOCOL, 'parts = _strip_eol(line).split(b" ")', "parts = _strip_eol(line).split()"),
        catches=["requests::bad_request_line"],
    ),
    mutant(
        "relative-target-accepted",
        "a target that is not an absolute path is routed anyway",
        replace(PROTOCOL, 'if not target.startswith(b"/"):', "if not target:"),
        catches=["requests::bad_request_line"],
    ),
    mutant(
        "malformed-version-is-505",
        "every version that is not 1.0 or 1.1 answers 505, even one that is not a version",
        replace(
            PROTOCOL, 'raise HttpError(400, "malformed HTTP version")', 'raise HttpError(505, "bad version")'
        ),
        catches=["requests::malformed_version"],
    ),
    mutant(
        "version-prefix-match",
        "the version is matched as a prefix: HTTP/1.1x passes as HTTP/1.1",
        replace(PROTOCOL, "match = VERSION.fullmatch(version)", "match = VERSION.match(version)"),
        catches=["requests::malformed_version"],
    ),
    mutant(
        "any-http1-served",
        "any HTTP/1.x is served: HTTP/1.2 gets a 200",
        replace(PROTOCOL, "if (major, minor) not in ((1, 0), (1, 1)):", "if major != 1:"),
        catches=["requests::unsupported_version"],
    ),
    mutant(
        "host-required-of-http10",
        "Host is required whatever the version",
        replace(
            PROTOCOL,
            'if request.version == (1, 1) and request.count("host") != 1:',
            'if request.count("host") != 1:',
        ),
        catches=[
            "requests::http10_without_host",
            "connections::http10_closes",
            "resources::chunked_resource_http10",
        ],
    ),
    mutant(
        "two-hosts-accepted",
        "Host is only checked for presence, not uniqueness",
        replace(
            PROTOCOL,
            'if request.version == (1, 1) and request.count("host") != 1:',
            'if request.version == (1, 1) and request.count("host") < 1:',
        ),
        catches=["requests::host_required"],
    ),
    mutant(
        "header-names-partly-folded",
        "only Title-Case names are lower-cased: HOST and content-LENGTH are not recognised",
        replace(
            PROTOCOL,
            'request.headers.append((name.decode("ascii").lower(),',
            'request.headers.append((name.decode("ascii").lower() if name[:1].isupper() and not '
            'name.isupper() and name[1:2].islower() else name.decode("ascii"),',
        ),
        catches=["requests::header_names_any_case"],
    ),
    mutant(
        "folding-unfolded",
        "obsolete line folding is accepted and joined to the previous value",
        replace(
            PROTOCOL,
            '            raise HttpError(400, "obsolete line folding is not accepted")\n',
            "            name, value = request.headers[-1]\n"
            '            request.headers[-1] = (name, value + " " + line.strip().decode("latin-1"))\n'
            "            continue\n",
        ),
        catches=["requests::folding_refused"],
    ),
    mutant(
        "space-before-colon-accepted",
        "the header name is stripped before it is validated",
        replace(PROTOCOL, "not TOKEN.fullmatch(name)", "not TOKEN.fullmatch(name.strip())"),
        catches=["requests::malformed_header"],
    ),
    mutant(
        "header-limit-exclusive",
        "the head limit refuses a head of exactly MAX_HEADER bytes",
        replace(PROTOCOL, "if used > budget:", "if used >= budget:"),
        catches=["requests::header_limit"],
    ),
    mutant(
        "header-limit-per-line",
        "MAX_HEADER is applied to each line rather than to the whole head",
        replace(
            PROTOCOL, "line = reader.readline(budget - used, 431)", "line = reader.readline(budget, 431)"
        ),
        replace(PROTOCOL, "        if used > budget:\n", "        if False:\n"),
        catches=["requests::header_limit", "requests::header_limit_many_lines"],
    ),
    mutant(
        "line-expected-in-one-recv",
        "a line is expected to arrive whole in one recv",
        replace(
            PROTOCOL,
            '                raise HttpError(status, "line too long")\n            self._fill()\n',
            '                raise HttpError(status, "line too long")\n            self._fill()\n'
            '            if not self.buffer.endswith(b"\\n"):\n'
            '                raise HttpError(400, "incomplete line")\n',
        ),
        catches=["requests::byte_by_byte", "requests::split_segments"],
    ),
    mutant(
        "body-in-one-recv",
        "the body is read with a single recv, which may return fewer bytes than announced",
        replace(PROTOCOL, "        while len(self.buffer) < n:\n", "        if len(self.buffer) < n:\n"),
        catches=["requests::byte_by_byte", "requests::split_segments"],
    ),
    # -- request bodies ----------------------------------------------------------------------------
    mutant(
        "body-takes-the-buffer",
        "whatever arrived after the head is taken as the body, the next pipelined request included",
        replace(
            PROTOCOL,
            "        request.body = reader.read_exact(size)\n",
            "        request.body = reader.read_exact(size) + bytes(reader.buffer)\n"
            "        reader.buffer.clear()\n",
        ),
        catches=["bodies::content_length_exact", "connections::pipelining"],
    ),
    mutant(
        "chunk-extensions-refused",
        "a chunk size line must be hex digits only: `b;name=value` is refused",
        replace(
            PROTOCOL,
            'CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \\t]*(;.*)?")',
            'CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)")',
        ),
        catches=["bodies::chunked_body"],
    ),
    mutant(
        "chunk-sizes-lower-case-only",
        "chunk sizes are matched in lower case only",
        replace(
            PROTOCOL, 'CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)', 'CHUNK_SIZE = re.compile(rb"([0-9a-f]+)'
        ),
        catches=["bodies::chunked_body"],
    ),
    mutant(
        "trailers-ignored",
        "after the last chunk one CRLF is read: trailer fields are taken for the next request",
        replace(
            PROTOCOL,
            "    used = 0\n    while True:  # trailer fields, up to the empty line; read and dropped\n",
            "    reader.readline(limit, 400)\n    return bytes(body)\n"
            "    used = 0\n    while True:  # trailer fields, up to the empty line; read and dropped\n",
        ),
        catches=["bodies::chunked_trailers"],
    ),
    mutant(
        "chunked-wins-silently",
        "Transfer-Encoding silently wins over Content-Length",
        replace(
            PROTOCOL,
            '            raise HttpError(400, "Transfer-Encoding and Content-Length together")\n',
            "            pass\n",
        ),
        catches=["bodies::both_framings"],
    ),
    mutant(
        "unframed-post-is-empty",
        "a POST without framing is taken as an empty body",
        replace(
            PROTOCOL,
            '        raise HttpError(411, "a body needs Content-Length or Transfer-Encoding: chunked")\n',
            '        request.body = b""\n',
        ),
        catches=["bodies::length_required"],
    ),
    mutant(
        "body-limit-exclusive",
        "a body of exactly MAX_BODY bytes is refused",
        replace(PROTOCOL, "if size > reader.settings.max_body:", "if size >= reader.settings.max_body:"),
        catches=["bodies::body_limit_content_length"],
    ),
    mutant(
        "chunked-body-unlimited",
        "MAX_BODY is enforced on Content-Length only, never on chunks",
        replace(PROTOCOL, "if len(body) + size > reader.settings.max_body:", "if False:"),
        catches=["bodies::body_limit_chunked"],
    ),
    mutant(
        "content-length-parsed-with-int",
        "int() parses Content-Length: 'five' crashes the connection's thread, '-5' reads nothing",
        replace(
            PROTOCOL,
            "if len(values) != 1 or not next(iter(values)).isascii() or not next(iter(values)).isdigit():",
            "if len(values) != 1:",
        ),
        catches=["bodies::bad_content_length"],
    ),
    mutant(
        "content-length-any-unicode-digit",
        "str.isdigit() guards int(): a Latin-1 '²' passes the guard, int() raises and the connection drops",
        replace(
            PROTOCOL,
            "if len(values) != 1 or not next(iter(values)).isascii() or not next(iter(values)).isdigit():",
            "if len(values) != 1 or not next(iter(values)).isdigit():",
        ),
        catches=["bodies::bad_content_length"],
        rules=["R3.6"],
    ),
    mutant(
        "last-content-length-wins",
        "of two Content-Length values the last one is used",
        replace(
            PROTOCOL,
            'values = {v.strip() for v in length.split(",")}',
            'values = {length.split(",")[-1].strip()}',
        ),
        catches=["bodies::bad_content_length"],
    ),
    mutant(
        "chunk-crlf-unchecked",
        "the two bytes after a chunk's data are skipped without looking at them",
        replace(
            PROTOCOL,
            '        if reader.read_exact(2) != b"\\r\\n":\n'
            '            raise HttpError(400, "a chunk\'s data must end with CRLF")\n',
            "        reader.read_exact(2)\n",
        ),
        catches=["bodies::bad_chunks"],
    ),
    mutant(
        "errors-keep-the-connection",
        "after a 4xx the server reads on, as if the framing could still be trusted",
        replace(
            MAIN,
            "                sock.sendall(serialize(answer, head=False, version=(1, 1), keep_alive=False))\n"
            "                _linger(sock)\n                return\n",
            "                sock.sendall(serialize(answer, head=False, version=(1, 1), keep_alive=True))\n"
            "                continue\n",
        ),
        catches=[
            "requests::bad_request_line",
            "requests::host_required",
            "bodies::length_required",
            "bodies::both_framings",
        ],
    ),
    mutant(
        "errors-say-close-but-stay-open",
        "the error says Connection: close, but the server goes on reading",
        replace(
            MAIN, "                _linger(sock)\n                return\n", "                continue\n"
        ),
        catches=["requests::unsupported_version", "requests::header_limit", "bodies::bad_chunks"],
    ),
    # -- responses ---------------------------------------------------------------------------------
    mutant(
        "status-line-echoes-version",
        "the status line repeats the request's version: HTTP/1.0 200 OK to an HTTP/1.0 client",
        replace(
            RESPONSES,
            'f"HTTP/1.1 {response.status} {reason}"',
            'f"HTTP/{version[0]}.{version[1]} {response.status} {reason}"',
        ),
        catches=["responses::status_line"],
    ),
    mutant(
        "date-not-gmt",
        "formatdate() without usegmt gives '-0000' instead of 'GMT'",
        replace(RESPONSES, "formatdate(usegmt=True)", "formatdate()"),
        catches=["responses::date"],
    ),
    mutant(
        "no-charset",
        "text answers say text/plain without a charset",
        replace(RESPONSES, 'TEXT = "text/plain; charset=utf-8"', 'TEXT = "text/plain"'),
        catches=["responses::content_type"],
    ),
    mutant(
        "length-in-characters",
        "Content-Length counts the characters of the text, not its bytes",
        replace(
            RESPONSES,
            'lines.append(f"Content-Length: {len(body)}")',
            "lines.append(f\"Content-Length: {len(body.decode('utf-8', 'replace'))}\")",
        ),
        catches=["responses::length_in_bytes"],
    ),
    mutant(
        "errors-unframed",
        "error answers are written without Content-Length",
        replace(
            RESPONSES,
            '        lines.append(f"Content-Length: {len(body)}")\n',
            '        if response.status < 400:\n            lines.append(f"Content-Length: {len(body)}")\n',
        ),
        catches=["responses::errors_framed"],
    ),
    mutant(
        "head-sends-body",
        "HEAD answered exactly like GET, body included",
        replace(MAIN, 'head = request.method == "HEAD"', "head = False"),
        catches=["responses::head", "responses::head_chunked"],
    ),
    mutant(
        "head-length-zero",
        "HEAD says Content-Length: 0 since no body is sent",
        replace(
            RESPONSES,
            'lines.append(f"Content-Length: {len(body)}")',
            'lines.append(f"Content-Length: {0 if head else len(body)}")',
        ),
        catches=["responses::head"],
    ),
    # -- connections -------------------------------------------------------------------------------
    mutant(
        "never-keep-alive",
        "every connection is closed after one response",
        replace(PROTOCOL, '            return "close" not in tokens\n', "            return False\n"),
        catches=[
            "connections::keep_alive_default",
            "connections::pipelining",
            "connections::not_closed_early",
        ],
    ),
    mutant(
        "errors-close-the-connection",
        "any 4xx answer closes the connection, 404 and 405 included",
        replace(
            MAIN,
            "            if not keep_alive:\n",
            "            if not keep_alive or response.status >= 400:\n",
        ),
        catches=["connections::keep_alive_after_errors"],
    ),
    mutant(
        "connection-tokens-case-sensitive",
        "Connection tokens compared as sent: Close and Keep-Alive are not recognised",
        replace(PROTOCOL, "tokens = {t.strip().lower() for t", "tokens = {t.strip() for t"),
        catches=["connections::connection_close", "connections::http10_keep_alive"],
    ),
    mutant(
        "http10-persistent",
        "HTTP/1.0 connections are kept open like HTTP/1.1 ones",
        replace(PROTOCOL, '        return "keep-alive" in tokens\n', "        return True\n"),
        catches=["connections::http10_closes"],
    ),
    mutant(
        "http10-keep-alive-unannounced",
        "an HTTP/1.0 keep-alive is honoured but not announced",
        replace(RESPONSES, '        lines.append("Connection: keep-alive")\n', "        pass\n"),
        catches=["connections::http10_keep_alive"],
    ),
    mutant(
        "buffer-dropped-between-requests",
        "a new reader per request: bytes already received for the next request are lost",
        replace(
            MAIN,
            "    reader = Reader(sock, settings)\n    with sock:\n        while True:\n",
            "    with sock:\n        while True:\n            reader = Reader(sock, settings)\n",
        ),
        catches=["connections::pipelining", "bodies::content_length_exact", "bodies::chunked_trailers"],
    ),
    mutant(
        "no-idle-timeout",
        "reads never time out: a silent client holds its connection forever",
        replace(PROTOCOL, "sock.settimeout(settings.idle_timeout)", "sock.settimeout(None)"),
        catches=["connections::idle_between_requests", "connections::idle_mid_request"],
    ),
    mutant(
        "idle-timeout-between-requests-only",
        "the idle timeout is only applied while no request has started",
        replace(
            PROTOCOL,
            "        except (TimeoutError, OSError) as exc:\n            raise Closed from exc\n",
            "        except (TimeoutError, OSError) as exc:\n"
            "            if self.buffer and isinstance(exc, TimeoutError):\n"
            "                return\n"
            "            raise Closed from exc\n",
        ),
        catches=["connections::idle_mid_request"],
    ),
    mutant(
        "idle-timeout-too-short",
        "IDLE_TIMEOUT read as if it were in a smaller unit",
        replace(
            CONFIG,
            'float(os.environ.get("IDLE_TIMEOUT", "5"))',
            'float(os.environ.get("IDLE_TIMEOUT", "5")) / 4',
        ),
        catches=["connections::idle_between_requests", "connections::not_closed_early"],
    ),
    # -- concurrency -------------------------------------------------------------------------------
    mutant(
        "one-connection-at-a-time",
        "connections served one after the other on the accepting thread",
        replace(
            MAIN,
            "threading.Thread(target=_guarded, args=(sock, settings, resolver), daemon=True).start()",
            "_guarded(sock, settings, resolver)",
        ),
        catches=["concurrency::many_clients", "concurrency::stalled_client", "concurrency::idle_client"],
    ),
    mutant(
        "small-thread-pool",
        "a pool of four threads: the fifth kept-alive client waits for a free one",
        replace(
            MAIN,
            "import threading\n",
            "import threading\nfrom concurrent.futures import ThreadPoolExecutor\n",
        ),
        replace(
            MAIN,
            "    while True:\n        sock, _ = listener.accept()\n"
            "        threading.Thread(target=_guarded, args=(sock, settings, resolver), daemon=True).start()",
            "    pool = ThreadPoolExecutor(max_workers=4)\n"
            "    while True:\n        sock, _ = listener.accept()\n"
            "        pool.submit(_guarded, sock, settings, resolver)",
        ),
        catches=["concurrency::many_clients"],
    ),
    # -- a JSON resource (section 8) ---------------------------------------------------------------
    mutant(
        "location-is-the-collection",
        "201 answered with Location: /notes, the collection, instead of the new note's URL",
        replace(
            ROUTES, 'headers=[("Location", f"/notes/{note[\'id\']}")]', 'headers=[("Location", "/notes")]'
        ),
        catches=["notes::create_answers_201"],
    ),
    mutant(
        "note-body-decoded-as-latin-1",
        "the body is decoded as latin-1 before json.loads: UTF-8 text comes out as mojibake, bad bytes pass",
        replace(ROUTES, 'json.loads(str(request.body, "utf-8"))', 'json.loads(str(request.body, "latin-1"))'),
        catches=["notes::text_kept_exactly", "notes::invalid_json_400"],
    ),
    mutant(
        "empty-text-refused",
        "a falsy text is taken for a missing one: an empty note answers 400",
        replace(
            ROUTES,
            'not isinstance(data.get("text"), str):',
            'not isinstance(data.get("text"), str) or not data["text"]:',
        ),
        catches=["notes::text_kept_exactly"],
    ),
    mutant(
        "id-is-max-plus-one",
        "the next id is the greatest existing id plus one: deleting the last note gives its id again",
        replace(
            NOTES, "            self.last += 1\n", "            self.last = max(self.items, default=0) + 1\n"
        ),
        catches=["notes::ids_never_reused"],
    ),
    mutant(
        "notes-listed-by-text",
        "GET /notes sorts the notes by text instead of keeping the creation order",
        replace(
            NOTES,
            "for key, value in self.items.items()]",
            "for key, value in sorted(self.items.items(), key=lambda kv: kv[1])]",
        ),
        catches=["notes::list_in_creation_order"],
    ),
    mutant(
        "put-moves-note-to-the-end",
        "PUT deletes and re-inserts the note: it moves to the end of the list",
        replace(
            NOTES,
            "            self.items[note_id] = text\n",
            "            del self.items[note_id]\n            self.items[note_id] = text\n",
        ),
        catches=["notes::list_in_creation_order"],
    ),
    mutant(
        "put-answers-the-old-note",
        "PUT stores the new text but answers the note as it was before",
        replace(
            ROUTES,
            "        found = NOTES.replace(note_id, got)\n        if found is None:",
            "        NOTES.replace(note_id, got)\n        if found is None:",
        ),
        catches=["notes::put_replaces"],
    ),
    mutant(
        "204-with-content-length",
        "a 204 gets Content-Length: 0 like any empty answer",
        replace(RESPONSES, "if response.status in (204, 304):", "if response.status == 304:"),
        catches=["notes::delete_answers_204"],
    ),
    mutant(
        "delete-answers-200",
        "DELETE answers 200 with the deleted note instead of 204",
        replace(
            ROUTES,
            '        return Response(204, content_type="application/json")',
            "        return _json(200, found)",
        ),
        catches=["notes::delete_answers_204"],
    ),
    mutant(
        "id-parsed-with-isdigit",
        "the id is checked with str.isdigit() and int(): /notes/01 finds note 1",
        replace(
            ROUTES,
            "note_id = int(raw) if NOTE_ID.fullmatch(raw) else 0",
            "note_id = int(raw) if raw.isdigit() else 0",
        ),
        catches=["notes::unknown_id_404"],
    ),
    mutant(
        "unknown-note-404-as-text",
        "an unknown note answers the server's usual text 404, not a JSON error",
        replace(
            ROUTES,
            '    if found is None:\n        return _json(404, {"error": "not_found"})\n    if request.method == "DELETE":',
            '    if found is None:\n        return text(404, "not found\\n")\n    if request.method == "DELETE":',
        ),
        catches=["notes::unknown_id_404", "notes::put_unknown_id", "notes::delete_answers_204"],
    ),
    mutant(
        "put-body-checked-before-id",
        "PUT validates its body before looking the id up: an unknown id with a bad body answers 415",
        replace(
            ROUTES,
            '    if found is None:\n        return _json(404, {"error": "not_found"})\n    if request.method == "DELETE":',
            '    if request.method == "PUT" and isinstance(early := _note_text(request), Response):\n'
            "        return early\n"
            '    if found is None:\n        return _json(404, {"error": "not_found"})\n    if request.method == "DELETE":',
        ),
        catches=["notes::put_unknown_id"],
    ),
    mutant(
        "media-type-prefix",
        "the Content-Type is matched with startswith: application/json-seq passes as JSON",
        replace(
            ROUTES,
            'if media_type != "application/json":',
            'if not media_type.startswith("application/json"):',
        ),
        catches=["notes::wrong_media_type_415"],
    ),
    mutant(
        "media-type-case-sensitive",
        "the media type is compared as sent: Application/JSON answers 415",
        replace(ROUTES, '.split(";")[0].strip().lower()', '.split(";")[0].strip()'),
        catches=["notes::wrong_media_type_415"],
    ),
    mutant(
        "empty-body-is-an-empty-object",
        "an empty body is read as {}: it answers invalid_note instead of invalid_json",
        replace(
            ROUTES,
            'json.loads(str(request.body, "utf-8"))',
            'json.loads(str(request.body, "utf-8") or "{}")',
        ),
        catches=["notes::invalid_json_400"],
    ),
    mutant(
        "text-null-accepted",
        "text is only required to be present: null and numbers are stored as notes",
        replace(ROUTES, 'not isinstance(data.get("text"), str):', '"text" not in data:'),
        catches=["notes::invalid_note_400"],
    ),
    mutant(
        "notes-405-as-text",
        "a wrong method on /notes answers the text 405 of the other resources",
        replace(
            ROUTES,
            '        return _json(405, {"error": "method_not_allowed"}, headers=[("Allow", allow)])',
            '        return text(405, "method not allowed\\n", headers=[("Allow", allow)])',
        ),
        catches=["notes::notes_405"],
    ),
    mutant(
        "head-not-served-on-a-note",
        "HEAD is left out of the methods of /notes/{id}: it answers 405",
        replace(ROUTES, 'NOTE = ("GET", "HEAD", "PUT", "DELETE")', 'NOTE = ("GET", "PUT", "DELETE")'),
        catches=["notes::head_note", "notes::notes_405"],
    ),
    # -- static files (section 9) ------------------------------------------------------------------
    mutant(
        "static-path-not-decoded",
        "the path is looked up as sent: %20 is not a space",
        replace(STATIC, 'decoded = unquote_to_bytes(raw).decode("utf-8")', "decoded = raw"),
        catches=["static::serves_files"],
    ),
    mutant(
        "static-read-as-text",
        "files are read as text and encoded again: binary files are mangled",
        replace(STATIC, "data = path.read_bytes()", 'data = path.read_text(errors="replace").encode()'),
        catches=["static::serves_files"],
    ),
    mutant(
        "json-files-as-octet-stream",
        ".json is missing from the table of types",
        replace(STATIC, '    ".json": "application/json",\n', ""),
        catches=["static::content_types"],
    ),
    mutant(
        "html-without-charset",
        "text/html is sent without its charset",
        replace(STATIC, '".html": "text/html; charset=utf-8"', '".html": "text/html"'),
        catches=["static::content_types"],
    ),
    mutant(
        "folders-served",
        "anything that exists is served: a folder makes the server fail reading it",
        replace(STATIC, "or not found.is_file():", "or not found.exists():"),
        catches=["static::missing_404"],
    ),
    mutant(
        "weak-etag",
        "the ETag is marked weak (W/), though it is a hash of the content",
        replace(STATIC, "etag = '\"' + hashlib", "etag = 'W/\"' + hashlib"),
        catches=["static::validators"],
    ),
    mutant(
        "last-modified-not-gmt",
        "Last-Modified formatted with formatdate() without usegmt: -0000 instead of GMT",
        replace(
            STATIC,
            '("Last-Modified", formatdate(mtime, usegmt=True))',
            '("Last-Modified", formatdate(mtime))',
        ),
        catches=["static::validators"],
    ),
    mutant(
        "if-none-match-not-split",
        "If-None-Match compared whole: a list of tags never matches",
        replace(
            STATIC,
            'tags = [tag.strip() for tag in if_none_match.split(",")]',
            "tags = [if_none_match.strip()]",
        ),
        catches=["static::if_none_match"],
    ),
    mutant(
        "if-none-match-strong-comparison",
        "W/ is not stripped: a weak tag never matches",
        replace(
            STATIC, 'any(tag.removeprefix("W/") == etag for tag in tags)', "any(tag == etag for tag in tags)"
        ),
        catches=["static::if_none_match"],
    ),
    mutant(
        "if-none-match-star-ignored",
        "If-None-Match: * is not understood",
        replace(STATIC, 'return "*" in tags or any(', "return any("),
        catches=["static::if_none_match"],
    ),
    mutant(
        "304-sends-the-file",
        "a 304 is sent with the file as its body, framed like a 200",
        replace(
            STATIC,
            "return Response(304, content_type=kind, headers=validators)",
            "return Response(304, data, content_type=kind, headers=validators)",
        ),
        replace(RESPONSES, "if response.status in (204, 304):", "if response.status == 204:"),
        catches=["static::if_none_match", "static::if_modified_since"],
    ),
    mutant(
        "if-modified-since-strictly-after",
        "not modified only when the date is strictly after the mtime: the same date serves the file",
        replace(STATIC, "return mtime <= moment.timestamp()", "return mtime < moment.timestamp()"),
        catches=["static::if_modified_since"],
    ),
    mutant(
        "if-modified-since-fractional-mtime",
        "the mtime is compared with its fraction of a second: the date of Last-Modified is before it",
        replace(
            STATIC,
            "mtime = int(path.stat().st_mtime)",
            "mtime = path.stat().st_mtime  # type: ignore[assignment]",
        ),
        catches=["static::if_modified_since"],
    ),
    mutant(
        "invalid-date-means-not-modified",
        "a date that does not parse is taken as not modified",
        replace(STATIC, "    if not IMF_FIXDATE.fullmatch(since):\n        return False\n", ""),
        replace(
            STATIC,
            "    except (TypeError, ValueError):\n        return False\n",
            "    except (TypeError, ValueError):\n        return True\n",
        ),
        catches=["static::if_modified_since"],
    ),
    mutant(
        "if-modified-since-despite-if-none-match",
        "If-Modified-Since is still evaluated when If-None-Match does not match",
        replace(
            STATIC,
            '        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)\n',
            '        if "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags):\n            return True\n',
        ),
        catches=["static::condition_precedence"],
    ),
    mutant(
        "range-before-conditions",
        "a Range request skips the conditions: If-None-Match with a Range answers 206",
        replace(
            STATIC,
            "    if _not_modified(request, etag, mtime):",
            '    if _not_modified(request, etag, mtime) and request.header("range") is None:',
        ),
        catches=["static::condition_precedence"],
    ),
    mutant(
        "range-end-exclusive",
        "the range's last byte is left out (Python's slice end)",
        replace(STATIC, "data[first : last + 1]", "data[first:last]"),
        catches=["static::ranges"],
    ),
    mutant(
        "range-end-not-clamped",
        "an end past the file is kept in Content-Range",
        replace(STATIC, "return start, min(end, size - 1)", "return start, end"),
        catches=["static::ranges"],
    ),
    mutant(
        "suffix-range-off-by-one",
        "bytes=-n gives the last n+1 bytes",
        replace(STATIC, "return max(0, size - count), size - 1", "return max(0, size - count - 1), size - 1"),
        catches=["static::ranges"],
    ),
    mutant(
        "range-at-length-satisfiable",
        "a range starting exactly at the length is not refused: an empty 206",
        replace(STATIC, "if start >= size:", "if start > size:"),
        catches=["static::unsatisfiable_416"],
    ),
    mutant(
        "suffix-zero-satisfiable",
        "bytes=-0 is not refused: an empty 206",
        replace(STATIC, "if count == 0 or size == 0:", "if size == 0:"),
        catches=["static::unsatisfiable_416"],
    ),
    mutant(
        "416-without-content-range",
        "416 answered without Content-Range: bytes */length",
        replace(STATIC, 'headers=[("Content-Range", f"bytes */{len(data)}")]', "headers=[]"),
        catches=["static::unsatisfiable_416"],
    ),
    mutant(
        "range-prefix-match",
        "the Range header is matched as a prefix: bytes=0-1,4-5 serves the first range",
        replace(
            STATIC,
            'match = RANGE.fullmatch((header or "").strip())',
            'match = RANGE.match((header or "").strip())',
        ),
        catches=["static::other_ranges_ignored"],
    ),
    mutant(
        "reversed-range-unsatisfiable",
        "bytes=5-2 answers 416 instead of being ignored",
        replace(
            STATIC, "        return None  # not a valid range: ignored", '        return "unsatisfiable"'
        ),
        catches=["static::other_ranges_ignored"],
    ),
    mutant(
        "dot-segments-allowed",
        "only .. is refused: ., empty segments and //... pass through",
        replace(STATIC, 'if any(s in ("", ".", "..") or', 'if any(s == ".." or'),
        catches=["static::traversal_refused"],
    ),
    mutant(
        "path-joined-raw",
        "the decoded path is joined to public/ as it is, with no segment or containment check: "
        "an absolute path replaces public/",
        replace(
            STATIC,
            'if any(s in ("", ".", "..") or "\\\\" in s or "\\x00" in s for s in segments):',
            "if False:",
        ),
        replace(
            STATIC,
            "found = PUBLIC.joinpath(*segments).resolve(strict=True)",
            "found = (PUBLIC / decoded).resolve(strict=True)",
        ),
        replace(
            STATIC,
            "if not found.is_relative_to(PUBLIC.resolve()) or not found.is_file():",
            "if not found.is_file():",
        ),
        catches=["static::traversal_refused"],
    ),
    mutant(
        "head-not-served-on-static",
        "/static serves GET only: HEAD answers 405",
        replace(
            ROUTES,
            "return _allowed(request, READ) or static.serve(",
            'return _allowed(request, ("GET",)) or static.serve(',
        ),
        catches=["static::head_static"],
    ),
    # -- blind: written from the README contract and the solution only (/work/blind/lab01.py) ------
    blind(
        "request-line-split-any-whitespace",
        (
            "Splitting the request line with bytes.split() (no argument) is the idi"
            "omatic way to split on whitespace, but it collapses runs of spaces and"
            " tabs, so `GET  /hello HTTP/1.1` (two spaces) is served instead of refused."
        ),
        replace(
            "app/protocol.py",
            '    parts = _strip_eol(line).split(b" ")\n',
            "    parts = _strip_eol(line).split()\n",
        ),
        catches=["requests::bad_request_line"],
        rules=["R2.1"],
    ),
    blind(
        "malformed-version-answers-505",
        (
            "Lumping every version other than 1.0/1.1 into 'HTTP Version Not Suppor"
            "ted' feels right, but a version that is not even of the form HTTP/<dig"
            "it>.<digit> (`HTTP/1`, `http/1.1`) is a malformed request, not an unsu"
            "pported one."
        ),
        replace(
            "app/protocol.py",
            '        raise HttpError(400, "malformed HTTP version")\n',
            '        raise HttpError(505, "HTTP version not supported")\n',
        ),
        catches=["requests::malformed_version"],
        rules=["R2.2"],
    ),
    blind(
        "duplicate-host-accepted",
        (
            "Checking 'is there a Host header' with a lookup that joins or picks a "
            "value is the natural one-liner, and it never notices that Host was sent twice."
        ),
        replace(
            "app/protocol.py",
            '    if request.version == (1, 1) and request.count("host") != 1:\n',
            '    if request.version == (1, 1) and request.header("host") is None:\n',
        ),
        catches=["requests::host_required"],
        rules=["R2.4"],
    ),
    blind(
        "header-name-stripped-before-colon",
        (
            "Stripping the field name as well as the value is a tidy-looking habit,"
            " and it silently accepts `Host : lab`, a whitespace-before-colon heade"
            "r that must be refused (a classic smuggling vector)."
        ),
        replace(
            "app/protocol.py",
            '        name, colon, value = line.partition(b":")\n',
            ('        name, colon, value = line.partition(b":")\n        name = name.strip()\n'),
        ),
        catches=["requests::malformed_header"],
        rules=["R2.5"],
    ),
    blind(
        "head-limit-ignores-header-crlfs",
        (
            "Counting the header budget on lines after stripping their line ending "
            "looks equivalent, but it undercounts by two bytes per header line and "
            "the whole final empty line, so a head a few bytes over MAX_HEADER is s"
            "till served."
        ),
        replace(
            "app/protocol.py",
            (
                "        line = reader.readline(budget - used, 431)\n"
                "        used += len(line)\n"
                "        if used > budget:\n"
                '            raise HttpError(431, "request head too large")\n'
                "        line = _strip_eol(line)\n"
            ),
            (
                "        line = _strip_eol(reader.readline(budget - used, 431))\n"
                "        used += len(line)\n"
                "        if used > budget:\n"
                '            raise HttpError(431, "request head too large")\n'
            ),
        ),
        catches=["requests::header_limit", "requests::header_limit_many_lines"],
        rules=["R2.6"],
    ),
    blind(
        "read-exact-fills-once",
        (
            "Writing `if` instead of `while` around the 'not enough bytes yet, read"
            " more' step works whenever the body arrives in one or two segments, bu"
            "t a body trickled in byte by byte is truncated and its rest is parsed "
            "as the next request."
        ),
        replace(
            "app/protocol.py",
            "        while len(self.buffer) < n:\n",
            "        if len(self.buffer) < n:\n",
        ),
        catches=["requests::byte_by_byte", "requests::split_segments"],
        rules=["R2.7", "R3.1"],
    ),
    blind(
        "chunk-size-lowercase-hex-only",
        (
            "A hand-written hex pattern `[0-9a-f]+` is easy to write and passes eve"
            "ry test made with Python's `%x` (lowercase), but a client that sends `"
            "A` or `1F` gets a 400."
        ),
        replace(
            "app/protocol.py",
            'CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \\t]*(;.*)?")\n',
            'CHUNK_SIZE = re.compile(rb"([0-9a-f]+)[ \\t]*(;.*)?")\n',
        ),
        catches=["bodies::chunked_body"],
        rules=["R3.2"],
    ),
    blind(
        "last-chunk-expects-bare-crlf",
        (
            "Most chunked bodies end with `0\\r\\n\\r\\n`, so reading exactly one CRLF "
            "after the last chunk is the obvious shortcut; a request with trailer f"
            "ields then fails (or, worse, the trailer is read as the next request)."
        ),
        replace(
            "app/protocol.py",
            (
                "    used = 0\n"
                "    while True:  # trailer fields, up to the empty line; read and dropped\n"
                "        line = reader.readline(limit - used, 431)\n"
                "        used += len(line)\n"
                "        if not _strip_eol(line):\n"
                "            return bytes(body)\n"
            ),
            (
                '    if reader.read_exact(2) != b"\\r\\n":  # the empty line after the la'
                "st chunk\n"
                '        raise HttpError(400, "the last chunk must be followed by an em'
                'pty line")\n'
                "    return bytes(body)\n"
            ),
        ),
        catches=["bodies::chunked_trailers"],
        rules=["R3.2"],
    ),
    blind(
        "transfer-encoding-overrides-content-length",
        (
            "RFC 9112 says Transfer-Encoding overrides Content-Length, so a learner"
            " who read it lets chunked win, but this contract demands the stricter "
            "smuggling-proof answer."
        ),
        replace(
            "app/protocol.py",
            (
                "        if length is not None:\n"
                '            raise HttpError(400, "Transfer-Encoding and Content-Length'
                ' together")\n'
            ),
            "        # RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length\n",
        ),
        catches=["bodies::both_framings"],
        rules=["R3.3"],
    ),
    blind(
        "post-without-length-is-empty",
        (
            "Treating a missing Content-Length as 'no body' is how GET works, so ex"
            "tending it to POST seems harmless; the POST is answered 200 with an em"
            "pty echo instead of 411."
        ),
        replace(
            "app/protocol.py",
            (
                '    if request.method == "POST":\n'
                '        raise HttpError(411, "a body needs Content-Length or Transfer-'
                'Encoding: chunked")\n'
            ),
            '    request.body = b""  # no framing header: no body\n',
        ),
        catches=["bodies::length_required"],
        rules=["R3.4"],
    ),
    blind(
        "chunk-limit-checked-per-chunk",
        (
            "Checking each chunk's size against MAX_BODY mirrors the Content-Length"
            " check and catches one giant chunk, but many small chunks that add up "
            "to more than MAX_BODY are accepted."
        ),
        replace(
            "app/protocol.py",
            "        if len(body) + size > reader.settings.max_body:\n",
            "        if size > reader.settings.max_body:\n",
        ),
        catches=["bodies::body_limit_chunked"],
        rules=["R3.5"],
    ),
    blind(
        "content-length-limit-exclusive",
        (
            "An off-by-one `>=` in the Content-Length limit is invisible for any bo"
            "dy except one of exactly MAX_BODY bytes, which gets a 413."
        ),
        replace(
            "app/protocol.py",
            "        if size > reader.settings.max_body:\n",
            "        if size >= reader.settings.max_body:\n",
        ),
        catches=["bodies::body_limit_content_length"],
        rules=["R3.5"],
    ),
    blind(
        "content-length-last-header-wins",
        (
            "Collecting headers into a dict is the first thing most people write; a"
            " repeated Content-Length then silently keeps its last value instead of"
            " being detected as conflicting framing."
        ),
        replace(
            "app/protocol.py",
            '    length = request.header("content-length")\n',
            '    length = dict(request.headers).get("content-length")\n',
        ),
        catches=["bodies::bad_content_length"],
        rules=["R3.6"],
    ),
    blind(
        "chunk-trailing-crlf-skipped",
        (
            "Skipping the two bytes after chunk data without looking at them is the"
            " shortcut everyone takes; a chunk whose size lies (data not followed b"
            "y CRLF) is then misparsed instead of refused."
        ),
        replace(
            "app/protocol.py",
            (
                '        if reader.read_exact(2) != b"\\r\\n":\n'
                '            raise HttpError(400, "a chunk\'s data must end with CRLF")\n'
            ),
            "        reader.read_exact(2)  # the CRLF after the chunk data\n",
        ),
        catches=["bodies::bad_chunks"],
        rules=["R3.6"],
    ),
    blind(
        "error-close-without-header",
        (
            "The server does close the socket after a framing error, so it looks do"
            "ne, but the response never says `Connection: close` because the learne"
            "r only adds that header when the request asked for it."
        ),
        replace(
            "app/main.py",
            (
                "                sock.sendall(serialize(answer, head=False, version=(1,"
                " 1), keep_alive=False))\n"
            ),
            (
                "                sock.sendall(serialize(answer, head=False, version=(1,"
                " 1), keep_alive=True))\n"
            ),
        ),
        catches=["requests::bad_request_line", "bodies::length_required"],
        rules=["R3.7"],
    ),
    blind(
        "status-line-echoes-request-version",
        (
            "Answering in the version the client spoke seems polite and symmetrical"
            ", so HTTP/1.0 requests get an `HTTP/1.0 200 OK` status line."
        ),
        replace(
            "app/responses.py",
            '        f"HTTP/1.1 {response.status} {reason}",\n',
            '        f"HTTP/{version[0]}.{version[1]} {response.status} {reason}",\n',
        ),
        catches=["responses::status_line"],
        rules=["R4.1"],
    ),
    blind(
        "date-zone-not-gmt",
        (
            "`email.utils.formatdate()` with its defaults looks right at a glance b"
            "ut ends in `-0000` instead of `GMT`, which is RFC 5322 format, not IMF"
            "-fixdate."
        ),
        replace(
            "app/responses.py",
            '        f"Date: {formatdate(usegmt=True)}",',
            '        f"Date: {formatdate()}",',
        ),
        catches=["responses::date"],
        rules=["R4.2"],
    ),
    blind(
        "content-type-only-with-body",
        (
            "'No body, no Content-Type' sounds logical, so an empty echo (`POST /ec"
            "ho` with `Content-Length: 0`, or `GET /echo/`) is answered without a C"
            "ontent-Type."
        ),
        replace(
            "app/responses.py",
            ('        "Server: lab01",\n        f"Content-Type: {response.content_type}",\n    ]\n'),
            (
                '        "Server: lab01",\n'
                "    ]\n"
                "    if response.body or response.chunks:\n"
                '        lines.append(f"Content-Type: {response.content_type}")\n'
            ),
        ),
        catches=["responses::content_type"],
        rules=["R4.3"],
    ),
    blind(
        "chunk-size-written-in-decimal",
        (
            "Formatting the chunk size with `%d` is a one-letter slip that goes unn"
            "oticed because every chunk line up to `chunk 99\\n` is at most 9 bytes,"
            " where decimal and hex agree; `chunk 100\\n` (10 bytes) is announced as"
            " `10` (sixteen)."
        ),
        replace(
            "app/responses.py",
            'b"%x\\r\\n%s\\r\\n"',
            'b"%d\\r\\n%s\\r\\n"',
        ),
        catches=["resources::chunked_resource"],
        rules=["R3.2", "R4.4"],
    ),
    blind(
        "head-chunked-uses-content-length",
        (
            "Deciding 'no body, so no chunked coding' for HEAD seems sensible, but "
            "HEAD must announce the framing GET would use, so HEAD /chunked/{n} get"
            "s a Content-Length instead of Transfer-Encoding: chunked."
        ),
        replace(
            "app/responses.py",
            "    chunked = response.chunks is not None and version == (1, 1)\n",
            "    chunked = response.chunks is not None and version == (1, 1) and not head\n",
        ),
        catches=["responses::head_chunked"],
        rules=["R4.5"],
    ),
    blind(
        "head-refused-on-echo-text",
        (
            "Writing an explicit `GET` check for the one route that takes a path pa"
            "rameter is easy to do while the others share a (GET, HEAD) tuple, so H"
            "EAD /echo/{text} alone answers 405 with `Allow: GET`."
        ),
        replace(
            "app/routes.py",
            ('        return _allowed(request, READ) or text(200, _decoded(path[len("/echo/") :]))\n'),
            ('        return _allowed(request, ("GET",)) or text(200, _decoded(path[len("/echo/") :]))\n'),
        ),
        catches=["responses::head"],
        rules=["R1.6", "R4.5"],
    ),
    blind(
        "client-errors-close-connection",
        (
            "Closing the connection after any 4xx looks like the safe choice once t"
            "he learner has learnt that errors close the connection, but 404 and 40"
            "5 leave the framing intact and must keep it open."
        ),
        replace(
            "app/main.py",
            '            head = request.method == "HEAD"\n',
            (
                "            keep_alive = keep_alive and response.status < 400\n"
                '            head = request.method == "HEAD"\n'
            ),
        ),
        catches=["connections::keep_alive_after_errors"],
        rules=["R5.1"],
    ),
    blind(
        "connection-close-case-sensitive",
        (
            "Comparing the Connection tokens exactly as sent works with curl's lowe"
            "rcase `close`, but `Connection: Close` or `CLOSE` leaves the connection open."
        ),
        replace(
            "app/protocol.py",
            ('        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}\n'),
            ('        tokens = {t.strip() for t in (self.header("connection") or "").split(",")}\n'),
        ),
        catches=["connections::connection_close"],
        rules=["R5.2"],
    ),
    blind(
        "http10-keep-alive-not-announced",
        (
            "The server does keep an HTTP/1.0 keep-alive connection open, so it see"
            "ms to work, but without `Connection: keep-alive` in the response an HT"
            "TP/1.0 client assumes the connection will close."
        ),
        replace(
            "app/responses.py",
            ('    elif version == (1, 0):\n        lines.append("Connection: keep-alive")\n'),
            "",
        ),
        catches=["connections::http10_keep_alive"],
        rules=["R5.3"],
    ),
    blind(
        "reader-buffer-per-request",
        (
            "Creating the buffered reader at the top of the request loop looks clea"
            "n, but it throws away bytes already received past the current request,"
            " so a pipelined second request is lost and the client waits until the "
            "idle timeout."
        ),
        replace(
            "app/main.py",
            ("    reader = Reader(sock, settings)\n    with sock:\n        while True:\n            try:\n"),
            (
                "    with sock:\n"
                "        while True:\n"
                "            reader = Reader(sock, settings)\n"
                "            try:\n"
            ),
        ),
        catches=["connections::pipelining"],
        rules=["R5.4"],
    ),
    blind(
        "no-idle-timeout-while-reading-body",
        (
            "Lifting the timeout while a body is read ('uploads can be slow') seems"
            " kind to clients, but a client that stops in the middle of its body th"
            "en holds the connection forever."
        ),
        replace(
            "app/protocol.py",
            ("    budget = reader.settings.max_header\n    line = reader.readline(budget, 431)\n"),
            (
                "    reader.sock.settimeout(reader.settings.idle_timeout)\n"
                "    budget = reader.settings.max_header\n"
                "    line = reader.readline(budget, 431)\n"
            ),
        ),
        replace(
            "app/protocol.py",
            '    encoding = request.header("transfer-encoding")\n',
            (
                "    reader.sock.settimeout(None)  # an upload may be slow; only an idl"
                "e connection times out\n"
                '    encoding = request.header("transfer-encoding")\n'
            ),
        ),
        catches=["connections::idle_mid_request"],
        rules=["R5.5"],
    ),
    blind(
        "echo-plus-decoded-as-space",
        (
            "Form-decoding habits (`unquote_plus`, or replacing `+` by a space) lea"
            "k into path decoding, so `/echo/a+b` answers `a b`."
        ),
        replace(
            "app/routes.py",
            '        return unquote_to_bytes(raw).decode("utf-8")\n',
            '        return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")\n',
        ),
        catches=["resources::echo_decodes"],
        rules=["R1.2"],
    ),
    blind(
        "query-split-at-last-question-mark",
        (
            "Using rsplit to cut off the query string gives the same answer for eve"
            "ry target with a single `?`, but with two (`/echo/a?b?c`) part of the "
            "query ends up in the path."
        ),
        replace(
            "app/routes.py",
            '    path = request.target.split("?", 1)[0]\n',
            '    path = request.target.rsplit("?", 1)[0]\n',
        ),
        catches=["resources::echo_decodes"],
        rules=["R1.2"],
    ),
    blind(
        "headers-resource-last-value-only",
        (
            "Looking the header up in a dict built from the header list is the shor"
            "test code and right for headers sent once, but a header sent on severa"
            "l lines answers only its last value."
        ),
        replace(
            "app/routes.py",
            '        value = request.header(_decoded(path[len("/headers/") :]))\n',
            ('        value = dict(request.headers).get(_decoded(path[len("/headers/") :]).lower())\n'),
        ),
        catches=["resources::repeated_header"],
        rules=["R1.3"],
    ),
    blind(
        "chunked-count-excludes-100",
        ("`range(1, 100)` reads like 'from 1 to 100' but stops at 99, so `/chunked/100` answers 404."),
        replace(
            "app/routes.py",
            "        if not (count.isascii() and count.isdigit()) or not 1 <= int(count) <= 100:\n",
            "        if not (count.isascii() and count.isdigit()) or int(count) not in range(1, 100):\n",
        ),
        catches=["resources::chunked_resource"],
        rules=["R1.4"],
    ),
    blind(
        "chunked-sent-to-http10",
        (
            "Deciding the framing from the response alone (it has chunks, so send i"
            "t chunked) is natural, but an HTTP/1.0 client does not understand Tran"
            "sfer-Encoding: chunked."
        ),
        replace(
            "app/responses.py",
            "    chunked = response.chunks is not None and version == (1, 1)\n",
            "    chunked = response.chunks is not None\n",
        ),
        catches=["resources::chunked_resource_http10"],
        rules=["R1.4"],
    ),
]

# -- DNS (section 7) -------------------------------------------------------------------------------
MUTANTS += [
    mutant(
        "aaaa-written-in-full",
        "an IPv6 address written as eight groups of four hex digits instead of its shortest form (::1)",
        replace(
            RESOLVER,
            "socket.inet_ntop(socket.AF_INET6, rdata)",
            '":".join(rdata[i : i + 2].hex() for i in range(0, 16, 2))',
        ),
        catches=["dns::resolve_a"],
        rules=["R7.3"],
    ),
    mutant(
        "query-type-always-a",
        "the question's QTYPE is always 1 (A), whatever type was asked",
        replace(RESOLVER, 'struct.pack("!HH", qtype, 1)', 'struct.pack("!HH", 1, 1)'),
        catches=["dns::resolve_a"],
        rules=["R7.2"],
    ),
    mutant(
        "query-header-counts-wrong",
        "the query's header says ANCOUNT 1 (counts copied from an answer): the server cannot read it",
        replace(RESOLVER, "HEADER.pack(qid, 0x0100, 1, 0, 0, 0)", "HEADER.pack(qid, 0x0100, 1, 1, 0, 0)"),
        catches=["dns::resolve_a"],
        rules=["R7.2"],
    ),
    mutant(
        "compression-pointer-ends-name",
        "a compression pointer is taken for the end of the name instead of followed",
        replace(RESOLVER, "            at = limit = target\n            continue\n", "            break\n"),
        catches=["dns::resolve_a"],
        rules=["R7.4"],
    ),
    mutant(
        "compression-loop-followed",
        "pointers are followed anywhere in the message: one that points to itself loops forever",
        replace(RESOLVER, "if target >= limit:", "if target >= len(message):"),
        catches=["dns::pointer_loop"],
        rules=["R7.4"],
    ),
    mutant(
        "unknown-type-asked-as-a",
        "a type other than A, AAAA or CNAME is quietly asked as A instead of refused",
        replace(
            ROUTES,
            'query.get("type", ["A"])',
            '[t if t in TYPES else "A" for t in query.get("type", ["A"])]',
        ),
        catches=["dns::bad_request"],
        rules=["R7.1"],
    ),
    mutant(
        "cname-not-followed",
        "the CNAME of an A question ends the lookup: no records, the alias not asked",
        replace(RESOLVER, 'if records or qtype == "CNAME" or not alias:', "if True:"),
        catches=["dns::cname_chain"],
        rules=["R7.5"],
    ),
    mutant(
        "cname-chain-unbounded",
        "CNAMEs followed with no memory of the names seen and no limit: a loop never ends",
        replace(RESOLVER, "if target in chain or target == asked or len(chain) >= MAX_CHAIN:", "if False:"),
        catches=["dns::cname_loop"],
        rules=["R7.6"],
    ),
    mutant(
        "cname-limit-off-by-one",
        "a ninth CNAME is still followed",
        replace(RESOLVER, "MAX_CHAIN = 8", "MAX_CHAIN = 9"),
        catches=["dns::cname_loop"],
        rules=["R7.6"],
    ),
    mutant(
        "nxdomain-as-500",
        "NXDOMAIN is reported as the app's own failure, 500",
        replace(RESOLVER, 'raise ResolveError(404, "nxdomain")', 'raise ResolveError(500, "nxdomain")'),
        catches=["dns::nxdomain"],
        rules=["R7.7"],
    ),
    mutant(
        "nodata-as-nxdomain",
        "an answer without records (the name exists, not with that type) is taken for NXDOMAIN",
        replace(RESOLVER, "if rcode == 3:", "if rcode == 3 or not answers:"),
        catches=["dns::nxdomain"],
        rules=["R7.7"],
    ),
    mutant(
        "servfail-as-nxdomain",
        "every non-zero rcode is read as NXDOMAIN: a failing server makes names disappear",
        replace(RESOLVER, "if rcode == 3:", "if rcode != 0:"),
        catches=["dns::server_failures"],
        rules=["R7.8"],
    ),
    mutant(
        "timeout-as-502",
        "a DNS server that never answers is reported like one that failed (502 servfail)",
        replace(
            RESOLVER,
            'TimeoutError:\n                    raise ResolveError(504, "timeout")',
            'TimeoutError:\n                    raise ResolveError(502, "servfail")',
        ),
        catches=["dns::server_failures"],
        rules=["R7.8"],
    ),
    mutant(
        "truncated-answer-used",
        "the TC flag is ignored: the first records of a truncated UDP answer are served as the whole",
        replace(
            RESOLVER,
            "                if truncated:\n                    return self.ask_tcp(query, qid, deadline)\n",
            "",
        ),
        catches=["dns::truncated_retry_tcp"],
        rules=["R7.9"],
    ),
    mutant(
        "answer-id-not-checked",
        "the first datagram that looks like an answer is used, whatever its id: a spoofer wins",
        replace(RESOLVER, "if rid != qid or not flags & 0x8000:", "if not flags & 0x8000:"),
        catches=["dns::wrong_id_ignored"],
        rules=["R7.10"],
    ),
    mutant(
        "no-cache",
        "every lookup asks the DNS server again, the TTL ignored",
        replace(RESOLVER, "if cached is not None and cached[0] > now:", "if False:"),
        catches=["dns::cached_for_ttl"],
        rules=["R7.11"],
    ),
    mutant(
        "cache-forever",
        "cached answers never expire: the TTL is read and then ignored",
        replace(RESOLVER, "if cached is not None and cached[0] > now:", "if cached is not None:"),
        catches=["dns::cache_expires"],
        rules=["R7.11"],
    ),
]

# -- blind, DNS (section 7): written from the README and the solution only; 11/12 caught before
# tc-bit-wrong-mask escaped (the grader's server sets AA, 0x0400, on every answer): resolve_a now requires
# no TCP query for a complete answer (R7.9)
MUTANTS += [
    blind(
        "cache-key-name-only",
        "The learner keys the TTL cache by the name alone, so asking AAAA (or CNAME) right after A for the same name reuses the cached A answer: no new query is sent and the answers come back empty or of the wrong question.",
        replace(
            RESOLVER,
            "key = (name, qtype)",
            "key = name",
        ),
        catches=["dns::resolve_a", "dns::cname_chain"],
        rules=["R7.11", "R7.3"],
    ),
    blind(
        "cache-expiry-wall-clock-vs-monotonic",
        "The learner stores the expiry as time.time() + ttl but compares it with time.monotonic(), so every cached entry looks decades away from expiring and the server is never asked again after the TTL.",
        replace(
            RESOLVER,
            "self.cache[key] = (now + ttl, rcode, answers)",
            "self.cache[key] = (time.time() + ttl, rcode, answers)",
        ),
        catches=["dns::cache_expires"],
        rules=["R7.11"],
    ),
    blind(
        "tc-bit-wrong-mask",
        "The learner tests the TC flag with 0x0400 (that is the AA bit) instead of 0x0200, so a truncated UDP answer is used as it is and the query is never retried over TCP.",
        replace(
            RESOLVER,
            "bool(flags & 0x0200)",
            "bool(flags & 0x0400)",
        ),
        catches=["dns::resolve_a"],
        rules=["R7.9"],
    ),
    blind(
        "tcp-length-prefix-native-order",
        "The learner packs the TCP length prefix with struct format 'H' (native, little-endian on x86) instead of network order, so the server waits for thousands of bytes that never come and the TCP retry ends in a timeout.",
        replace(
            RESOLVER,
            'struct.pack("!H", len(query))',
            'struct.pack("H", len(query))',
        ),
        catches=["dns::truncated_retry_tcp", "dns::wrong_id_ignored"],
        rules=["R7.9"],
    ),
    blind(
        "id-mismatch-aborts-instead-of-waiting",
        "The learner checks the answer's id but gives up on the first datagram whose id differs (502) instead of ignoring it and waiting for the right answer.",
        replace(
            RESOLVER,
            "continue  # another id (spoofed, or a late answer): keep waiting for ours",
            'raise ResolveError(502, "bad_answer")',
        ),
        catches=["dns::wrong_id_ignored"],
        rules=["R7.10"],
    ),
    blind(
        "cname-rdata-decoded-from-slice",
        "The learner decodes the CNAME target from the rdata slice instead of the whole message, so compression pointers inside the rdata point outside the slice and every CNAME answer becomes a 502 bad_answer.",
        replace(
            RESOLVER,
            "read_name(message, at)[0]",
            "read_name(rdata, 0)[0]",
        ),
        catches=["dns::cname_chain", "dns::cname_loop"],
        rules=["R7.4", "R7.5", "R7.3"],
    ),
    blind(
        "pointer-guard-bounds-only",
        "The learner only checks that a compression pointer stays inside the message, not that it points backwards, so a pointer to itself loops forever and the request never gets its 502.",
        replace(
            RESOLVER,
            "if target >= limit:",
            "if target >= len(message):",
        ),
        catches=["dns::pointer_loop"],
        rules=["R7.4"],
    ),
    blind(
        "cname-limit-nine-followed",
        "The learner tests the chain length with > instead of >=, so a chain needing 9 CNAMEs is followed to the end (200) instead of answering 502 cname_loop.",
        replace(
            RESOLVER,
            "len(chain) >= MAX_CHAIN",
            "len(chain) > MAX_CHAIN",
        ),
        catches=["dns::cname_loop"],
        rules=["R7.6"],
    ),
    blind(
        "empty-answer-as-nxdomain",
        "The learner treats an rcode 0 answer with no records as a name that does not exist, answering 404 nxdomain instead of 200 with an empty answers list.",
        replace(
            RESOLVER,
            "if rcode == 3:",
            "if rcode == 3 or (rcode == 0 and not answers):",
        ),
        catches=["dns::nxdomain"],
        rules=["R7.7"],
    ),
    blind(
        "only-servfail-rcode-is-error",
        "The learner maps only rcode 2 (SERVFAIL) to 502, so REFUSED and other rcodes fall through as a successful empty answer (200).",
        replace(
            RESOLVER,
            "if rcode != 0:",
            "if rcode == 2:",
        ),
        catches=["dns::server_failures"],
        rules=["R7.8"],
    ),
    blind(
        "aaaa-without-zero-compression",
        "The learner formats AAAA data by hand as eight hex groups, so ::1 comes out as 0:0:0:0:0:0:0:1 instead of the shortest text form.",
        replace(
            RESOLVER,
            "socket.inet_ntop(socket.AF_INET6, rdata)",
            '":".join(f"{(rdata[i] << 8) | rdata[i + 1]:x}" for i in range(0, 16, 2))',
        ),
        catches=["dns::resolve_a"],
        rules=["R7.3"],
    ),
    blind(
        "trailing-dot-rejected",
        "The learner validates the name before stripping the optional final dot, so a fully qualified name like example.com. has an empty last label and answers 400 instead of resolving.",
        replace(
            ROUTES,
            '    name = name[:-1] if name.endswith(".") else name\n',
            "",
        ),
        catches=["dns::resolve_a"],
        rules=["R7.1"],
    ),
    blind(
        "notes-405-via-generic-text-helper",
        (
            "I routed /notes like every other resource, `_allowed(...) or "
            "notes(...)`, so the method check happens before the JSON code; the 405 "
            "keeps its Allow header but its body is the plain-text 'method not "
            'allowed\', not {"error": "method_not_allowed"} in JSON.'
        ),
        replace(
            "app/routes.py",
            '    if path == "/notes" or path.startswith("/notes/"):\n        return notes(request, path)\n',
            '    if path == "/notes" or path.startswith("/notes/"):\n        refused = _allowed(request, COLLECTION if path == "/notes" else NOTE)\n        return refused or notes(request, path)\n',
        ),
        catches=["notes::notes_405"],
        rules=["R8.11", "R8.1"],
    ),
    blind(
        "note-id-isdigit-accepts-leading-zeros",
        (
            "I parsed the id with `raw.isdigit()` and int(), which looked like "
            "'decimal without a sign'; but int('01') is 1, so /notes/01 (and "
            "/notes/007) serves, updates or deletes note 1 instead of answering 404."
        ),
        replace(
            "app/routes.py",
            "    note_id = int(raw) if NOTE_ID.fullmatch(raw) else 0\n",
            "    note_id = int(raw) if raw.isdigit() else 0\n",
        ),
        catches=["notes::unknown_id_404"],
        rules=["R8.5", "R8.8"],
    ),
    blind(
        "put-reinserts-note-at-the-end",
        (
            "To replace a note I removed the old entry and stored the new one under "
            "the same id; the id is kept, but a dict re-inserts at the end, so after "
            "a PUT the note jumps to the end of GET /notes instead of keeping its "
            "place."
        ),
        replace(
            "app/notes.py",
            "            self.items[note_id] = text\n",
            "            del self.items[note_id]\n            self.items[note_id] = text\n",
        ),
        catches=["notes::list_in_creation_order"],
        rules=["R8.6", "R8.4"],
    ),
    blind(
        "next-id-from-highest-remaining-note",
        (
            "I computed the next id as the highest id still stored plus one, so ids "
            "stay increasing and unique among live notes; but deleting the newest "
            "note and creating another gives the deleted id again."
        ),
        replace(
            "app/notes.py",
            "            self.last += 1\n",
            "            self.last = max(self.items, default=0) + 1\n",
        ),
        catches=["notes::ids_never_reused"],
        rules=["R8.3"],
    ),
    blind(
        "delete-204-sends-content-length-zero",
        (
            "My serializer only drops the body and the length for 304 (the static "
            "code's case); a 204 with an empty body seemed harmless with `Content-"
            "Length: 0`, but a 204 must carry no Content-Length at all."
        ),
        replace(
            "app/responses.py",
            "    if response.status in (204, 304):  # no body, and no Content-Length on a 204 (RFC 9110 §8.6)\n",
            "    if response.status == 304:  # a 304 has no body\n",
        ),
        catches=["notes::delete_answers_204"],
        rules=["R8.7", "R4.4"],
    ),
    blind(
        "note-text-truthiness-check",
        (
            'I validated the note with `not data.get("text")`, which rejects a '
            "missing text and null in one go; but it also rejects the empty string, "
            "and lets non-string texts like 5 or true through (stored as '5' / "
            "'True')."
        ),
        replace(
            "app/routes.py",
            '    if not isinstance(data, dict) or not isinstance(data.get("text"), str):\n',
            '    if not isinstance(data, dict) or not data.get("text"):\n',
        ),
        catches=["notes::text_kept_exactly", "notes::invalid_note_400"],
        rules=["R8.2", "R8.10"],
    ),
    blind(
        "json-media-type-with-parameters-refused",
        (
            "I lower-cased and stripped the Content-Type and compared it to "
            "application/json; that handles the case, but forgets the parameters, so "
            "`application/json; charset=utf-8` gets a 415."
        ),
        replace(
            "app/routes.py",
            '    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()\n',
            '    media_type = (request.header("content-type") or "").strip().lower()\n',
        ),
        catches=["notes::wrong_media_type_415"],
        rules=["R8.9"],
    ),
    blind(
        "content-type-from-mimetypes",
        (
            "Instead of a table I used the standard `mimetypes.guess_type`, which "
            "knows every extension; but it answers bare `text/plain`, `text/html` and"
            " `text/css` with no `; charset=utf-8`."
        ),
        replace(
            "app/static.py",
            "import hashlib\n",
            "import hashlib\nimport mimetypes\n",
        ),
        replace(
            "app/static.py",
            '    kind = TYPES.get(path.suffix, "application/octet-stream")\n',
            '    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"\n',
        ),
        catches=["static::content_types"],
        rules=["R9.2"],
    ),
    blind(
        "last-modified-with-numeric-zone",
        (
            "I formatted the file's mtime with `email.utils.formatdate(mtime)` like "
            "the Date header, but forgot `usegmt=True`: Last-Modified ends in `-0000`"
            " instead of `GMT`, which is not an IMF-fixdate."
        ),
        replace(
            "app/static.py",
            '    validators = [("ETag", etag), ("Last-Modified", formatdate(mtime, usegmt=True))]\n',
            '    validators = [("ETag", etag), ("Last-Modified", formatdate(mtime))]\n',
        ),
        catches=["static::validators", "static::if_modified_since"],
        rules=["R9.3"],
    ),
    blind(
        "if-none-match-weak-tag-never-matches",
        (
            "I split If-None-Match on commas and checked whether my ETag is in the "
            "list; that handles lists and `*`, but a client that sends the tag back "
            'as `W/"..."` never matches, so it gets the whole file instead of a 304.'
        ),
        replace(
            "app/static.py",
            '        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)\n',
            '        return "*" in tags or etag in tags\n',
        ),
        catches=["static::if_none_match"],
        rules=["R9.4"],
    ),
    blind(
        "if-modified-since-checked-after-etag-miss",
        (
            "I treated the two validators as alternatives: when If-None-Match does "
            "not match I still try If-Modified-Since. But when If-None-Match is "
            "present, If-Modified-Since must be ignored, so a changed tag with a "
            "recent date wrongly answers 304."
        ),
        replace(
            "app/static.py",
            '        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)\n',
            '        if "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags):\n            return True\n',
        ),
        catches=["static::condition_precedence"],
        rules=["R9.5"],
    ),
    blind(
        "suffix-range-not-clamped",
        (
            "For `bytes=-n` I wrote the one-liner `size - n .. size - 1`; that is "
            "right for a small n, but an n larger than the file gives a negative "
            "start (not the whole file), and `bytes=-0` gives an empty 206 instead of"
            " a 416."
        ),
        replace(
            "app/static.py",
            '        count = int(last)\n        if count == 0 or size == 0:\n            return "unsatisfiable"\n        return max(0, size - count), size - 1\n',
            "        return size - int(last), size - 1\n",
        ),
        catches=["static::ranges", "static::unsatisfiable_416"],
        rules=["R9.6", "R9.7"],
    ),
    blind(
        "range-regex-match-not-fullmatch",
        (
            "I parsed Range with `re.match`, thinking it checks the whole header; it "
            "only anchors the start, so `bytes=0-1,4-5` (several ranges) is read as "
            "`bytes=0-1` and answered 206 instead of being ignored."
        ),
        replace(
            "app/static.py",
            '    match = RANGE.fullmatch((header or "").strip())\n',
            '    match = RANGE.match((header or "").strip())\n',
        ),
        catches=["static::other_ranges_ignored"],
        rules=["R9.8"],
    ),
    blind(
        "traversal-checked-before-percent-decoding",
        (
            "I rejected `..`, `.` and empty segments by splitting the path from the "
            "request line, then percent-decoded it to open the file, and dropped the "
            "resolve-inside-public check as redundant; `%2e%2e` and `%2f` are only "
            "decoded after the check, so /static/%2e%2e/README.md and "
            "/static/%2fetc%2fpasswd escape public/."
        ),
        replace(
            "app/static.py",
            '    try:\n        decoded = unquote_to_bytes(raw).decode("utf-8")\n    except UnicodeDecodeError:\n        return None\n    segments = decoded.split("/")\n    if any(s in ("", ".", "..") or "\\\\" in s or "\\x00" in s for s in segments):\n        return None\n    try:\n        found = PUBLIC.joinpath(*segments).resolve(strict=True)\n    except (OSError, RuntimeError):\n        return None\n    if not found.is_relative_to(PUBLIC.resolve()) or not found.is_file():\n        return None\n',
            '    segments = raw.split("/")\n    if any(s in ("", ".", "..") or "\\\\" in s or "\\x00" in s for s in segments):\n        return None\n    try:\n        decoded = unquote_to_bytes(raw).decode("utf-8")\n        found = (PUBLIC / decoded).resolve(strict=True)\n    except (ValueError, OSError, RuntimeError):\n        return None\n    if not found.is_file():\n        return None\n',
        ),
        catches=["static::traversal_refused"],
        rules=["R9.9"],
    ),
]
