"""`python -m eval.load`: many clients at once against the real server, through the page and the API.

Each phase starts `python -m ui` (the page and the API on one loopback port) over a fresh data dir
holding the bundled sample article, then runs N client threads for T seconds. Client i speaks, in turn
by i, `POST /api/ask` (httpx), `POST /v1/chat/completions` (httpx; streamed and not, alternately) or
the page's Gradio endpoint `/ask` (gradio_client), asking a rotating set of questions about the
sample. Per request it records: answered or error, latency, queue wait (the time before the server
started working on it: the server's `timings.queue` / `queue_s`; on the page, the time its "Waiting
for the model" note was shown), and whether the citations are valid: every quote is the cited
article's stored text at the given offsets (the page shows no offsets: there each highlighted quote
must occur verbatim in the article of that title), and an abstention cites nothing. It prints a
table per phase and kind and writes everything as JSON.

    python -m eval.load                     # smoke: 4 clients x 10 s, extractive
    python -m eval.load --full              # 20 clients x 60 s extractive, then 4 x 60 s local
    python -m eval.load --phase extractive:8:30 --phase local:2:20 --json out.json
    python -m eval.load --url http://127.0.0.1:7860 --data-dir data --phase extractive:8:30   # a running server

It does not judge answer quality (eval/run.py does), and starts nothing but the server it measures.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from assistant import offline_environment

__all__ = ["QUESTIONS", "KINDS", "Outcome", "run_load", "summarise", "print_table", "main"]

QUESTIONS = ("who proposed the summit", "What did Belarus say about Russian forces?",
             "When will the Group of Seven leaders meet?", "Who did Biden agree to hold a summit with?",
             "How many Russian troops are massed near Ukraine?", "What is the name of Ukraine's president?")
KINDS = ("api", "chat", "page")
FULL = ("extractive:20:60", "local:4:60")
SMOKE = ("extractive:4:10",)
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    """One request: what was asked where, how long it took, and what came back."""

    kind: str
    question: str
    ok: bool = False
    error: str = ""
    latency_s: float = 0.0
    queue_s: float = 0.0
    abstained: bool | None = None
    citations: int = 0
    citations_valid: bool | None = None
    saw_queue: bool = False  # the reply said how many questions were ahead of it


@dataclass
class _Texts:
    """The stored article texts (by id) and ids by title, to check citations against."""

    by_id: dict[str, str]
    ids_by_title: dict[str, list[str]] = field(default_factory=dict)


def check_citations(abstained: bool, citations: list[dict], texts: _Texts) -> bool:
    """True when every citation's quote is its article's stored text at [start, end), and an abstention
    (or only an abstention) cites nothing."""
    if abstained or not citations:
        return abstained and not citations
    for c in citations:
        text = texts.by_id.get(c.get("article_id"))
        if text is None or text[c["start"]:c["end"]] != c["quote"] or not c["quote"]:
            return False
    return True


_CARD = re.compile(r"<div class='cw-card' id='cw-source-\d+'><div class='cw-head'>\[\d+\] (.*?)</div>.*?"
                   r"<blockquote>(.*?)</blockquote></div>", re.S)
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_TAG = re.compile(r"<[^>]+>")


def check_page_citations(cards_html: str, texts: _Texts) -> tuple[bool, int, bool]:
    """(valid, citations, abstained) from the page's source cards: each highlighted quote occurs verbatim
    in the stored text of the article with the card's title."""
    cards = _CARD.findall(cards_html or "")
    if not cards:
        return "cites no article" in (cards_html or ""), 0, True
    for head, quote_html in cards:
        title = html.unescape(_TAG.sub("", head)).strip()
        marks = _MARK.findall(quote_html)
        ids = texts.ids_by_title.get(title) or list(texts.by_id)
        if len(marks) != 1 or not any(html.unescape(marks[0]) in texts.by_id[i] for i in ids):
            return False, len(cards), False
    return True, len(cards), False


