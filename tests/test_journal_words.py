"""The words behind a spoken answer: kept in its entry, marked where the recognizer was
unsure (`word(?)`, underlined too on a terminal that takes it, never under NO_COLOR), in
the json export with their timings, and absent -- as before -- from older entries."""

from __future__ import annotations

import json

from journals import entry, on_tty, write_session

from assistant.turns import Word

WORDS = (Word("i", 0.0, 0.2, 1.0), Word("trusted", 0.2, 0.6, 0.95), Word("hymn", 0.6, 0.9, 0.3))
UNDERLINE = "\x1b[4m"


def spoken_session(journal) -> str:
    path = write_session(journal, [entry(0, "I trusted hymn.", words=WORDS)])
    return path.stem


def test_show_marks_the_doubtful_word_in_plain_text(cli, journal) -> None:
    shown = cli("journal", "show", spoken_session(journal)).stdout
    assert "I trusted hymn(?)." in shown and UNDERLINE not in shown  # a pipe: plain


def test_on_a_terminal_the_mark_is_underlined_too_unless_no_color(journal) -> None:
    session = spoken_session(journal)
    _, styled = on_tty(["journal", "show", session], [])
    assert f"{UNDERLINE}hymn\x1b[24m(?)." in styled
    _, plain = on_tty(["journal", "show", session], [], env={"NO_COLOR": "1"})
    assert "hymn(?)." in plain and UNDERLINE not in plain


def test_json_export_carries_the_words_with_timings_and_confidence(cli, journal) -> None:
    data = json.loads(cli("journal", "export", spoken_session(journal), "--format",
                          "json").stdout)
    assert data["entries"][0]["words"] == [
        {"text": "i", "start": 0.0, "end": 0.2, "conf": 1.0},
        {"text": "trusted", "start": 0.2, "end": 0.6, "conf": 0.95},
        {"text": "hymn", "start": 0.6, "end": 0.9, "conf": 0.3}]


def test_words_round_trip_and_a_damaged_field_keeps_the_answer(journal) -> None:
    odd = (Word("a,b/c%d", 0.0, 0.5, None), Word("아침에", 0.5, 1.0, 0.5))
    path = write_session(journal, [entry(0, "a,b/c%d 아침에", words=odd)])
    (read,) = journal.read(path.stem).entries
    assert read.words == odd and read.text == "a,b/c%d 아침에"
    path.write_bytes(path.read_bytes().replace(b"words=", b"words=x/y"))
    (kept,) = journal.read(path.stem).entries
    assert kept.text == "a,b/c%d 아침에" and kept.words == ()


def test_an_edited_answer_is_shown_as_written_without_marks(cli, journal) -> None:
    path = write_session(journal, [entry(0, "I trusted hymn.", words=WORDS)])
    path.write_text(path.read_text().replace("I trusted hymn.", "I trusted him, I think."))
    shown = cli("journal", "show", path.stem).stdout
    assert "I trusted him, I think." in shown and "(?)" not in shown
