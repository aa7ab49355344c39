from assistant.ground import ABSTAIN_TEXT, ground_answer
from assistant.lexical import focus_pairs, has_pair, stem, terms
from assistant.types import Passage

ARTICLE = (
    "U.S. President Joe Biden has agreed to hold a summit on the Ukraine crisis, the White House said Sunday. "
    "The idea of a summit was proposed by French President Emmanuel Macron, who held phone talks on Sunday. "
    "More than 150,000 Russian troops are massed along Ukraine's borders."
)


def passage(text=ARTICLE, start=1000, article_id="art-1"):
    return Passage(chunk_id=f"{article_id}::0", article_id=article_id, text=text, score=0.5, start=start,
                   end=start + len(text), title="Summit", url="http://news/1", source="Kyodo",
                   published_at="2022-02-21")


def test_supported_claim_cites_the_exact_sentence_with_article_offsets():
    g = ground_answer("who proposed the summit", "French President Emmanuel Macron proposed it.", [passage()])
    assert not g.abstained
    assert g.text == "French President Emmanuel Macron proposed it [1]."
    (c,) = g.citations
    assert c.quote.startswith("The idea of a summit was proposed by French President Emmanuel Macron")
    assert ARTICLE[c.start - 1000:c.end - 1000] == c.quote
    assert (c.n, c.article_id, c.title, c.url, c.published_at) == (1, "art-1", "Summit", "http://news/1", "2022-02-21")


def test_a_name_no_article_mentions_is_dropped_and_the_answer_abstains():
    g = ground_answer("What is the name of Ukraine's president?", "Volodymyr Zelenskiy.", [passage()])
    assert g.abstained and g.text == ABSTAIN_TEXT and not g.citations
    assert "Volodymyr" in g.claims[0].reason


def test_an_invented_number_is_dropped():
    g = ground_answer("How many troops are massed?", "About 100,000 Russian troops are massed.", [passage()])
    assert g.abstained


def test_supported_but_off_topic_claim_is_not_an_answer():
    # True in the article, but it names no president *of Ukraine*.
    g = ground_answer("What is the name of Ukraine's president?", "U.S. President Joe Biden.", [passage()])
    assert g.abstained and "not about the question" in g.claims[0].reason


def test_model_citation_markers_are_recomputed_not_trusted():
    draft = "Biden agreed to hold a summit [2]. Macron proposed the summit [7]."
    g = ground_answer("What was said about the summit?", draft, [passage()])
    assert g.text == "Biden agreed to hold a summit [1]. Macron proposed the summit [2]."
    assert [c.quote[:8] for c in g.citations] == ["U.S. Pre", "The idea"]


def test_mixed_draft_keeps_supported_claims_and_flags_the_rest():
    draft = "Macron proposed the summit. He later won a Nobel Prize in 2023."
    g = ground_answer("who proposed the summit", draft, [passage()])
    assert g.text == "Macron proposed the summit [1]."
    assert [c.supported for c in g.claims] == [True, False]


def test_refusal_or_empty_draft_abstains():
    assert ground_answer("who?", "Not in the articles.", [passage()]).abstained
    assert ground_answer("who proposed the summit", "", [passage()]).abstained
    assert ground_answer("who proposed the summit", "Macron proposed it.", []).abstained


def test_same_sentence_cited_once():
    g = ground_answer("who proposed the summit", "Macron proposed the summit. Macron held phone talks.",
                      [passage(), passage()])
    assert g.text.count("[1]") == 2 and len(g.citations) == 1


def test_lexical_helpers():
    assert stem("proposed") == stem("propose") and stem("Ukrainian") == stem("Ukraine")
    t = terms("U.S. troops: 150,000 on Feb. 18")
    assert {"u.s.", "150000"} <= t.salient
    assert focus_pairs("Who is Ukraine's president?") == [(stem("ukraine"), "president")]
    assert has_pair(terms("Ukrainian President Volodymyr Zelensky"), (stem("ukraine"), "president"))
    assert not has_pair(terms("President Biden spoke about the crisis in Ukraine"), (stem("ukraine"), "president"))
    # The owner's counterpart of an office the sentence names: "his Polish counterpart" is Poland's minister.
    kishi = terms("Japanese Defense Minister Nobuo Kishi and his Polish counterpart Mariusz Blaszczak met.")
    assert has_pair(kishi, (stem("poland"), stem("minister")))
    assert not has_pair(terms("His Polish counterpart met the press."), (stem("poland"), stem("minister")))
    # A role is a noun: "heading" shares the stem of "head" but names no head of state.
    head = focus_pairs("Name the Ukrainian head of state.")
    assert head == [(stem("ukraine"), stem("head"))]
    assert has_pair(terms("Ukraine's head of state spoke."), head[0])
    assert not has_pair(terms("The Ukraine situation is heading toward an improvement."), head[0])