def _ask_api(client, url: str, question: str, texts: _Texts, outcome: Outcome, n: int) -> None:
    r = client.post(url + "/api/ask", json={"question": question})
    if r.status_code != 200:
        outcome.error = f"HTTP {r.status_code}: {r.text[:200]}"
        return
    body = r.json()
    outcome.queue_s = body.get("timings", {}).get("queue", 0.0)
    _record(outcome, body["abstained"], body["citations"], texts)


def _ask_chat(client, url: str, question: str, texts: _Texts, outcome: Outcome, n: int) -> None:
    request = {"model": "citewire", "messages": [{"role": "user", "content": question}], "stream": n % 2 == 0}
    if not request["stream"]:
        r = client.post(url + "/v1/chat/completions", json=request)
        if r.status_code != 200:
            outcome.error = f"HTTP {r.status_code}: {r.text[:200]}"
            return
        message = r.json()["choices"][0]["message"]
        outcome.queue_s = message.get("queue_s", 0.0)
        _record(outcome, message["abstained"], message["citations"], texts)
        return
    final = None
    with client.stream("POST", url + "/v1/chat/completions", json=request) as r:
        if r.status_code != 200:
            outcome.error = f"HTTP {r.status_code}: {r.read()[:200]!r}"
            return
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("error"):
                outcome.error = chunk["error"]["message"][:200]
                return
            if (chunk.get("progress") or {}).get("stage") == "queue":
                outcome.saw_queue = True
            if chunk["choices"][0]["finish_reason"] == "stop":
                final = chunk["choices"][0]["delta"]
    if final is None:
        outcome.error = "the stream ended without a final chunk"
        return
    outcome.queue_s = final.get("queue_s", 0.0)
    _record(outcome, final["abstained"], final["citations"], texts)


def _ask_page(client, url: str, question: str, texts: _Texts, outcome: Outcome, n: int) -> None:
    from ui.history import message_text

    started = time.perf_counter()
    job = client.submit(question, [], "", "", [], "", 5, api_name="/ask")
    waiting_since = waited_until = None
    while not job.done():
        outputs = job.outputs()
        if outputs:
            last = message_text(outputs[-1][0][-1].get("content")) if outputs[-1][0] else ""
            now = time.perf_counter()
            if "Waiting for the model" in last:
                outcome.saw_queue = True
                waiting_since = waiting_since or now
            elif waiting_since and waited_until is None:
                waited_until = now
        time.sleep(0.05)
    out = job.result(timeout=600)
    if waiting_since:
        outcome.queue_s = (waited_until or time.perf_counter()) - waiting_since
    last = message_text(out[0][-1]["content"]) if out and out[0] else ""
    if last.startswith(("Could not", "The model is busy")):
        outcome.error = last[:200]
        return
    valid, count, abstained = check_page_citations(out[2], texts)
    outcome.ok, outcome.abstained, outcome.citations, outcome.citations_valid = True, abstained, count, valid
    outcome.latency_s = time.perf_counter() - started


def _record(outcome: Outcome, abstained: bool, citations: list[dict], texts: _Texts) -> None:
    outcome.ok, outcome.abstained, outcome.citations = True, bool(abstained), len(citations)
    outcome.citations_valid = check_citations(bool(abstained), citations, texts)


_ASK: dict[str, Callable] = {"api": _ask_api, "chat": _ask_chat, "page": _ask_page}


