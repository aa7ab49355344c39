"""`python -m eval`: run a gold dataset through Citewire (and optionally a llama-index baseline) and report.

Writes results.json, report.md, recall_at_k.png and latency.png to --out
(default eval_out/<dataset>-<timestamp>/) and prints the metrics table and the
failing questions. --set key=value overrides a setting, --grid key=v1,v2 runs
one configuration per combination; --baseline llamaindex adds the plain
llama-index pipeline; --check exits 1 when the first configuration misses a
bound in the thresholds file, so CI can gate on it. This is an entry point, so
it reads the environment (CITEWIRE_*). It does not tune anything: the scoring
rules live in eval/metrics.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import datetime
from pathlib import Path

__all__ = ["main", "build_parser"]

HERE = Path(__file__).resolve().parent
DEFAULT_DATASET = HERE / "gold" / "sample"
DEFAULT_THRESHOLDS = HERE / "thresholds.json"
DEFAULT_OUT_ROOT = Path("eval_out")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n\n")[0],
                                epilog="See eval/README.md for the dataset format and every metric.")
    p.add_argument("--dataset", default=str(DEFAULT_DATASET), help="dataset folder (default: eval/gold/sample)")
    p.add_argument("--generator", help="generator name (default: the settings' generator, 'local')")
    p.add_argument("--baseline", choices=("llamaindex",), help="also run a plain llama-index pipeline and compare")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override an assistant setting, e.g. top_k=10 (repeatable)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="run every combination of these values, one table row each (repeatable)")
    p.add_argument("--data-dir", help="index folder (default: a cache under <data dir>/eval-cache keyed by corpus)")
    p.add_argument("--limit", type=int, help="ask only the first N questions of each questions file")
    p.add_argument("--seed", type=int, default=0, help="seed for python's and numpy's random (default 0)")
    p.add_argument("--out", metavar="DIR", help="where results.json, report.md and the PNGs go "
                                                "(default: eval_out/<dataset>-<timestamp>)")
    p.add_argument("--json", metavar="OUT.json", help="also write results.json's content here")
    p.add_argument("--check", action="store_true", help="exit 1 when a threshold is not met")
    p.add_argument("--thresholds", default=str(DEFAULT_THRESHOLDS), help="default: eval/thresholds.json")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per question as it is scored")
    return p


def seed_everything(seed: int) -> None:
    """Seed python's and numpy's random; the bundled generators decode greedily, so runs repeat anyway."""
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:  # numpy comes with the embedder; without it there is nothing to seed
        pass


def _progress(total: int, desc: str, quiet: bool, verbose: bool):
    from tqdm import tqdm

    from .report import format_question

    bar = tqdm(total=total, desc=desc, unit="q", file=sys.stderr, disable=quiet, dynamic_ncols=True)

    def on_record(record: dict) -> None:
        if verbose:
            bar.write(format_question(record), file=sys.stdout)
        bar.update(1)

    return bar, on_record


def _configs(args, base):
    from .config import apply_overrides, config_label, expand_grid, parse_assignment, parse_grid

    overrides = dict(parse_assignment(a) for a in args.overrides)
    if args.generator:
        overrides.setdefault("generator", args.generator)
    base = apply_overrides(base, overrides)
    combos = expand_grid([parse_grid(g) for g in args.grid])
    return base, [(config_label({**overrides, **combo}), apply_overrides(base, combo)) for combo in combos]


def main(argv: list[str] | None = None) -> int:
    from assistant import offline_environment

    offline_environment()
    args = build_parser().parse_args(argv)
    seed_everything(args.seed)
    from assistant import Settings

    from .dataset import load_dataset, select_questions
    from .report import check_thresholds, format_failures, format_summary, load_thresholds
    from .run import index_settings, run_eval

    try:
        dataset = load_dataset(args.dataset)
        thresholds = load_thresholds(args.thresholds) if args.check else {}
        base, configs = _configs(args, Settings.from_env())
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started, clock = datetime.now(), time.perf_counter()
    total = len(select_questions(dataset.questions, args.limit))
    print(f"dataset {dataset.name}: {total} questions; {len(configs)} configuration(s)"
          + (f"; baseline {args.baseline}" if args.baseline else ""), flush=True)
    index_keys = {index_settings(s) for _, s in configs}
    runs = []
    for label, settings in configs:
        data_dir = args.data_dir
        if data_dir and len(index_keys) > 1:  # one index per chunking in a grid over index settings
            key = hashlib.sha256(index_settings(settings).encode()).hexdigest()[:12]
            data_dir = str(Path(data_dir) / f"index-{key}")
        bar, on_record = _progress(total, f"citewire {label}", args.quiet, args.verbose)
        with bar:
            runs.append(run_eval(dataset, data_dir=data_dir, settings=settings, limit=args.limit,
                                 on_record=on_record, label=label))
    baseline = None
    if args.baseline:
        from .baseline import run_baseline

        bar, on_record = _progress(total, "baseline llamaindex", args.quiet, args.verbose)
        with bar:
            baseline = run_baseline(dataset, settings=base, limit=args.limit, on_record=on_record,
                                    cache_dir=Path(args.data_dir) / "baseline" if args.data_dir else None)
    wall = round(time.perf_counter() - clock, 1)
    main_run = runs[0]
    print()
    print(format_summary(main_run.summary, f"== {dataset.name} / Citewire {main_run.label} / {main_run.generator} "
                                           f"(index: {main_run.data_dir}) =="))
    if baseline:
        print()
        print(format_summary(baseline.summary, f"== {dataset.name} / baseline llama-index / {baseline.generator} =="))
    print()
    print(format_failures(main_run.records))
    meta = {"command": "python -m eval " + " ".join(sys.argv[1:] if argv is None else argv),
            "started": started.isoformat(timespec="seconds"), "wall_seconds": wall, "seed": args.seed,
            "index": main_run.data_dir}
    from .write import results_dict, write_outputs

    out_dir = Path(args.out) if args.out else DEFAULT_OUT_ROOT / f"{dataset.name}-{started:%Y%m%d-%H%M%S}"
    paths = write_outputs(out_dir, dataset.name, runs, baseline, meta)
    if len(runs) > 1:
        from .markdown import render_markdown

        report = render_markdown(dataset.name, runs, baseline, meta)
        print("\n" + report[report.index("## Configurations"):report.index("## By question type")].strip())
    print(f"\nwrote {', '.join(str(p) for p in paths.values())} ({wall:.0f}s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results_dict(dataset.name, runs, baseline, meta), indent=2,
                                              ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")
    failures = check_thresholds(main_run.summary, thresholds)
    if args.check:
        print("\nthresholds: " + ("all met" if not failures else "NOT met\n  " + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
