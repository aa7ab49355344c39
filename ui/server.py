"""One HTTP server for the page and the API: FastAPI routes, with the Gradio page mounted at `/`.

Routes (OpenAPI docs at `/docs`):

- `POST /v1/chat/completions`: OpenAI-compatible, streaming (`"stream": true`, server-sent events) or not.
  The last message is the question; the earlier ones are the history, read by `ui.history.plain_history`
  exactly as the page reads its own, so follow-ups ("When did he call them?") are rewritten the same way.
  The reply's message carries two extra fields, `citations` (article id, title, source, date, url, quote,
  start/end offsets) and `abstained` (true when the archive does not say: still a normal message), plus
  `span`, `query`, `as_of`, `filters` and `queue_s` (seconds it waited for the model); a stream carries
  them on its final chunk's `delta`. A stream sends only checked text: while the assistant works, chunks
  with an empty delta and a `progress` field ("queue" with `ahead`, the questions before it, while it
  waits for the model; "search"; then "check" with the words drafted, never the words); then the
  verified answer. Extra request fields: `as_of` (YYYY-MM-DD), `filters` ({"date_from", "date_to",
  "sources"}), `top_k`.
- `POST /api/ask`: {question, history, as_of, filters, top_k} -> the Answer as JSON (`Answer.to_dict`
  without the unchecked `draft` and without rejected claims; `timings.queue` is the wait for the model).
- `GET /api/articles`, `POST /api/articles` (multipart `files` and/or `urls`; or JSON {"urls": [...]}),
  `DELETE /api/articles/{id}`, `GET /api/health`.

Load and faults: questions from the API and the page wait in one line (`ui/gate.py`), so a generator
that is not thread-safe (the local llama.cpp model) answers one at a time, whoever asks. When
`settings.queue_limit` questions already wait, a question is refused at once with 503 and Retry-After.
When the model backend fails, the answer is an error, never draft text: the non-stream routes answer
504 when it did not answer in time and 502 otherwise (`detail`: "could not answer: the <kind> server at
<url> ..."); a stream, already 200, ends with a chunk whose content says "Could not answer: ..." and
whose `error` is {message, type ("timeout", "backend", ...), code (504/502)}, then [DONE].

Safety: HTTP basic auth over every route, the page included, when `auth` is given; request bodies
and questions have size limits answered with 413 / 400; CORS only for the origins named. Binding to
127.0.0.1 is the caller's default (`serve`). fastapi and uvicorn are imported only here; gradio only
where the page is mounted. It does not build the Assistant's parts: `serve` calls `build_assistant`.
"""

# No `from __future__ import annotations`: FastAPI reads the request models (defined in build_server) from
# the route annotations at run time.

import base64
import hmac
import json
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from assistant import Answer, Assistant, SearchFilters

from .archive import MAX_UPLOAD_BYTES, safe_upload_name, save_uploads
from .ask import ArchiveWatch, ask_events, make_gate, with_top_k
from .gate import ModelGate, QueueFull
from .history import message_text, plain_history

__all__ = ["build_server", "serve", "answer_json", "citation_json", "MAX_QUESTION_CHARS", "MAX_REQUEST_BYTES",
           "MODEL_NAME"]

MODEL_NAME = "citewire"
MAX_QUESTION_CHARS = 2000  # a question longer than this is refused with 400
MAX_MESSAGES = 64  # messages in one chat completion request
MAX_REQUEST_BYTES = 1024 * 1024  # JSON bodies on /v1 and /api; uploads get MAX_UPLOAD_BYTES more
API_PREFIXES = ("/v1/", "/api/")
_CITATION_KEYS = ("n", "article_id", "title", "source", "published_at", "url", "quote", "start", "end", "score")


def citation_json(citation) -> dict:
    """One citation as the API returns it (the quote is article text[start:end])."""
    return {k: getattr(citation, k) for k in _CITATION_KEYS}


def answer_json(answer: Answer) -> dict:
    """`Answer.to_dict()` for readers: the unchecked draft and the rejected claims are left out."""
    out = answer.to_dict()
    out.pop("draft", None)
    out["claims"] = [c for c in out["claims"] if c.get("supported")]
    out["citations"] = [citation_json(c) for c in answer.citations]
    return out


