"""RuleRewriter: follow-ups about the sample article rewritten into standalone questions."""

import pytest

from assistant.rewrite import Rewriter, RuleRewriter

MACRON = [("user", "Who proposed the summit?"),
          ("assistant", "French President Emmanuel Macron proposed the summit [1].")]
BIDEN = [("user", "Did Biden agree to the summit?"),
         ("assistant", "Yes, Biden agreed in principle to a summit with Putin [1].")]
BLINKEN = [("user", "Who will Blinken meet on Thursday?"),
           ("assistant", "U.S. Secretary of State Antony Blinken will meet Russian Foreign Minister Sergey Lavrov [1].")]
PSAKI = [("user", "Who is the White House press secretary?"),
         ("assistant", "Jen Psaki is the White House Press Secretary [1].")]
TROOPS = [("user", "Which country massed troops along Ukraine's borders?"),
          ("assistant", "Russia massed more than 150,000 troops along Ukraine's borders [1].")]


def rw(question, history):
    return RuleRewriter().rewrite(question, history)


# --- multi-turn examples about the sample article ---------------------------------------------------------

@pytest.mark.parametrize("history, follow_up, expected", [
    (MACRON, "Who did he call on Sunday?", "Who did Emmanuel Macron call on Sunday?"),
    (MACRON, "When will it be held?", "When will the summit be held?"),
    (MACRON, "Who did he talk to, and what did they agree?", "Who did Emmanuel Macron talk to, and what did they agree?"),
    (BIDEN, "and Putin?", "Did Putin agree to the summit?"),
    (BIDEN, "Why?", "Why did Biden agree to the summit?"),
    (BIDEN, "Where will they meet?", "Where will Biden and Putin meet?"),
    ([("user", "Did President Biden agree to the summit?"), ("assistant", "Yes [1].")], "What about Macron?",
     "Did Macron agree to the summit?"),
    ([("user", "Where could the summit be held?"), ("assistant", "The article does not say.")], "When?",
     "When could the summit be held?"),
    (MACRON, "When?", "When was it that French President Emmanuel Macron proposed the summit?"),
    (BLINKEN, "Where will they meet?", "Where will Antony Blinken and Sergey Lavrov meet?"),
    ([("user", "When is the meeting between Blinken and Lavrov?"), ("assistant", "On Thursday in Europe [1].")],
     "Where will that meeting take place?", "Where will the meeting between Blinken and Lavrov take place?"),
    ([("user", "Where will Blinken and Lavrov meet?"), ("assistant", "In Europe [1].")],
     "When will they meet?", "When will Blinken and Lavrov meet?"),
    ([("user", "Where will Blinken and Lavrov meet?"), ("assistant", "In Europe [1].")],
     "Who else will be there?", "Who else will be in Europe?"),
    (PSAKI, "What did she say about an invasion?", "What did Jen Psaki say about an invasion?"),
    (PSAKI, "What did her statement warn?", "What did Jen Psaki's statement warn?"),
    ([("user", "What did Psaki say about Russia?"),
      ("assistant", "Psaki said Russia appears to be preparing a full-scale assault on Ukraine [1].")],
     "Why did she say that?", "Why did Psaki say that?"),
    (TROOPS, "What did they deny?", "What did Russia deny?"),
    (TROOPS, "How many troops did they mass?", "How many troops did Russia mass?"),
    ([("user", "Where are Russian troops massed?"), ("assistant", "Along Ukraine's borders, in Belarus and in Crimea [1].")],
     "Will they stay there?", "Will Russian troops stay in Ukraine?"),
    ([("user", "What did Japan's prime minister say?"),
      ("assistant", "Fumio Kishida said Japan will continue to make diplomatic efforts [1].")],
     "What about his defense minister?", "What about Fumio Kishida's defense minister?"),
    ([("user", "Who did Kishi speak with?"),
      ("assistant", "Japanese Defense Minister Nobuo Kishi held a video call with his Polish counterpart "
                    "Mariusz Blaszczak [1].")],
     "What did they agree?", "What did Nobuo Kishi and Mariusz Blaszczak agree?"),
    ([("user", "Did Macron propose the summit?"), ("assistant", "Yes [1].")],
     "What did Biden say about that?", "What did Biden say about the summit?"),
    ([("user", "Did Macron propose the summit?"), ("assistant", "Yes [1].")], "When was that?", "When was the summit?"),
    # a conversation of several turns: the latest turns win
    (MACRON + BLINKEN, "What did he say?", "What did Sergey Lavrov say?"),
    (BLINKEN + MACRON, "Who did he call on Sunday?", "Who did Emmanuel Macron call on Sunday?"),
])
def test_follow_up_becomes_standalone(history, follow_up, expected):
    assert rw(follow_up, history) == expected


@pytest.mark.parametrize("question", [
    "What did Biden agree to?",
    "Who proposed the summit?",
    "Did Biden say he would meet Putin?",  # the antecedent is in the question itself
    "Did Russia say it would invade Ukraine?",
    "What did Biden and Putin say they would do?",
    "Is it true that Russia denied any intention to invade?",
    "Is there a deal?",
    "Did the meeting happen, and where was it held?",
    "What did the White House say Sunday?",
    "May I ask who proposed the summit?",
    "",
])
def test_standalone_questions_are_untouched(question):
    assert rw(question, MACRON) == question
    assert rw(question, BIDEN) == question


def test_no_history_means_no_change():
    assert rw("Who did he call on Sunday?", []) == "Who did he call on Sunday?"
    assert rw("When?", []) == "When?"
    assert rw("Who did he call?", [("system", "be brief")]) == "Who did he call?"


def test_unresolvable_reference_is_left_alone():
    history = [("user", "What happened?"), ("assistant", "The article does not say.")]
    assert rw("What did he say?", history) == "What did he say?"


def test_rule_rewriter_is_a_rewriter():
    r: Rewriter = RuleRewriter()
    assert r.rewrite("and Putin?", BIDEN) == "Did Putin agree to the summit?"


def test_deterministic():
    assert {rw("Where will they meet?", BLINKEN) for _ in range(5)} == {"Where will Antony Blinken and Sergey Lavrov meet?"}
