from index import split_sentences


def texts(t):
    return [t[s:e] for s, e in split_sentences(t)]


def test_abbreviations_and_initials_do_not_end_sentences():
    t = 'U.S. President Joe Biden met Mr. Smith at 3 p.m. on Feb. 18. J. Doe left. "It was fine," he said.'
    assert texts(t) == [
        "U.S. President Joe Biden met Mr. Smith at 3 p.m. on Feb. 18.",
        "J. Doe left.",
        '"It was fine," he said.',
    ]


def test_spans_are_exact_and_trimmed_and_paragraphs_always_break():
    t = "  First one\n\nSecond one. Third!  "
    spans = split_sentences(t)
    assert [t[s:e] for s, e in spans] == ["First one", "Second one.", "Third!"]
    assert split_sentences("A b. C d.", offset=10) == [(10, 14), (15, 19)]


def test_lowercase_continuation_is_not_a_new_sentence():
    assert texts("He earned 3.5 percent. then it fell.") == ["He earned 3.5 percent. then it fell."]


def test_sample_has_the_macron_sentence(sample_text):
    assert any(s.startswith("The idea of a summit was proposed by French President Emmanuel Macron")
               and s.endswith("on Sunday.") for s in texts(sample_text))