def _message_extras(answer: Answer, queue_s: float = 0.0) -> dict:
    return {"citations": [citation_json(c) for c in answer.citations], "abstained": answer.abstained,
            "span": answer.span, "query": answer.query, "as_of": answer.as_of, "filters": dict(answer.filters),
            "queue_s": round(queue_s, 3)}


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)  # an as_of outside these is refused with 400


def _refuse_unencodable(fields: dict) -> None:
    """400 naming the field when any string in `fields` (nested lists and dicts) is not valid Unicode text
    (a lone surrogate, which JSON's \\ud800 escape can carry): it could be neither searched nor echoed."""

    def bad(value, depth: int = 0) -> bool:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
            return False
        if depth > 8:
            return False
        if isinstance(value, dict):
            return any(bad(k, depth + 1) or bad(v, depth + 1) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return any(bad(v, depth + 1) for v in value)
        return False

    for name, value in fields.items():
        if bad(value):
            from fastapi import HTTPException

            raise HTTPException(400, f"{name}: text with a lone surrogate (not valid Unicode)")


def _ascii(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _ascii_json(content, status_code: int = 200):
    """A JSON response written with ASCII escapes and no NaN, so any text in it can be encoded."""
    from starlette.responses import Response

    body = json.dumps(content, ensure_ascii=True, allow_nan=False, default=str)
    return Response(body, status_code=status_code, media_type="application/json")


def _parse_auth(auth) -> tuple[str, str] | None:
    if not auth:
        return None
    if isinstance(auth, str):
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("auth must be user:password")
        return user, password
    user, password = auth
    return str(user), str(password)


class _Guard:
    """ASGI middleware: HTTP basic auth on every route (when set) and a body size cap on the API routes."""

    def __init__(self, app, credentials: tuple[str, str] | None, max_request_bytes: int):
        self.app = app
        self.expected = None
        if credentials:
            self.expected = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.expected is not None:
            given = headers.get("authorization", "")
            scheme, _, token = given.partition(" ")
            if scheme.lower() != "basic" or not hmac.compare_digest(token.strip().encode(), self.expected.encode()):
                if scope["type"] == "websocket":
                    return await send({"type": "websocket.close", "code": 1008})
                return await _send_json(send, 401, {"detail": "authentication required"},
                                        [(b"www-authenticate", b'Basic realm="citewire"')])
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(API_PREFIXES):
            limit = self.max_request_bytes + (MAX_UPLOAD_BYTES if path.rstrip("/") == "/api/articles" else 0)
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                return await _send_json(send, 413, {"detail": f"request body over the {limit} byte limit"})
            receive = _counting(receive, limit)
        return await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


def _counting(receive, limit: int):
    seen = [0]

    async def wrapped():
        message = await receive()
        if message.get("type") == "http.request":
            seen[0] += len(message.get("body", b""))
            if seen[0] > limit:
                raise _TooLarge(limit)
        return message

    return wrapped


async def _send_json(send, status: int, body: dict, extra_headers=()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *extra_headers]})
    await send({"type": "http.response.body", "body": data})