def test_question_wanting_a_date_or_number_needs_a_sentence_that_has_one():
    from assistant.lexical import answer_type, states_answer_type

    assert answer_type("When will the summit be held?") == "time"
    assert answer_type("How many troops are there?") == "number"
    assert answer_type("Who proposed the summit?") == "person"
    assert answer_type("What did Belarus say?") is None
    q = terms("Who proposed the summit?")
    assert states_answer_type("person", "The summit was proposed by French President Emmanuel Macron.", q)
    assert not states_answer_type("person", "The summit was proposed last week.", q)
    assert states_answer_type("time", "They will meet on Thursday.", q)
    assert not states_answer_type("number", "Many troops are massed.", q)
    g = ground_answer("How many troops are massed?", "Russian troops are massed along Ukraine's borders.",
                      [passage("Russian troops are massed along Ukraine's borders.")])
    assert g.abstained


def test_echoes_of_the_question_and_reversed_claims_are_not_answers():
    p = passage("Russia says its security is threatened by the expansion of NATO toward Ukraine.")
    q = "What does Russia say is threatening its security?"
    assert ground_answer(q, "What does Russia say is threatening its security?", [p]).abstained
    assert ground_answer(q, "Russia says its security is threatened.", [p]).claims[0].reason == \
        "only restates the question"
    # Shares most words with the sentence, but what it adds ("invade") is not there.
    assert ground_answer(q, "Russia says it is threatening to invade Ukraine.", [p]).abstained
    assert not ground_answer(q, "The expansion of NATO toward Ukraine.", [p]).abstained


def test_of_relations_are_checked_like_possessives():
    assert focus_pairs("Who is the president of Belarus?") == [(stem("Belarus"), "president")]
    g = ground_answer("Who is the president of Belarus?", "Vladimir Putin.",
                      [passage("Putin moved troops into Belarus, the Kremlin said.")])
    assert g.abstained


def test_a_demonym_before_an_office_is_a_relation_too():
    assert focus_pairs("Name the Ukrainian head of state.") == [(stem("Ukraine"), "head")]
    assert focus_pairs("Who is the Ukrainian president?") == [(stem("Ukraine"), "president")]
    assert focus_pairs("How many Russian troops are massed?") == []  # troops are no office
    assert focus_pairs("Which American leader spoke?") == []  # articles say "U.S."
    g = ground_answer("Name the Ukrainian head of state.", "Joe Biden.",
                      [passage("U.S. President Joe Biden, the head of state, discussed the Ukraine crisis.")])
    assert g.abstained


def test_an_institutions_spokesperson_is_a_relation_too():
    q = "Which White House spokesperson is quoted?"
    assert focus_pairs(q) == [(stem("House"), "spokesperson")]
    assert focus_pairs("Which spokesperson spoke?") == []
    assert focus_pairs("Former spokesman Sean Spicer said what?") == []
    # "Press Secretary" right after the institution states it; "the White House said" names no spokesperson.
    assert has_pair(terms("according to White House Press Secretary Jen Psaki"), focus_pairs(q)[0])
    assert not has_pair(terms("Biden agreed to a summit with Vladimir Putin, the White House said Sunday."),
                        focus_pairs(q)[0])
    assert has_pair(terms("Kremlin spokesman Dmitry Peskov said"), focus_pairs("What did the Kremlin spokesperson say?")[0])


def test_only_a_role_is_a_relation_that_must_be_stated():
    # Context in a quiz question's preamble is no relation: "the NBA's highest paid player" is answered by
    # "...the highest paid player in the league", and "Russia's dwindling population" needs no sentence to
    # say "Russia" next to "population".
    assert focus_pairs("In response to Russia's dwindling population, how many children must women have?") == []
    assert focus_pairs("Which player became the NBA's highest paid player ever?") == []
    assert focus_pairs("Broadway's biggest stars were recognized at which awards show?") == []
    assert focus_pairs("Who is Russia's foreign minister?") == [(stem("Russia"), stem("foreign"))]
    assert focus_pairs("Who is Japan's prime minister?") == [(stem("Japan"), stem("prime"))]


def test_british_spellings_and_a_capitals_possessive_read_as_the_country():
    # "Tokyo's defence chief" is the Japanese Defense Minister; "Moscow's top diplomat" Russia's.
    assert {stem("japan"), stem("defense")} <= terms("Name Tokyo's defence chief.").content
    assert stem("russia") in terms("Name Moscow's top diplomat.").content
    assert stem("russia") in terms("Russian Foreign Minister Sergey Lavrov").content
    # Only the possessive stands for the country: a meeting in Moscow is in the city.
    assert "moscow" in terms("They met in Moscow.").content


def test_a_generic_official_is_any_office_right_after_the_country():
    pair = focus_pairs("Name Tokyo's defence chief.")[0]
    assert has_pair(terms("Japanese Defense Minister Nobuo Kishi met his Polish counterpart"), pair)
    assert not has_pair(terms("Japan hosted the talks on Monday with the Polish Defense Minister"), pair)
    pair = focus_pairs("Name Moscow's top diplomat.")[0]
    assert has_pair(terms("Russian Foreign Minister Sergey Lavrov"), pair)
    # A named office stays strict: the Ukrainian foreign minister is not Ukraine's president.
    assert not has_pair(terms("Ukrainian Foreign Minister Dmytro Kuleba said"), focus_pairs("Who is Ukraine's president?")[0])