def run_load(url: str, texts: dict[str, str], clients: int, seconds: float, *, titles: dict[str, str] | None = None,
             kinds=KINDS, questions=QUESTIONS, timeout: float = 600.0) -> list[Outcome]:
    """`clients` threads asking `questions` in turn against the server at `url` for `seconds` (a request
    under way when time is up is finished and counted). `texts`: article id -> stored text; `titles`:
    article id -> title (for the page's cards)."""
    import httpx

    url = url.rstrip("/")
    stored = _Texts(dict(texts))
    for article_id, title in (titles or {}).items():
        stored.ids_by_title.setdefault(title, []).append(article_id)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    deadline = [0.0]

    def start_clock() -> None:  # run once every client is connected, before any is released
        deadline[0] = time.perf_counter() + seconds

    start_gate = threading.Barrier(clients + 1, action=start_clock)

    def client_loop(i: int) -> None:
        kind = kinds[i % len(kinds)]
        try:
            if kind == "page":
                from gradio_client import Client

                client = Client(url + "/", verbose=False)
            else:
                client = httpx.Client(timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - a client that cannot connect is an error, not a crash
            with lock:
                outcomes.append(Outcome(kind, "", error=f"connect: {type(exc).__name__}: {exc}"[:200]))
            start_gate.wait()
            return
        start_gate.wait()
        n = 0
        while time.perf_counter() < deadline[0]:
            question = questions[(i + n) % len(questions)]
            outcome = Outcome(kind, question)
            began = time.perf_counter()
            try:
                _ASK[kind](client, url, question, stored, outcome, n)
            except Exception as exc:  # noqa: BLE001 - every failure is a counted error, never a crash
                outcome.ok, outcome.error = False, f"{type(exc).__name__}: {exc}"[:200]
            if kind != "page" or not outcome.latency_s:
                outcome.latency_s = time.perf_counter() - began
            with lock:
                outcomes.append(outcome)
            n += 1
        if kind != "page":
            client.close()

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    for t in threads:
        t.join(seconds + timeout)
    return outcomes


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarise(outcomes: list[Outcome], seconds: float) -> dict:
    """Counts and percentiles for a list of outcomes (answered ones for latency and queue wait)."""
    answered = [o for o in outcomes if o.ok]
    latency = sorted(o.latency_s for o in answered)
    queue = sorted(o.queue_s for o in answered)
    return {"requests": len(outcomes), "answers": len(answered), "errors": len(outcomes) - len(answered),
            "abstained": sum(1 for o in answered if o.abstained),
            "answers_per_s": round(len(answered) / seconds, 2) if seconds else 0.0,
            "latency_p50_s": round(_percentile(latency, 50), 3), "latency_p95_s": round(_percentile(latency, 95), 3),
            "queue_p50_s": round(_percentile(queue, 50), 3), "queue_p95_s": round(_percentile(queue, 95), 3),
            "saw_queue_position": sum(1 for o in outcomes if o.saw_queue),
            "citations_valid": sum(1 for o in answered if o.citations_valid),
            "citations_invalid": sum(1 for o in answered if not o.citations_valid),
            "error_samples": sorted({o.error for o in outcomes if o.error})[:5]}


def print_table(phases: list[dict], out=sys.stdout) -> None:
    head = (f"{'phase':22} {'kind':5} {'answers':>7} {'abstain':>7} {'errors':>6} {'p50 s':>7} {'p95 s':>7} "
            f"{'queue p50':>9} {'queue p95':>9} {'cites ok':>9}")
    print(head, file=out)
    print("-" * len(head), file=out)
    for phase in phases:
        label = f"{phase['generator']} {phase['clients']}x{phase['seconds']:g}s"
        for kind, row in [("all", phase["summary"])] + sorted(phase["by_kind"].items()):
            print(f"{label:22} {kind:5} {row['answers']:7d} {row['abstained']:7d} {row['errors']:6d} "
                  f"{row['latency_p50_s']:7.2f} "
                  f"{row['latency_p95_s']:7.2f} {row['queue_p50_s']:9.2f} {row['queue_p95_s']:9.2f} "
                  f"{row['citations_valid']:4d}/{row['answers']:<4d}", file=out)
        for sample in phase["summary"]["error_samples"]:
            print(f"  error: {sample}", file=out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(generator: str, data_dir: Path, models_dir: Path, log) -> tuple[subprocess.Popen, str]:
    """`python -m ui` on a free loopback port; returns once it prints its ready line."""
    port = _free_port()
    env = dict(os.environ, CITEWIRE_MODEL_CACHE_DIR=str(models_dir), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "ui", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
                             str(data_dir), "--generator", generator], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                            text=True)
    for line in proc.stderr:
        print(f"  server: {line.rstrip()}", file=log)
        if line.startswith("ready in"):
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # keep draining
            return proc, f"http://127.0.0.1:{port}"
    raise RuntimeError(f"the server for {generator} exited ({proc.wait()}) before it was ready")


def _stored_texts(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Article id -> stored text and -> title, read from the article store (sqlite) beside the index."""
    from index.articles import ArticleStore, store_path

    store = ArticleStore(store_path(data_dir, None))
    try:
        articles = list(store.articles())
    finally:
        store.close()
    return {a.id: a.text for a in articles}, {a.id: a.title for a in articles}


def run_phase(spec: str, *, url: str | None = None, data_dir: Path | None = None, models_dir: Path, log=sys.stderr
              ) -> dict:
    """One `generator:clients:seconds` phase, against `url` or a server started for it."""
    generator, clients, seconds = spec.rsplit(":", 2)
    clients, seconds = int(clients), float(seconds)
    proc = None
    with tempfile.TemporaryDirectory(prefix="citewire-load-") as tmp:
        if url is None:
            data_dir = Path(tmp) / "data"
            print(f"starting the server ({generator}) ...", file=log, flush=True)
            proc, target = _start_server(generator, data_dir, models_dir, log)
        else:
            target = url
        try:
            texts, titles = _stored_texts(data_dir)
            print(f"{generator}: {clients} clients x {seconds:g} s against {target} ...", file=log, flush=True)
            began = time.perf_counter()
            outcomes = run_load(target, texts, clients, seconds, titles=titles)
            elapsed = time.perf_counter() - began
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    by_kind = {k: summarise([o for o in outcomes if o.kind == k], elapsed) for k in KINDS}
    return {"generator": generator, "clients": clients, "seconds": seconds, "elapsed_s": round(elapsed, 1),
            "summary": summarise(outcomes, elapsed), "by_kind": {k: v for k, v in by_kind.items() if v["requests"]},
            "outcomes": [asdict(o) for o in outcomes]}


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__.splitlines()[0])
    parser.add_argument("--phase", action="append", metavar="GENERATOR:CLIENTS:SECONDS",
                        help=f"repeatable (default {SMOKE[0]}; --full: {' then '.join(FULL)})")
    parser.add_argument("--full", action="store_true", help="the full run: " + ", then ".join(FULL))
    parser.add_argument("--url", help="load a running server instead of starting one per phase (needs --data-dir)")
    parser.add_argument("--data-dir", type=Path, help="the running server's data dir (to check citations)")
    parser.add_argument("--models-dir", type=Path, help="where the local GGUF is assembled (default: "
                        "$CITEWIRE_MODEL_CACHE_DIR or data/models)")
    parser.add_argument("--json", dest="json_path", type=Path, default=Path("eval_out/load.json"),
                        help="write the figures and every request here (default eval_out/load.json)")
    args = parser.parse_args(argv)
    if args.url and not args.data_dir:
        parser.error("--url needs --data-dir (the server's articles, to check citations against)")
    from assistant import Settings

    models_dir = (args.models_dir or Settings.from_env().models_dir).resolve()
    specs = args.phase or list(FULL if args.full else SMOKE)
    for spec in specs:
        if not re.fullmatch(r"[^:]+(:[^:]+)*:\d+:\d+(\.\d+)?", spec):
            parser.error(f"bad --phase {spec!r}: write GENERATOR:CLIENTS:SECONDS, e.g. extractive:20:60")
    phases = [run_phase(spec, url=args.url, data_dir=args.data_dir, models_dir=models_dir) for spec in specs]
    print_table(phases)
    args.json_path.parent.mkdir(parents=True, exist_ok=True)
    args.json_path.write_text(json.dumps({"phases": phases}, indent=2), encoding="utf-8")
    print(f"wrote {args.json_path}")
    bad = sum(p["summary"]["errors"] + p["summary"]["citations_invalid"] for p in phases)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