def build_server(assistant: Assistant, *, auth: str | tuple[str, str] | None = None, cors_origins=(),
                 max_request_bytes: int = MAX_REQUEST_BYTES, max_question_chars: int = MAX_QUESTION_CHARS,
                 page: bool = True, upload_dir: str | Path | None = None, gate: ModelGate | None = None,
                 generators: tuple[str, ...] = ()):
    """The FastAPI app: the API routes and (when `page`) the Gradio page mounted at `/`; `generators`: more
    models the page offers its readers (see ui.ask.Models).

    `gate` (default: `make_gate(assistant)`) is the one line in front of the model that the API and the
    page share: a generator that is not thread-safe answers one question at a time, whoever asks."""
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse, StreamingResponse
    from pydantic import BaseModel, ConfigDict, Field

    credentials = _parse_auth(auth)
    library = assistant.library
    watch = ArchiveWatch(assistant)
    uploads = Path(upload_dir) if upload_dir else Path(assistant.settings.data_dir) / "uploads"
    gate = gate or make_gate(assistant)

    class Filters(BaseModel):
        model_config = ConfigDict(extra="forbid")
        date_from: str | None = None
        date_to: str | None = None
        sources: list[str] | None = None
        article_ids: list[str] | None = None

    class Message(BaseModel):
        model_config = ConfigDict(extra="allow")
        role: str
        content: Any = None

    class ChatRequest(BaseModel):
        """OpenAI's chat completion request; sampling fields are accepted and ignored."""
        model_config = ConfigDict(extra="allow")
        model: str = MODEL_NAME
        messages: list[Message] = Field(min_length=1)
        stream: bool = False
        as_of: str | None = Field(None, description="YYYY-MM-DD the question is asked on (default today)")
        filters: Filters | None = None
        top_k: int | None = Field(None, ge=1, le=50)

    class AskRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        question: str
        history: list = Field(default_factory=list, description="earlier messages, {role, content}")
        as_of: str | None = None
        filters: Filters | None = None
        top_k: int | None = Field(None, ge=1, le=50)

    class UrlList(BaseModel):
        model_config = ConfigDict(extra="forbid")
        urls: list[str]

    app = FastAPI(title="Citewire", version="1", docs_url="/docs", redoc_url=None,
                  description="Ask a news archive; every answer carries the article sentences it cites.")

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, exc: RequestValidationError):
        """422 with where and why, never the offending input echoed back (NaN, undecodable bytes or lone
        surrogates in it made FastAPI's own handler fail with a 500)."""
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return _ascii_json({"detail": errors}, status_code=422)

    def checked(question: str, as_of: str | None, filters) -> tuple[str, date | str, dict]:
        question = (question or "").strip()
        if not question:
            raise HTTPException(400, "the question is empty")
        if len(question) > max_question_chars:
            raise HTTPException(400, f"the question is {len(question)} characters; the limit is {max_question_chars}")
        flt = filters.model_dump(exclude_none=True) if filters is not None else {}
        _refuse_unencodable({"question": question, "as_of": as_of, "filters": flt})
        try:
            SearchFilters.of(flt)
            day = date.fromisoformat(as_of.strip()) if as_of and as_of.strip() else date.today()
        except ValueError as exc:
            raise HTTPException(400, f"bad as_of or filters: {exc}") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise HTTPException(400, f"bad as_of: {day.isoformat()} is outside {FIRST_DAY} .. {LAST_DAY}")
        return question, day, flt

    def take_ticket():
        """A place in the model's line, or 503 with Retry-After when too many questions already wait."""
        try:
            return gate.ticket()
        except QueueFull as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None

    def answer_or_raise(model: Assistant, question, turns, day, flt) -> tuple[Answer, float]:
        """The Answer and the seconds it waited for the model; a failure is 502 (504: the backend timed out)."""
        watch.sync()
        ticket = take_ticket()
        event = None
        for event in ask_events(model, question, turns, day, flt, ticket):
            pass
        if event[0] == "error":
            raise HTTPException(event[1].status, f"could not answer: {event[1].message}")
        return event[1], ticket.waited_s

    @app.get("/api/health", tags=["archive"])
    def health() -> dict:
        """Liveness and what is loaded: stored chunks and the generator."""
        return {"status": "ok", "chunks": library.count(), "generator": assistant.generator.name,
                "archive": assistant.settings.archive_key}

    @app.get("/v1/models", tags=["openai"])
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0,
                                            "owned_by": "citewire"}]}

    @app.post("/v1/chat/completions", tags=["openai"])
    def chat_completions(request: ChatRequest):
        """OpenAI-compatible chat; the message carries `citations` and `abstained` (see the module docs)."""
        if len(request.messages) > MAX_MESSAGES:
            raise HTTPException(400, f"{len(request.messages)} messages; the limit is {MAX_MESSAGES}")
        last = request.messages[-1]
        if last.role != "user":
            raise HTTPException(400, "the last message must be the user's question")
        question, day, flt = checked(message_text(last.content), request.as_of, request.filters)
        earlier = [m.model_dump() for m in request.messages[:-1]]
        _refuse_unencodable({"model": request.model, "messages": [message_text(m.get("content")) for m in earlier]})
        turns = plain_history(earlier)
        model = with_top_k(assistant, request.top_k)
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not request.stream:
            answer, waited = answer_or_raise(model, question, turns, day, flt)
            message = {"role": "assistant", "content": answer.text, **_message_extras(answer, waited)}
            return {"id": ident, "object": "chat.completion", "created": created, "model": request.model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                    "usage": _usage(question, turns, answer.text)}

        def chunk(delta: dict, finish=None, **extra) -> str:
            body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": request.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        watch.sync()
        ticket = take_ticket()  # before the stream starts, so a full line is a plain 503
        # Started now: it answers (or leaves the line) even when the client hangs up before reading.
        started = ask_events(model, question, turns, day, flt, ticket)

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            for event in started:
                if event[0] == "queue":
                    yield chunk({}, progress={"stage": "queue", "ahead": event[1], "words_drafted": 0})
                elif event[0] == "progress":
                    yield chunk({}, progress={"stage": event[1], "words_drafted": event[2]})
                elif event[0] == "error":
                    failure = event[1]
                    yield chunk({"content": f"Could not answer: {failure.message}"}, "stop",
                                error={"message": failure.message, "type": failure.kind, "code": failure.status})
                else:
                    answer = event[1]
                    for piece in _pieces(answer.text):
                        yield chunk({"content": piece})
                    yield chunk(_message_extras(answer, ticket.waited_s), "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/ask", tags=["archive"])
    def ask(request: AskRequest) -> dict:
        """The verified Answer as JSON: answer, abstained, citations, passages, span, query, as_of, filters."""
        if len(request.history) > MAX_MESSAGES:
            raise HTTPException(400, f"{len(request.history)} history messages; the limit is {MAX_MESSAGES}")
        question, day, flt = checked(request.question, request.as_of, request.filters)
        _refuse_unencodable({"history": [message_text(m.get("content") if isinstance(m, dict) else m)
                                        for m in request.history]})
        answer, waited = answer_or_raise(with_top_k(assistant, request.top_k), question,
                                         plain_history(request.history), day, flt)
        out = answer_json(answer)
        out["timings"] = dict(out.get("timings") or {}, queue=round(waited, 3))
        return out

    @app.get("/api/articles", tags=["archive"])
    def list_articles() -> list[dict]:
        """Every stored article: id, title, source, published_at, url, chunks."""
        watch.sync()
        return library.list_articles()

    @app.post("/api/articles", tags=["archive"])
    async def add_articles(request: Request):
        """Ingest uploaded files (multipart `files`, 20 MB each) and/or http(s) `urls` (form fields, one URL
        each or one a line; or JSON {"urls": [...]}). Returns the ingest report and the refused inputs."""
        kind = request.headers.get("content-type", "")
        files, links = [], []
        if kind.startswith("application/json"):
            try:
                links = UrlList.model_validate(await request.json()).urls
            except ValueError as exc:  # malformed JSON, or not {"urls": [...]}
                raise HTTPException(400, f'send {{"urls": ["https://..."]}}: {_ascii(str(exc))}') from None
            _refuse_unencodable({"urls": links})
        else:
            form = await request.form()
            for value in form.getlist("files"):
                if hasattr(value, "filename"):
                    files.append(value)
            for value in form.getlist("urls"):
                links += [u.strip() for u in str(value).splitlines() if u.strip()]
        return await _run_sync(ingest_inputs, files, links)

    def ingest_inputs(files: list, links: list[str]) -> dict:
        refused = [f"{u}: only http(s) URLs" for u in links if not u.lower().startswith(("http://", "https://"))]
        links = [u for u in links if u.lower().startswith(("http://", "https://"))]
        with tempfile.TemporaryDirectory(prefix="citewire-upload-") as tmp:
            staged = []
            for i, upload in enumerate(files):
                path = Path(tmp) / f"{i}"
                path.mkdir()
                target = path / safe_upload_name(upload.filename or "upload.txt")
                with target.open("wb") as out:
                    while block := upload.file.read(1 << 20):
                        out.write(block)
                staged.append(_Named(str(target), upload.filename or target.name))
            saved, bad = save_uploads(staged, uploads)
        refused += bad
        report = library.ingest(saved + links) if saved or links else None
        watch.sync(force=True)
        if report is None and not refused:
            raise HTTPException(400, "nothing to ingest: send files and/or urls")
        return {"report": report.to_dict() if report is not None else None, "refused": refused,
                "ok": bool(report is not None and report.ok and not refused)}

    @app.delete("/api/articles/{article_id:path}", tags=["archive"])
    def remove_article(article_id: str) -> dict:
        """Remove one article (its chunks and keyword entries); 404 when no such article is stored."""
        removed = library.remove([article_id])
        watch.sync(force=True)
        if not removed:
            raise HTTPException(404, f"no article {article_id!r}")
        return {"removed": list(removed)}

    @app.exception_handler(_TooLarge)
    async def too_large(request, exc):
        return JSONResponse({"detail": f"request body over the {exc.args[0]} byte limit"}, status_code=413)

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["*"],
                           allow_headers=["*"], allow_credentials=bool(credentials))
    if page:
        import gradio as gr

        from .app import CSS, build_app

        blocks = build_app(assistant, upload_dir=upload_dir, gate=gate, generators=tuple(generators))
        app = gr.mount_gradio_app(app, blocks, path="/", css=CSS, max_file_size=MAX_UPLOAD_BYTES,
                                  footer_links=["api"])
    app.add_middleware(_Guard, credentials=credentials, max_request_bytes=max_request_bytes)
    return app


