"""The generator seam: question + passages -> draft answer text, streamed.

`Generator.stream` is the one required method; `generate` joins it. Drafts are
never shown as final: `ground.ground_answer` checks and cites them. This module
also builds the prompt for LLM backends, with article text fenced off as data.
Backends live in their own modules and are imported only when chosen.
"""

from __future__ import annotations

import re
from typing import Iterator, Protocol, Sequence, runtime_checkable

from .types import Passage, Turn

__all__ = ["Generator", "GeneratorError", "generate", "load_model", "build_prompt", "defuse", "GENERATORS", "NOT_FOUND"]

# The accepted `generator` names; the last two are forms, e.g. "ollama:llama3.2:3b",
# "openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct" (see factory.make_generator).
GENERATORS = ("local", "extractive", "ollama:<model>", "openai:<base_url>#<model>")
NOT_FOUND = "Not in the articles."


class GeneratorError(RuntimeError):
    """A generator backend could not produce a draft (unreachable, timed out, refused, broke off, or sent a
    reply that could not be read). `timed_out`: it did not answer in time (the API says 504, not 502)."""

    def __init__(self, message: str = "", *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


@runtime_checkable
class Generator(Protocol):
    """Writes a draft answer from passages. Must not use knowledge beyond them.

    Optional: `thread_safe = True` when `stream` may run for several questions at once (the server then
    answers that many in parallel); without it, questions take turns (a llama.cpp context is not thread-safe).
    """

    name: str

    def stream(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> Iterator[str]: ...


def load_model(generator: Generator) -> None:
    """Load the generator's model now (backends with a `load()`), so the first question is not slowed."""
    load = getattr(generator, "load", None)
    if callable(load):
        load()


def generate(generator: Generator, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> str:
    return "".join(generator.stream(question, passages, history)).strip()


# Anything shaped like a tag or a chat-template token (<excerpt>, </excerpt >,
# <|im_start|>, <start_of_turn>, <eos>, <<SYS>>, [INST]) could close a fence or open a
# new turn; its brackets are swapped for look-alikes so the text stays readable.
_TAG_LIKE = re.compile(r"<{1,2}((?:\s*/\s*)?[A-Za-z_|][^<>\n]{0,60}?)\s*>{1,2}")
_INST = re.compile(r"\[\s*(/?\s*INST)\s*\]", re.I)


def defuse(text: str) -> str:
    """Article text made inert for a prompt: tag- and turn-token-like spans get look-alike brackets, and
    'Question:'/'Answer:' cannot start a prompt section (both prompt styles use it: chat and completion)."""
    text = _TAG_LIKE.sub(lambda m: "\u2039" + m.group(1) + "\u203a", text)
    text = _INST.sub(lambda m: "(" + m.group(1) + ")", text)
    return text.replace("Question:", "Question -").replace("Answer:", "Answer -")


def _excerpt(p: Passage) -> str:
    # Excerpts are data, never instructions: nothing in them may pose as a prompt section or a turn token
    # (llama.cpp reads special tokens in the prompt), and no field may start a line of its own.
    body, title = defuse(" ".join(p.text.split())), defuse(" ".join(p.title.split()))
    head = ", ".join(defuse(" ".join(x.split())) for x in (p.source, p.published_at) if x)
    return f"{title} ({head}): {body}" if head else f"{title}: {body}"


# A completion prompt: the bundled model is a base (not instruction-tuned) model,
# so worked examples teach the format better than instructions alone.
_STORM = ("Excerpt: Storm Eunice (Reuters, 2022-02-18): The storm, named Eunice by the Met Office, "
          "brought winds of 122 mph to the Isle of Wight on Friday.\n")
_SENTENCE_EXAMPLE = (
    f"{_STORM}Question: How strong were the winds on the Isle of Wight?\n"
    "Answer: The storm brought winds of 122 mph to the Isle of Wight.\n\n"
    f"{_STORM}Question: Who is the mayor of London?\nAnswer: {NOT_FOUND}\n\n"
)
# Short answers: the shortest phrase that answers, copied from an excerpt; the verifier accepts nothing else.
_PHRASE_EXAMPLE = (
    f"{_STORM}Question: How strong were the winds on the Isle of Wight?\nAnswer: 122 mph\n\n"
    "Question: Who named the storm?\nAnswer: the Met Office\n\n"
    f"Question: Who is the mayor of London?\nAnswer: {NOT_FOUND}\n\n"
)


def build_prompt(question: str, passages: Sequence[Passage], history: Sequence[Turn] = (), short: bool = False) -> str:
    """A completion prompt asking for one sentence taken from the excerpts or, when `short`, for the
    shortest phrase from them that answers (a name, number, date or place)."""
    excerpts = "\n".join(f"Excerpt: {_excerpt(p)}" for p in passages)
    earlier = ""
    last_user = [t for role, t in history if role == "user"][-1:]
    if last_user:
        earlier = f"(Earlier question: {' '.join(last_user[0].split())})\n"
    q = " ".join(question.split())
    if short:
        ask = ("Answer each question with the shortest phrase from the excerpts that answers it (a name, number, "
               "date or place), copied exactly.")
    else:
        ask = "Answer each question with one sentence copied or closely paraphrased from the excerpts."
    return (
        f'{ask} If the excerpts do not contain the answer, answer "{NOT_FOUND}"\n\n'
        f"{_PHRASE_EXAMPLE if short else _SENTENCE_EXAMPLE}{excerpts}\n{earlier}Question: {q}\nAnswer:"
    )
