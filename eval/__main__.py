"""`python -m eval`: run a gold dataset through the assistant and print the scores.

Prints the metrics table, one line per question and the failing questions;
--json also writes every per-question record and the summary; --check exits 1
when a metric misses its bound in the thresholds file, so CI can gate on it.
This is an entry point, so it reads the environment (CITEWIRE_*). It does not
tune anything: the scoring rules live in eval/metrics.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
DEFAULT_DATASET = HERE / "gold" / "sample"
DEFAULT_THRESHOLDS = HERE / "thresholds.json"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default=str(DEFAULT_DATASET), help="dataset folder (default: eval/gold/sample)")
    p.add_argument("--generator", choices=("local", "extractive"), default="local", help="default: local")
    p.add_argument("--data-dir", help="index folder (default: a cache under <data dir>/eval-cache keyed by corpus)")
    p.add_argument("--limit", type=int, help="ask only the first N questions")
    p.add_argument("--json", metavar="OUT.json", help="write per-question records and the summary here")
    p.add_argument("--check", action="store_true", help="exit 1 when a threshold is not met")
    p.add_argument("--thresholds", default=str(DEFAULT_THRESHOLDS), help="default: eval/thresholds.json")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-question lines")
    return p


def main(argv: list[str] | None = None) -> int:
    from assistant.cli import offline_environment

    offline_environment()
    args = build_parser().parse_args(argv)
    from assistant import Settings

    from .dataset import load_dataset
    from .report import check_thresholds, format_failures, format_question, format_summary, load_thresholds
    from .run import run_eval

    try:
        dataset = load_dataset(args.dataset)
        thresholds = load_thresholds(args.thresholds) if args.check else {}
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    show = None if args.quiet else (lambda r: print(format_question(r), flush=True))
    print(f"dataset {dataset.name}: {len(dataset.questions)} questions; generator {args.generator}", flush=True)
    result = run_eval(dataset, generator=args.generator, data_dir=args.data_dir, settings=Settings.from_env(),
                      limit=args.limit, on_record=show)
    print()
    print(format_summary(result.summary, f"== {dataset.name} / {args.generator} (index: {result.data_dir}) =="))
    print()
    print(format_failures(result.records))
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"\nwrote {args.json}")
    failures = check_thresholds(result.summary, thresholds)
    if args.check:
        print("\nthresholds: " + ("all met" if not failures else "NOT met\n  " + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
