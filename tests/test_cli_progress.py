"""The ingest progress bar knows about how many articles are coming, so it shows the time left."""

from __future__ import annotations

import json
import re

from assistant.cli.ingest import _Progress, estimate_articles


def test_the_estimate_counts_records_feed_entries_and_files(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_text("".join(json.dumps({"id": str(i), "text": "x"}) + "\n" for i in range(5)))
    (folder / "feed.xml").write_text("<rss><channel><item><title>a</title></item><item>b</item></channel></rss>")
    (folder / "sub" / "one.txt").write_text("One story.")
    (folder / "sub" / "two.html").write_text("<p>Two</p>")
    (folder / ".hidden.txt").write_text("ignored")
    assert estimate_articles([str(folder)]) == 5 + 2 + 1 + 1
    assert estimate_articles([str(folder / "a.jsonl"), "https://example.com/x.html"]) == 6


def test_the_bar_shows_the_time_left(capsys):
    progress = _Progress(enabled=True, total=10)
    for i in range(3):
        progress(f"a{i}", "added", 4)
    progress.bar.refresh()
    progress.close()
    err = capsys.readouterr().err
    assert re.search(r"3/10 \[\d\d:\d\d<\d\d:\d\d", err), err  # elapsed<remaining
    assert "12 chunks" in err
