"""Fit the answer ranker on a training set: `python -m eval.fit [--dataset DIR]`.

Rebuilds assistant/models/ranker.json, deterministically, from a training set
only (default ../shared/eval/realtimeqa-train; never the dev set or the gold
set, which are for measuring):

1. subsample it (seeded): N questions, their evidence articles and D articles
   of the same week each (distractors), plus the unanswerable questions;
2. ingest that corpus through the public API (cached under data/fit/<hash>);
   and write S article-written questions (`synthesize`, seeded) from that
   corpus: the set's quiz questions reword their evidence, while readers ask
   about a sentence in an article's own words, often deep in the article;
3. for each question, retrieve as the assistant would (`as_of` = question
   date) and compute every retrieved sentence's ranker features; a sentence is
   a positive when it contains a gold answer (silver labels);
4. fit a standardised logistic regression (scikit-learn) with K-fold
   cross-validation grouped by question, and report per-fold and mean figures;
5. fit the abstention threshold on the out-of-fold scores: the highest one
   whose false abstention on the set's answerable questions stays within
   `--false-abstention` (default 0.06); then the margin within which a
   runner-up sentence is cited too (the one that most raises answers
   containing the gold answer over confidently wrong ones), and the untyped
   bar, the probability a sentence holding no phrase of the asked kind must
   reach (chosen the same way); the policy applies ranker.gated's rules as
   the assistant does (`--reuse` skips step 3 when only the fit changed);
   last the relevance gate's bar: the highest whose false abstention, with
   all of the above, stays within `--gate-false-abstention` (default 0.08,
   issue 10's target), for as many unanswerable questions declined as that
   allows;
6. write the model with what it was fitted on and its CV figures.

It prints a table; `--json FILE` also writes the figures. scikit-learn is used
here only; at run time the model is a few numbers in JSON.

`--retrieval` instead measures retrieval settings on the same subsample (no
model is written): the article-level hit@1 / hit@5 of each candidate
`time_boost` (how much an in-window or recent passage is preferred), split into
questions whose evidence article is at most 14 days older than the question
(a quiz about this week's news) and those whose evidence is older. The default
in assistant/settings.py is the best overall that loses nothing on the recent
ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from assistant import offline_environment

UNTYPED_BARS = (None, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 1.01)  # None: the plain threshold
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)  # candidate citation margins (probability units)
# Candidate bars of the relevance gate (relevance.py's best score must reach it too), fitted out of fold.
GATE_BARS = (None,) + tuple(round(0.36 + 0.01 * i, 2) for i in range(25))
DEFAULT_DATASET = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "realtimeqa-train"

__all__ = ["main", "subsample", "synthesize", "collect", "fit", "retrieval_grid"]
TIME_BOOSTS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # candidates for Settings.time_boost (--retrieval)

# The wh-phrase that asks for an entity of each spaCy label (labels not listed are not asked about).
WH = {"PERSON": "Who", "ORG": "Which organisation", "GPE": "Where", "DATE": "When", "CARDINAL": "How many",
      "MONEY": "How much", "PERCENT": "What percentage"}
SYNTH_CONTEXT = 10  # content words of the sentence nearest the entity that make the question
SYNTH_DROP = 0.25  # share of the other content words dropped, as a reworded question would lose them


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()] if path.exists() else []


def subsample(src: Path, out: Path, questions: int, distractors: int, seed: int) -> Path:
    """N questions (seeded), their evidence articles, D same-week articles each, and the unanswerable ones."""
    corpus = {d["id"]: d for d in _rows(src / "corpus.jsonl")}
    qs = _rows(src / "questions.jsonl")
    rng = random.Random(seed)
    picked = sorted(rng.sample(qs, min(questions, len(qs))), key=lambda q: q["id"])

    def week(d):
        return date.fromisoformat(d[:10]).isocalendar()[:2] if d else None

    by_week = defaultdict(list)
    for d in corpus.values():
        by_week[week(d.get("published_at"))].append(d["id"])
    keep: set[str] = set()
    for q in picked:
        keep.update(e for e in q["evidence_ids"] if e in corpus)
        pool = [i for i in by_week.get(week(q.get("question_date")), []) if i not in keep]
        keep.update(rng.sample(pool, min(distractors, len(pool))))
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", [corpus[i] for i in sorted(keep)]), ("questions.jsonl", picked),
                       ("questions_null_derived.jsonl", _rows(src / "questions_null_derived.jsonl"))):
        with (out / name).open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return out


def synthesize(corpus: list[dict], tagger, n: int, seed: int) -> list[dict]:
    """`n` article-written questions over `corpus` (seeded; training data only).

    For each of n articles, one sentence anywhere in its body (10-45 words) holding a named or numeric
    entity of a label in WH: the question is the entity's wh-phrase followed by the SYNTH_CONTEXT content
    words of the sentence nearest the entity, in order, with SYNTH_DROP of them dropped at random (at
    least 4 kept); the answer is the entity. So the answer sentence states most of the question but not
    all, and it is the lede only as often as ledes are picked."""
    from assistant.lexical import STOPWORDS
    from index.sentences import split_sentences

    rng = random.Random(seed)
    articles = [d for d in corpus if len(d.get("text") or "") > 400]
    out: list[dict] = []
    for d in rng.sample(articles, len(articles)):
        if len(out) >= n:
            break
        text = d["text"]
        spans = [(a, b) for a, b in split_sentences(text) if 10 <= len(text[a:b].split()) <= 45]
        rng.shuffle(spans)
        for a, b in spans[:4]:
            sentence = text[a:b]
            # Named or numeric ones: "years" or "many" would be no answer.
            ents = [e for e in tagger.entities([sentence])[0]
                    if e.label in WH and any(c.isupper() or c.isdigit() for c in e.text)]
            if not ents:
                continue
            e = rng.choice(ents)
            words = [(m.start(), m.group()) for m in re.finditer(r"[\w'’.,$%-]+", sentence)]
            inside = [i for i, (o, _) in enumerate(words) if e.start <= o < e.end]
            if not inside:
                continue
            others = [i for i, (_, w) in enumerate(words)
                      if i not in inside and w.strip(".,").lower() not in STOPWORDS and any(c.isalnum() for c in w)]
            near = sorted(others, key=lambda i: min(abs(i - inside[0]), abs(i - inside[-1])))[:SYNTH_CONTEXT]
            kept = [words[i][1].strip(".,") for i in sorted(near) if rng.random() >= SYNTH_DROP]
            if len(kept) < 4:
                continue
            out.append({"id": f"synth-{len(out):04d}", "question": f"{WH[e.label]} {' '.join(kept)}?",
                        "answers": [e.text], "question_date": (d.get("published_at") or "")[:10] or None,
                        "evidence_ids": [d["id"]], "synthetic": True})
            break
    return out


def collect(assistant, ranker, questions) -> list[dict]:
    """Per question: its features rows, labels and whether it is answerable."""
    from .metrics import contains_answer

    out = []
    for i, q in enumerate(questions):
        passages = assistant.retrieve(q["question"], as_of=q.get("question_date"))
        scored, rows, spans = ranker.features(q["question"], passages)
        answers = q.get("answers") or []
        labels = [bool(answers) and contains_answer(ev.text, answers) for ev in scored.evidence]
        out.append({"id": q["id"], "answerable": bool(answers), "rows": rows, "labels": labels,
                    "relevance": scored.best_new_relevance(),
                    "synthetic": bool(q.get("synthetic")),
                    "spans": [[s.text for s in sp] for sp in spans], "answers": answers})
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(questions)} questions", file=sys.stderr, flush=True)
    return out


def _fit_lr(X, y, c: float):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((X - mean) / scale, np.asarray(y, dtype=int))
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def _probs(mean, scale, w, b, rows):
    import numpy as np

    if not rows:
        return []
    z = ((np.asarray(rows, dtype=float) - mean) / scale) @ w + b
    return list(1 / (1 + np.exp(-z)))


def _gate(data, probs_of, threshold: float, untyped: float | None) -> dict[str, list[float]]:
    """The probabilities the assistant acts on (ranker.gated): 0 for a sentence missing an asked relation,
    and for one without a phrase of the asked kind that stays under the untyped bar."""
    from assistant.ranker import RELATION, untyped_answer

    bar = threshold if untyped is None else untyped
    return {d["id"]: [0.0 if not x[RELATION] or (untyped_answer(x) and p < bar) else p
                      for x, p in zip(d["rows"], probs_of[d["id"]])] for d in data}


def _question_outcomes(data, probs_of, threshold: float, margin: float = 0.0, untyped: float | None = None,
                       relevance_bar: float | None = None) -> dict:
    """Extractive policy (the best sentence if it reaches the threshold, with the runner-up when it scores
    within `margin` and reaches the threshold too; ranker.gated's rules first): rates over the questions.
    With `relevance_bar`, the relevance gate too: a question whose best relevance stays under it abstains."""
    probs_of = _gate(data, probs_of, threshold, untyped)
    if relevance_bar is not None:
        probs_of = {d["id"]: ([0.0] * len(probs_of[d["id"]]) if d.get("relevance", 1.0) < relevance_bar
                              else probs_of[d["id"]]) for d in data}
    answerable = [d for d in data if d["answerable"]]
    unanswerable = [d for d in data if not d["answerable"]]
    right = wrong = abstained = 0
    for d in answerable:
        p = probs_of[d["id"]]
        if not p or max(p) < threshold:
            abstained += 1
            continue
        order = sorted(range(len(p)), key=lambda i: -p[i])
        picked = order[:1] + [i for i in order[1:2] if p[i] >= threshold and p[i] >= p[order[0]] - margin]
        if any(d["labels"][i] for i in picked):
            right += 1
        else:
            wrong += 1
    declined = sum(1 for d in unanswerable if not probs_of[d["id"]] or max(probs_of[d["id"]]) < threshold)
    n = max(1, len(answerable))
    reachable = [d for d in answerable if any(d["labels"])]
    top1 = sum(1 for d in reachable if d["labels"][max(range(len(d["labels"])), key=lambda i: probs_of[d["id"]][i])])
    return {"answer_contains": right / n, "confidently_wrong": wrong / n, "false_abstention": abstained / n,
            "unanswerable_abstained": declined / max(1, len(unanswerable)),
            "top1_sentence_when_reachable": top1 / max(1, len(reachable)), "reachable": len(reachable) / n}


def fit(data, folds: int, c: float, max_false_abstention: float, seed: int,
        gate_false_abstention: float = 0.08) -> dict:
    """Cross-validated fit; returns the final model (all data), the threshold and the CV figures."""
    ids = [d["id"] for d in data]
    rng = random.Random(seed)
    order = ids[:]
    rng.shuffle(order)
    fold_of = {qid: i % folds for i, qid in enumerate(order)}
    oof: dict[str, list[float]] = {}
    for k in range(folds):
        train = [d for d in data if fold_of[d["id"]] != k]
        X = [x for d in train for x in d["rows"]]
        y = [lab for d in train for lab in d["labels"]]
        mean, scale, w, b = _fit_lr(X, y, c)
        for d in data:
            if fold_of[d["id"]] == k:
                oof[d["id"]] = _probs(mean, scale, w, b, d["rows"])
    real = [d for d in data if not d.get("synthetic")]
    synthetic = [d for d in data if d.get("synthetic")]
    # Threshold: the highest candidate whose out-of-fold false abstention on the dataset's own questions
    # stays within the bound (article-written ones are easier, and would let it rise).
    best_p = sorted(max(oof[d["id"]]) if oof[d["id"]] else 0.0 for d in real if d["answerable"])
    threshold = 0.0
    for t in sorted({round(p, 4) for p in best_p}):
        if _question_outcomes(real, oof, t)["false_abstention"] <= max_false_abstention:
            threshold = t
    # Margin: how far below the best a second cited sentence may score; the one that most raises answers
    # containing the gold answer over confidently wrong ones, out of fold.
    def gain(m):
        o = _question_outcomes(data, oof, threshold, m)
        return o["answer_contains"] - o["confidently_wrong"]

    margin = max(MARGINS, key=lambda m: (round(gain(m), 4), -m))
    # Untyped bar: how sure the model must be of a sentence that lacks a phrase of the asked kind (a question
    # asking "who" answered by a sentence naming nobody), the one that most raises answers containing the
    # gold answer over confidently wrong ones on the set's own questions, out of fold; ties to the lower bar.
    untyped_table = {u: _question_outcomes(real, oof, threshold, margin, u) for u in UNTYPED_BARS}
    untyped = max(UNTYPED_BARS, key=lambda u: (round(untyped_table[u]["answer_contains"]
                                                      - untyped_table[u]["confidently_wrong"], 4),
                                               -(threshold if u is None else u)))
    cv = _question_outcomes(real, oof, threshold, margin, untyped)
    cv_synthetic = _question_outcomes(synthetic, oof, threshold, margin, untyped) if synthetic else {}
    # The relevance gate's bar: the highest whose out-of-fold false abstention on the set's own questions
    # stays within its bound (None, no gate, when even the lowest candidate passes it).
    gate_table = {str(g): _question_outcomes(real, oof, threshold, margin, untyped, g) for g in GATE_BARS}
    gate = max((g for g in GATE_BARS if g is not None
                and gate_table[str(g)]["false_abstention"] <= gate_false_abstention + 1e-9), default=None)
    cv_gated = _question_outcomes(real, oof, threshold, margin, untyped, gate)
    X = [x for d in data for x in d["rows"]]
    y = [lab for d in data for lab in d["labels"]]
    mean, scale, w, b = _fit_lr(X, y, c)
    # Rounded: the solver's last digits wobble between runs of the same fit (threaded BLAS); the file should not.
    return {"mean": [round(float(v), 10) for v in mean], "scale": [round(float(v), 10) for v in scale],
            "weights": [round(float(v), 10) for v in w], "bias": round(b, 10), "threshold": threshold,
            "margin": margin, "untyped_threshold": untyped,
            "untyped_table": {str(u): o for u, o in untyped_table.items()}, "cv": cv, "cv_synthetic": cv_synthetic,
            "cv_gated": cv_gated, "relevance_bar": gate, "gate_table": gate_table,
            "sentences": len(y), "positives": int(sum(y))}


def retrieval_grid(assistant, questions: list[dict], published: dict[str, str], recent_days: int = 14) -> list[dict]:
    """Article hit@1 / hit@5 per TIME_BOOSTS value, on the questions with recent evidence and the rest."""
    from assistant import Assistant
    from assistant.factory import make_retriever

    def recent(q) -> bool:
        asked = date.fromisoformat(q["question_date"])
        return any(published.get(e) and 0 <= (asked - date.fromisoformat(published[e])).days <= recent_days
                   for e in q.get("evidence_ids") or [])

    groups = {"recent": [q for q in questions if q.get("evidence_ids") and recent(q)],
              "older": [q for q in questions if q.get("evidence_ids") and not recent(q)]}
    rows = []
    for boost in TIME_BOOSTS:
        settings = assistant.settings.replace(time_boost=boost)
        variant = Assistant(assistant.library, make_retriever(assistant.library, settings), assistant.generator,
                            settings, scorer=assistant.scorer)
        row = {"time_boost": boost}
        for name, group in groups.items():
            hit1 = hit5 = 0
            for q in group:
                ids = [p.article_id for p in variant.retrieve(q["question"], as_of=q["question_date"])]
                gold = set(q["evidence_ids"])
                hit1 += bool(ids[:1] and ids[0] in gold)
                hit5 += bool(gold & set(ids[:5]))
            row[name] = {"questions": len(group), "hit@1": round(hit1 / max(1, len(group)), 3),
                         "hit@5": round(hit5 / max(1, len(group)), 3)}
        rows.append(row)
    return rows


def _grid_report(assistant, folder: Path, title: str, json_path: Path | None, **extra) -> int:
    """--retrieval: the time_boost grid for `folder`'s questions over its corpus, printed (and written to
    `json_path` with `extra`)."""
    published = {d["id"]: (d.get("published_at") or "")[:10] for d in _rows(folder / "corpus.jsonl")}
    rows = retrieval_grid(assistant, _rows(folder / "questions.jsonl"), published)
    print(f"article hit@1 / hit@5 on {title}, by time_boost:")
    for row in rows:
        print(f"  {row['time_boost']:4.2f}  " + "  ".join(
            f"{g} ({row[g]['questions']}): {row[g]['hit@1']:.3f} / {row[g]['hit@5']:.3f}" for g in ("recent", "older")))
    if json_path:
        json_path.write_text(json.dumps({"retrieval": rows, **extra}, indent=1), encoding="utf-8")
    return 0


def _archive_grid(args, name: str) -> int:
    """--retrieval --archive: the time_boost grid over the whole training corpus, every question."""
    from assistant import build_assistant

    if not (args.archive / "chroma").exists():
        raise SystemExit(f"{args.archive}: no index there; build one with python -m eval.bench scale --articles 0")
    questions = len(_rows(args.dataset / "questions.jsonl"))
    assistant = build_assistant(data_dir=args.archive, generator="extractive", answer_ranker=False)
    assistant.library.store.checkpoint()
    return _grid_report(assistant, args.dataset, f"{name}'s whole corpus ({args.archive}, {questions} questions)",
                        args.json, archive=str(args.archive))


def _print_outcomes(table: dict[str, dict]) -> None:
    """One line per candidate bar: contains / confidently wrong / false abstention / unanswerable abstained."""
    for bar, o in table.items():
        print(f"  {bar:5s} {o['answer_contains']:.3f} / {o['confidently_wrong']:.3f} / {o['false_abstention']:.3f} / "
              f"{o['unanswerable_abstained']:.3f}")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    p = argparse.ArgumentParser(prog="python -m eval.fit", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="a training set (never dev or gold)")
    p.add_argument("--questions", type=int, default=300)
    p.add_argument("--distractors", type=int, default=2)
    p.add_argument("--synthetic", type=int, default=300, help="article-written questions to add (see synthesize)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    p.add_argument("--false-abstention", type=float, default=0.06, help="bound for the abstention threshold")
    p.add_argument("--gate-false-abstention", type=float, default=0.08,
                   help="bound for the relevance gate's bar (false abstention with the threshold too)")
    p.add_argument("--data-dir", type=Path, default=Path("data") / "fit")
    p.add_argument("--out", type=Path, help="model file (default: assistant/models/ranker.json)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--retrieval", action="store_true",
                   help="measure the time_boost candidates on the subsample instead of fitting the ranker")
    p.add_argument("--archive", type=Path,
                   help="with --retrieval: a data dir indexing the training set's whole corpus (e.g. built by "
                        "`python -m eval.bench scale --articles 0`), searched with all its questions")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the features collected by the last run (only when the feature code is unchanged)")
    args = p.parse_args(argv)
    name = args.dataset.resolve().name
    if "dev" in name or "gold" in name or "sample" in name:
        p.error(f"{args.dataset} looks like a measuring set; fit on a training set only")

    from assistant import build_assistant
    from assistant.factory import make_ranker
    from assistant.ranker import DEFAULT_MODEL_PATH, FEATURES

    started = time.perf_counter()
    if args.retrieval and args.archive:
        return _archive_grid(args, name)
    key = hashlib.sha256(f"{args.dataset.resolve()}|{args.questions}|{args.distractors}|{args.seed}".encode())
    work = args.data_dir / f"{name}-{key.hexdigest()[:12]}"
    subset = subsample(args.dataset, work / "subset", args.questions, args.distractors, args.seed)
    assistant = build_assistant(data_dir=work / "index", generator="extractive", answer_ranker=False)
    report = assistant.ingest([str(subset / "corpus.jsonl")])
    print(f"index: {report.summary()}", file=sys.stderr)
    assistant.library.store.checkpoint()  # every fit searches the same vector graph: the same rows, the same model
    if args.retrieval:
        return _grid_report(assistant, subset, f"{name} ({args.questions} questions)", args.json)
    ranker = make_ranker(assistant.scorer, assistant.settings, model=None)
    synthetic = synthesize(_rows(subset / "corpus.jsonl"), ranker.tagger, args.synthetic, args.seed)
    with (work / "synthetic.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in synthetic)
    questions = _rows(subset / "questions.jsonl") + _rows(subset / "questions_null_derived.jsonl") + synthetic
    collected = work / "collected.json"
    if args.reuse and collected.exists():
        data = json.loads(collected.read_text(encoding="utf-8"))
        if any(len(x) != len(FEATURES) for d in data for x in d["rows"]):
            p.error(f"{collected} was collected for other features than {list(FEATURES)}; rerun without --reuse")
        print(f"reusing {collected} (features as computed then)", file=sys.stderr)
    else:
        data = collect(assistant, ranker, questions)
        collected.write_text(json.dumps(data), encoding="utf-8")
    fitted = fit(data, args.folds, args.c, args.false_abstention, args.seed, args.gate_false_abstention)
    info = {"dataset": name, "questions": args.questions, "distractors": args.distractors, "seed": args.seed,
            "synthetic_questions": len(synthetic), "cv_synthetic": fitted["cv_synthetic"],
            "folds": args.folds, "c": args.c, "false_abstention_bound": args.false_abstention,
            "gate_false_abstention_bound": args.gate_false_abstention,
            "sentences": fitted["sentences"], "positives": fitted["positives"], "cv": fitted["cv"],
            "cv_gated": fitted["cv_gated"], "relevance_bar": fitted["relevance_bar"],
            "gate_table": {g: {k: round(v, 4) for k, v in o.items()} for g, o in fitted["gate_table"].items()},
            "fitted_with": "python -m eval.fit"}
    model = {"features": list(FEATURES), "mean": fitted["mean"], "scale": fitted["scale"],
             "weights": fitted["weights"], "bias": fitted["bias"], "threshold": fitted["threshold"],
             "margin": fitted["margin"], "untyped_threshold": fitted["untyped_threshold"],
             "relevance_bar": fitted["relevance_bar"], "info": info}
    out = args.out or DEFAULT_MODEL_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"\nfitted on {name}: {len(questions)} questions, {fitted['sentences']} sentences "
          f"({fitted['positives']} positive), {time.perf_counter() - started:.0f}s")
    print(f"threshold {fitted['threshold']:.4f}, margin {fitted['margin']:.4f}, "
          f"untyped bar {fitted['untyped_threshold']}, relevance gate bar {fitted['relevance_bar']}")
    print("untyped bar (out of fold, the set's questions): contains / confidently wrong / false abstention / "
          "unanswerable abstained")
    _print_outcomes(fitted["untyped_table"])
    print("relevance gate bar (out of fold, the set's questions): contains / confidently wrong / false abstention / "
          "unanswerable abstained")
    _print_outcomes(fitted["gate_table"])
    print(f"cross-validated (extractive policy): {name} questions | article-written ({len(synthetic)}) | "
          f"{name} questions behind the relevance gate ({fitted['relevance_bar']})")
    for k, v in fitted["cv"].items():
        print(f"  {k:32s} {v:.3f} | {fitted['cv_synthetic'].get(k, float('nan')):.3f} | "
              f"{fitted['cv_gated'].get(k, float('nan')):.3f}")
    print("weights (standardised features):")
    for f, w in sorted(zip(FEATURES, fitted["weights"]), key=lambda fw: -abs(fw[1])):
        print(f"  {f:18s} {w:+.3f}")
    print(f"wrote {out}")
    if args.json:
        args.json.write_text(json.dumps({"model": model}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
