"""`python -m eval.latency`: how long a reader waits, in the page and through the HTTP API.

Starts `python -m ui` (page and API on one loopback port) over a fresh data dir holding the bundled
sample, for each generator asked for, then for each of three questions:
- the page in headless Chromium (Playwright, Debian's `chromium`): from pressing Enter to the first
  text the chat shows for it (a progress note) and to the verified answer (its "Sources" line);
- `POST /v1/chat/completions` streamed (time to the first content token, to the final chunk) and not
  streamed (total), with the openai client's wire format over httpx.
Each figure is the median of `--repeat` runs (the first run of each question warms caches and is
dropped). Writes the table and JSON; `--screenshot PATH` saves the page after the first question.

    python -m eval.latency                               # extractive and local, 3 runs each
    python -m eval.latency --generator extractive --screenshot docs/chat-page.png

It measures time only; eval/run.py judges answers and eval/load.py many users at once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant import offline_environment

__all__ = ["QUESTIONS", "page_times", "api_times", "main"]

QUESTIONS = ("who proposed the summit", "How many Russian troops are massed near Ukraine?",
             "What is the name of Ukraine's president?")
CHROMIUM = os.environ.get("CITEWIRE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# Timestamps (performance.now()) of every change of the chat's last message, so the first visible text is
# known to the millisecond, not to the polling interval.
_WATCH = """
window.__marks = [];
new MutationObserver(() => {
  const bots = document.querySelectorAll('#cw-chat .bot');
  const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
  const prev = window.__marks.length ? window.__marks[window.__marks.length - 1] : null;
  if (!prev || prev.text !== last || prev.bots !== bots.length)
    window.__marks.push({t: performance.now(), text: last, bots: bots.length});
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def page_times(url: str, questions=QUESTIONS, repeat: int = 3, screenshot: Path | None = None) -> dict:
    """question -> {"first_text_s": [...], "answer_s": [...]} from the page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(180_000)
            page.add_init_script(_WATCH)
            for run in range(repeat + 1):
                page.goto(url + "/", wait_until="load")
                page.wait_for_selector("#cw-question textarea")
                for n, question in enumerate(questions):
                    page.evaluate("window.__marks = []")
                    box = page.locator("#cw-question textarea")
                    box.fill(question)
                    began = page.evaluate("performance.now()")
                    box.press("Enter")
                    page.wait_for_function(
                        """n => { const t = document.querySelector('#cw-chat').innerText;
                                  return (t.match(/Sources|do not say|Could not/g) || []).length > n
                                         && !/Searching the archive|Drafting an answer|Waiting for/.test(t); }""",
                        arg=n)
                    marks = page.evaluate("window.__marks")
                    shown = [m for m in marks if m["bots"] == n + 1 and m["text"]]
                    done = [m for m in shown if ("Sources" in m["text"] or "do not say" in m["text"])]
                    if run == 0:
                        if screenshot is not None and n == 0:
                            screenshot.parent.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(screenshot), full_page=True)
                        continue  # the warm-up run
                    row = out.setdefault(question, {"first_text_s": [], "answer_s": []})
                    row["first_text_s"].append((shown[0]["t"] - began) / 1000 if shown else float("nan"))
                    row["answer_s"].append((done[0]["t"] - began) / 1000 if done else float("nan"))
        finally:
            browser.close()
    return out


def api_times(url: str, questions=QUESTIONS, repeat: int = 3) -> dict:
    """question -> {"stream_first_token_s", "stream_total_s", "plain_total_s": [...]} over HTTP."""
    import httpx

    out: dict[str, dict[str, list[float]]] = {}
    with httpx.Client(timeout=600) as client:
        for run in range(repeat + 1):
            # All streamed, then all plain: never the same question twice in a row, which llama.cpp would
            # answer from its cached prompt.
            for question in questions:
                body = {"model": "citewire", "messages": [{"role": "user", "content": question}], "stream": True}
                began = time.perf_counter()
                first = None
                with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
                    r.raise_for_status()
                    for line in r.iter_lines():
                        if first is None and line.startswith("data: {"):
                            delta = json.loads(line[6:])["choices"][0]["delta"]
                            if delta.get("content"):
                                first = time.perf_counter() - began
                total = time.perf_counter() - began
                if run:
                    row = out.setdefault(question, {"stream_first_token_s": [], "stream_total_s": [],
                                                    "plain_total_s": []})
                    row["stream_first_token_s"].append(first if first is not None else float("nan"))
                    row["stream_total_s"].append(total)
            for question in questions:
                body = {"model": "citewire", "messages": [{"role": "user", "content": question}]}
                began = time.perf_counter()
                client.post(url + "/v1/chat/completions", json=body).raise_for_status()
                if run:
                    out[question]["plain_total_s"].append(time.perf_counter() - began)
    return out


def _medians(rows: dict) -> dict:
    return {q: {k: round(statistics.median(v), 3) for k, v in row.items()} for q, row in rows.items()}


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m eval.latency", description=__doc__.splitlines()[0])
    parser.add_argument("--generator", action="append", help="repeatable (default: extractive, then local)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per question (after one warm-up)")
    parser.add_argument("--screenshot", type=Path, help="save the page after the first question here (PNG)")
    parser.add_argument("--no-page", action="store_true", help="skip the browser (no chromium here)")
    parser.add_argument("--json", dest="json_path", type=Path, default=Path("eval_out/latency.json"))
    args = parser.parse_args(argv)
    from assistant import Settings

    from .load import _start_server

    models_dir = Settings.from_env().models_dir.resolve()
    results = {}
    for generator in args.generator or ["extractive", "local"]:
        with tempfile.TemporaryDirectory(prefix="citewire-latency-") as tmp:
            print(f"starting the server ({generator}) ...", file=sys.stderr, flush=True)
            proc, url = _start_server(generator, Path(tmp) / "data", models_dir, sys.stderr)
            try:
                results[generator] = {
                    "page": {} if args.no_page else _medians(page_times(url, repeat=args.repeat,
                                                                         screenshot=args.screenshot)),
                    "api": _medians(api_times(url, repeat=args.repeat))}
            finally:
                proc.terminate()
                proc.wait(30)
            args.screenshot = None  # one screenshot, from the first generator
    head = f"{'generator':10} {'question':48} {'page text':>9} {'page ans':>8} {'1st tok':>7} {'stream':>7} {'plain':>7}"
    print(head)
    print("-" * len(head))
    for generator, result in results.items():
        for q in QUESTIONS:
            p, a = result["page"].get(q, {}), result["api"][q]
            print(f"{generator:10} {q[:48]:48} {p.get('first_text_s', float('nan')):9.2f} "
                  f"{p.get('answer_s', float('nan')):8.2f} {a['stream_first_token_s']:7.2f} "
                  f"{a['stream_total_s']:7.2f} {a['plain_total_s']:7.2f}")
    args.json_path.parent.mkdir(parents=True, exist_ok=True)
    args.json_path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.json_path} (seconds, medians of {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
