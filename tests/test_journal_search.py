"""Search (search.py): what casefolding finds is found, though most files are ruled out
on their bytes alone; sealed blocks are opened once each, and replaced answers found."""

from __future__ import annotations

from pathlib import Path

import pytest
from journals import entry, write_session

from assistant.journal import Journal
from assistant.journal.crypto import Cipher
from assistant.journal.search import may_contain

SECRET = "Unmistakable-secret-words"


@pytest.mark.parametrize("word", ["strasse", "STRASSE", "straße", "kelvin", "fish", "\ufb01sh",
                                  "\u0130stanbul", "—", "answer"])
def test_search_finds_what_casefolding_finds(journal: Journal, word: str) -> None:
    """Most files are ruled out on their bytes alone; a character that folds to ASCII
    letters (ß, the Kelvin sign, the ﬁ ligature) must never make that miss a match."""
    texts = ["Die Straße — lang.", "\u212aelvin, not Kelvin.", "A \ufb01sh story.",
             "\u0130stanbul — \u0131stanbul", "plain answer"]
    path = write_session(journal, [entry(n, t) for n, t in enumerate(texts)])
    needle = word.casefold()
    expected = [t for t in texts if needle in t.casefold()]
    assert [e.text for _, e in journal.search(word)] == expected
    data = path.read_bytes()
    for cut in range(0, len(data), 7):  # and the quick check itself, on every slice
        piece = data[cut:cut + 40]
        if needle in piece.decode("utf-8", "replace").casefold():
            assert may_contain(piece, needle), (word, piece)


def test_search_opens_each_sealed_block_once_and_finds_replaced_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = Journal(tmp_path / "journal", Cipher.create("correct horse battery staple"))
    write_session(sealed, [entry(0, f"{SECRET} first"), entry(1), entry(0, f"{SECRET} again")])
    opened: list[bytes] = []
    real = Cipher.unseal
    monkeypatch.setattr(Cipher, "unseal", lambda self, line, aad: opened.append(aad)
                        or real(self, line, aad))
    hits = sealed.search(SECRET.upper())
    assert [(e.text, r.replaced(e)) for r, e in hits] == [(f"{SECRET} first", True),
                                                          (f"{SECRET} again", False)]
    assert len(opened) == len(set(opened)) == 4  # role mark and three answers, once each
