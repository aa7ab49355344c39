"""Load an eval dataset folder: the corpus to ingest and the gold questions.

A dataset folder holds `corpus.jsonl` (article records the assistant can
ingest) and one or more `questions*.jsonl` files; an optional `dataset.json`
may name other corpus paths (relative to the folder) and a description. See
eval/README.md for the format. This module only reads and validates files: it
does not ingest, ask or score anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

__all__ = ["Question", "Dataset", "load_dataset", "select_questions", "UNANSWERABLE_TYPES"]

# Types that mark a question no article answers ("null" is RealTime QA's name for it).
UNANSWERABLE_TYPES = ("unanswerable", "null")
_FIELDS = ("id", "question", "answers", "evidence_ids", "evidence", "type", "question_date", "turns")
_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class Question:
    """One gold question. `answers`: any one counts; `evidence`: substrings of a supporting sentence."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    type: str = "single-hop"
    question_date: str | None = None  # ISO date the question is asked on ("this week" is relative to it)
    turns: tuple[tuple[str, str], ...] = ()  # earlier (role, text) messages of a multi-turn conversation
    file: str = ""  # the questions*.jsonl file it came from
    extra: dict = field(default_factory=dict)  # any other fields of the record, kept as given

    @property
    def answerable(self) -> bool:
        return self.type not in UNANSWERABLE_TYPES


@dataclass(frozen=True)
class Dataset:
    name: str
    root: Path
    corpus: tuple[Path, ...]  # files or folders to hand to Assistant.ingest
    questions: tuple[Question, ...]
    description: str = ""


def _strings(value, where: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(value)


def _date(value, where: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise ValueError(f"{where}: 'question_date' must be an ISO date (YYYY-MM-DD)") from None


def _turns(value, where: str) -> tuple[tuple[str, str], ...]:
    """Earlier messages: a string is a user question; {"role", "content"} or [role, text] as given."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{where}: 'turns' must be a list")
    out = []
    for item in value:
        if isinstance(item, str):
            role, text = "user", item
        elif isinstance(item, dict):
            role, text = item.get("role"), item.get("content")
        elif isinstance(item, list) and len(item) == 2:
            role, text = item
        else:
            role, text = None, None
        if role not in _ROLES or not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: each turn is a string, {{\"role\", \"content\"}} or [role, text] "
                             f"with role user/assistant and non-empty text")
        out.append((role, text))
    return tuple(out)


def _question(record: dict, where: str, file: str = "") -> Question:
    if not isinstance(record, dict):
        raise ValueError(f"{where}: not a JSON object")
    qid, text = record.get("id"), record.get("question")
    if not isinstance(qid, str) or not qid or not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: 'id' and 'question' must be non-empty strings")
    qtype = record.get("type", "single-hop")
    if not isinstance(qtype, str) or not qtype:
        raise ValueError(f"{where}: 'type' must be a non-empty string")
    q = Question(
        id=qid,
        question=text,
        answers=_strings(record.get("answers", []), where, "answers"),
        evidence_ids=_strings(record.get("evidence_ids", []), where, "evidence_ids"),
        evidence=_strings(record.get("evidence", []), where, "evidence"),
        type=qtype,
        question_date=_date(record.get("question_date"), where),
        turns=_turns(record.get("turns"), where),
        file=file,
        extra={k: v for k, v in record.items() if k not in _FIELDS},
    )
    if q.answerable and not (q.answers and q.evidence_ids):
        raise ValueError(f"{where}: an answerable question needs 'answers' and 'evidence_ids'")
    if not q.answerable and (q.answers or q.evidence_ids or q.evidence):
        raise ValueError(f"{where}: an unanswerable question must have no answers or evidence")
    return q


def _read_questions(path: Path) -> list[Question]:
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: malformed JSON ({exc.msg})") from None
            out.append(_question(record, where, path.name))
    return out


def load_dataset(folder: str | Path) -> Dataset:
    """Read the dataset in `folder`; raise ValueError naming the file and line of any problem."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: not a dataset folder")
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8")) if (root / "dataset.json").exists() else {}
    corpus_names = meta.get("corpus") or ["corpus.jsonl"]
    corpus = tuple(root / name for name in ([corpus_names] if isinstance(corpus_names, str) else corpus_names))
    missing = [str(p) for p in corpus if not p.exists()]
    if missing:
        raise ValueError(f"{root}: corpus not found: {', '.join(missing)}")
    files = sorted(root.glob("questions*.jsonl"))
    if not files:
        raise ValueError(f"{root}: no questions*.jsonl file")
    questions = [q for path in files for q in _read_questions(path)]
    dupes = sorted({q.id for q in questions if sum(x.id == q.id for x in questions) > 1})
    if dupes:
        raise ValueError(f"{root}: duplicate question ids: {', '.join(dupes)}")
    return Dataset(meta.get("name") or root.name, root, corpus, tuple(questions), meta.get("description", ""))


def select_questions(questions, limit: int | None = None) -> list[Question]:
    """The first `limit` questions of each questions file, in order (all with no limit)."""
    if limit is None:
        return list(questions)
    taken: dict[str, int] = {}
    out = []
    for q in questions:
        if taken.get(q.file, 0) < limit:
            taken[q.file] = taken.get(q.file, 0) + 1
            out.append(q)
    return out
