from index import Article, chunk_article, estimate_tokens, load_articles, split_sentences


def test_chunks_are_exact_slices_within_budget(sample_path):
    (article,) = load_articles([str(sample_path)])
    chunks = chunk_article(article, estimate_tokens, max_tokens=120)
    assert len(chunks) > 3
    for i, c in enumerate(chunks):
        assert c.text == article.text[c.start:c.end]
        assert c.index == i and c.n_chunks == len(chunks)
        assert estimate_tokens(c.title) + estimate_tokens(c.text) + 2 <= 120
        assert c.id == f"{article.id}::{i}" and c.content_hash == article.content_hash
    # Together the chunks cover every sentence; most neighbours share one.
    for s, e in split_sentences(article.text):
        assert any(c.start <= s and e <= c.end for c in chunks)
    assert sum(b.start < a.end for a, b in zip(chunks, chunks[1:])) >= len(chunks) // 2


def test_a_sentence_longer_than_the_budget_is_cut_at_words():
    text = " ".join(f"word{i}" for i in range(300)) + "."
    chunks = chunk_article(Article(id="x", title="", text=text), lambda s: len(s.split()), max_tokens=50)
    assert all(len(c.text.split()) <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_chunking_is_deterministic(sample_path):
    (article,) = load_articles([str(sample_path)])
    assert chunk_article(article) == chunk_article(article)