class _Named:
    """An upload staged on disk, as save_uploads reads it (`.path`, `orig_name`)."""

    def __init__(self, path: str, orig_name: str):
        self.path, self.orig_name = path, orig_name


async def _run_sync(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _pieces(text: str) -> Iterator[str]:
    """The verified text in word-sized pieces (whitespace kept), as a streamed reply arrives."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            yield text[start:i]
            start = i
    if start < len(text):
        yield text[start:]


def _usage(question: str, turns: list, text: str) -> dict:
    """Approximate token counts (words): the API has no tokenizer of its own."""
    prompt = len(question.split()) + sum(len(t["content"].split()) for t in turns)
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _warm_up(assistant: Assistant, started: float, log) -> None:
    """Load the models now rather than on the first question; a failure here is the first question's to report."""
    try:
        assistant.warm_up()
        assistant.library.list_articles()  # the page's archive listing, kept until the store changes
    except Exception as exc:  # noqa: BLE001 - the question that needs the model will say what is wrong
        print(f"warm-up failed ({type(exc).__name__}); the first question will load the models", file=log,
              flush=True)
        return
    print(f"models loaded in {time.perf_counter() - started:.1f}s", file=log, flush=True)


def serve(settings, host: str = "127.0.0.1", port: int = 7860, *, auth=None, cors_origins=(), page: bool = True,
          generators: tuple[str, ...] = (), log=sys.stderr) -> int:
    """Build the assistant for `settings` (ingesting the bundled sample into an empty index) and serve the
    page and the API on host:port until interrupted (entry points: `citewire serve`, `python -m ui`).

    The page serves first; the models (embedder, keyword index, generator) load in the background right
    after, so the page is up in seconds on a large archive and a question asked meanwhile waits for them."""
    import uvicorn

    from assistant import build_assistant, ingest_sample_if_empty

    started = time.perf_counter()
    assistant = build_assistant(settings=settings)
    report = ingest_sample_if_empty(assistant)
    if report is not None:
        print(f"index was empty: ingested the bundled sample ({report.summary()})", file=log)
    app = build_server(assistant, auth=auth, cors_origins=cors_origins, page=page, generators=generators)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="citewire-http", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    if not server.started:
        print(f"error: could not serve on {host}:{port}", file=log)
        return 1
    # Printed once the server answers, so scripts can wait for this line.
    print(f"ready in {time.perf_counter() - started:.1f}s: http://{host}:{port} (API docs: /docs)", file=log,
          flush=True)
    threading.Thread(target=_warm_up, args=(assistant, started, log), name="citewire-warm-up", daemon=True).start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(5)
    return 0
