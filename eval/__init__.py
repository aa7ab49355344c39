"""Citewire's eval harness: score the assistant on a gold question set.

    python -m eval --generator extractive          # the sample gold set, eval/gold/sample

`dataset` reads a gold set, `metrics` holds the scoring rules, `run` asks the
questions through the public `assistant` API, `report` formats the outcome and
checks thresholds. It measures; it never tunes or changes the assistant.
Importing this package is cheap: nothing loads a model until a run starts.
"""

from .dataset import Dataset, Question, load_dataset
from .run import EvalResult, run_eval

__all__ = ["Dataset", "EvalResult", "Question", "load_dataset", "run_eval"]
