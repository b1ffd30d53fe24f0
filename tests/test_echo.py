"""The echo rule of barge-in (listening/echo.py): which microphone chunks may be nothing but
Reflect's own voice coming back from the speakers, on made-up levels and times.

A chunk that is "own" is never taken for the user's speech, so a wrong "own" makes a
barge-in impossible and a wrong "not own" lets Reflect's voice reach the command
recognizer. Levels are RMS of int16 samples; times are seconds on one clock.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.speech.listening.echo import (
    ECHO_TAIL,
    FORGET_AFTER,
    GUESS_FROM,
    GUESS_ROOM,
    LEAD,
    LEARN_FROM,
    MARGIN,
    SILENT,
    START_GAIN,
    Playback,
    level,
)

RATE = 16000
CHUNK = 0.1  # seconds per microphone chunk
PLAYED = 1000.0  # level of what Reflect played


def block(rms: float, seconds: float = 0.02) -> np.ndarray:
    """Samples alternating +rms/-rms: a block whose RMS is exactly `rms`."""
    n = int(RATE * seconds)
    return (np.where(np.arange(n) % 2 == 0, 1, -1) * round(rms)).astype(np.int16)


def chunk(rms: float) -> bytes:
    """A microphone chunk of CHUNK seconds at level `rms`."""
    return block(rms, CHUNK).tobytes()


def playing(at: float = 1.0, rms: float = PLAYED) -> Playback:
    """A Playback that played one block at `rms`, heard at `at`."""
    playback = Playback()
    playback.played(block(rms), at)
    return playback


def test_the_test_blocks_have_the_level_asked_for() -> None:
    """The tests below reason on levels: the helpers must make exactly those."""
    assert level(block(300.0)) == pytest.approx(300.0)
    assert level(np.frombuffer(chunk(1234.0), np.int16)) == pytest.approx(1234.0)
    assert level(np.zeros(0, np.int16)) == 0.0


@pytest.mark.parametrize("rms", [0.0, 100.0, 1000.0, 20000.0])
def test_with_nothing_played_no_chunk_is_own(rms: float) -> None:
    """Reflect silent: whatever the microphone hears, loud or quiet, is not Reflect."""
    playback = Playback()
    assert playback.loudest(0.0, 100.0) == 0.0
    assert not playback.own(chunk(rms), 1.0, 1.0 + CHUNK)


def test_playback_too_quiet_to_echo_makes_nothing_own() -> None:
    """A block quieter than SILENT (a pause, a fade) echoes nothing worth counting, and
    teaches the gain nothing."""
    playback = playing(rms=SILENT / 2)
    assert not playback.own(chunk(SILENT / 4), 1.0, 1.0 + CHUNK)
    assert not playback.own(chunk(0.0), 1.0, 1.0 + CHUNK)
    for _ in range(LEARN_FROM + 5):
        playback.own(chunk(SILENT / 4), 1.0, 1.0 + CHUNK)
    assert playback.gain() == START_GAIN  # nothing was measured


@pytest.mark.parametrize("start", [0.95, 1.0, 1.1, 1.3, 1.0 + ECHO_TAIL - 0.05],
                         ids=["overlapping", "at-once", "next-chunk", "reverb", "tail-end"])
def test_a_chunk_at_the_echos_level_within_the_tail_is_own(start: float) -> None:
    """The speakers' sound comes back at 0.3 of its level, up to ECHO_TAIL after it was
    heard: the microphone chunk may be only that echo."""
    playback = playing(at=1.0)
    assert playback.own(chunk(0.3 * PLAYED), start, start + CHUNK)


def test_a_chunk_just_before_the_block_counts_within_the_lead() -> None:
    """The two clocks may be off by LEAD the other way: a chunk ending just before the
    block was heard may still hold its echo; one ending well before may not."""
    playback = playing(at=1.0)
    assert playback.own(chunk(0.3 * PLAYED), 0.95 - CHUNK, 1.0 - LEAD / 2)
    assert not playback.own(chunk(0.3 * PLAYED), 0.8 - CHUNK, 1.0 - LEAD - 0.05)


def test_a_chunk_three_times_louder_than_the_possible_echo_is_the_users() -> None:
    """Before any gain is learnt the echo is assumed as loud as what was played; a user
    3x louder than that is clearly more than echo (MARGIN is 2)."""
    assert MARGIN < 3.0
    playback = playing(at=1.0)
    assert not playback.own(chunk(3.0 * PLAYED), 1.0, 1.0 + CHUNK)
    assert playback.own(chunk(1.5 * PLAYED), 1.0, 1.0 + CHUNK)  # not clearly louder


def test_the_loudest_block_that_can_echo_decides() -> None:
    """Several blocks within the tail: the loudest may be the one echoing."""
    playback = Playback()
    playback.played(block(200.0), 1.0)
    playback.played(block(2000.0), 1.05)
    playback.played(block(500.0), 1.1)
    assert playback.loudest(1.0, 1.1) == pytest.approx(2000.0)
    assert playback.own(chunk(3000.0), 1.0, 1.1)  # 3000 <= 2 * 1.0 * 2000


def test_a_first_guess_of_the_gain_comes_within_a_few_chunks() -> None:
    """With an echo canceller the echo comes back at 0.1: GUESS_FROM measurements of it
    make a first guess of GUESS_ROOM times that, enough for a user at the playback's level
    to be the user's (a "stop" said in the first second of the narration), which the
    assumed gain of 1 took for echo; the quiet echo (and a quieter one) still counts as own."""
    playback = playing(at=1.0)
    echo, user = 0.1 * PLAYED, 1.0 * PLAYED
    for _ in range(GUESS_FROM - 1):
        assert playback.own(chunk(echo), 1.0, 1.0 + CHUNK)
    assert playback.gain() == START_GAIN  # not guessed yet: too few measurements
    assert playback.own(chunk(user), 1.0, 1.0 + CHUNK)  # still taken for echo
    playback = playing(at=1.0)
    for _ in range(GUESS_FROM):
        assert playback.own(chunk(echo), 1.0, 1.0 + CHUNK)
    assert playback.gain() == pytest.approx(GUESS_ROOM * 0.1)
    assert not playback.own(chunk(user), 1.0, 1.0 + CHUNK)
    assert playback.own(chunk(echo), 1.0, 1.0 + CHUNK)
    assert playback.own(chunk(echo / 2), 1.0, 1.0 + CHUNK)


def test_the_learnt_gain_outvotes_a_stray_loud_chunk() -> None:
    """A user's onset taken for echo before the gain was known raises the first guess;
    from LEARN_FROM measurements on a high percentile is the gain, and the user's 0.5,
    1 in 20, no longer counts: a user at half the playback's level is the user's."""
    playback = playing(at=1.0)
    echo, user = 0.1 * PLAYED, 0.5 * PLAYED
    assert playback.own(chunk(user), 1.0, 1.0 + CHUNK)
    for _ in range(LEARN_FROM - 1):
        assert playback.own(chunk(echo), 1.0, 1.0 + CHUNK)
    assert playback.gain() == pytest.approx(0.1)
    assert not playback.own(chunk(user), 1.0, 1.0 + CHUNK)
    assert playback.own(chunk(echo), 1.0, 1.0 + CHUNK)


def test_a_first_guess_never_exceeds_the_assumed_gain() -> None:
    """The user talking from the first word, taken for echo: the guess stays START_GAIN."""
    playback = playing(at=1.0)
    for _ in range(GUESS_FROM):
        assert playback.own(chunk(1.5 * PLAYED), 1.0, 1.0 + CHUNK)
    assert playback.gain() == START_GAIN


def test_the_users_speech_never_teaches_the_gain() -> None:
    """Chunks louder than the echo could be are the user's: however long they talk over
    the narration, the learnt gain stays the room's (were it learnt from them, their own
    speech would soon count as echo, and talk would end early and pass for a command)."""
    playback = playing(at=1.0)
    for _ in range(LEARN_FROM):
        playback.own(chunk(0.1 * PLAYED), 1.0, 1.0 + CHUNK)
    quiet_room = playback.gain()
    for _ in range(3 * LEARN_FROM):
        assert not playback.own(chunk(3.0 * PLAYED), 1.0, 1.0 + CHUNK)
    assert playback.gain() == quiet_room


def test_a_louder_echo_raises_the_gain() -> None:
    """The volume turned up: an echo up to MARGIN times the learnt one still counts as
    echo, and teaches the gain, which follows it up."""
    playback = playing(at=1.0)
    for _ in range(LEARN_FROM):
        playback.own(chunk(0.1 * PLAYED), 1.0, 1.0 + CHUNK)
    for _ in range(3 * LEARN_FROM):
        assert playback.own(chunk(0.18 * PLAYED), 1.0, 1.0 + CHUNK)
    assert playback.gain() == pytest.approx(0.18, rel=0.05)


def test_a_chunk_heard_in_a_pause_does_not_teach_the_gain() -> None:
    """A chunk whose echo time holds a silent block (the pause after "Welcome.") hears
    little of the loud block before it: learnt from, a few of those made the first gain
    so low that the echo of the next words (at 0.3) passed for the user. Such chunks are
    still own, and the gain is learnt from those heard while the sound went on."""
    playback = playing(at=1.0)
    playback.played(block(0.0), 1.1)  # the pause
    for _ in range(3 * LEARN_FROM):
        assert playback.own(chunk(0.0), 1.0, 1.0 + CHUNK)
    assert playback.gain() == START_GAIN
    speaking = playing(at=1.0)
    for _ in range(LEARN_FROM):
        assert speaking.own(chunk(0.3 * PLAYED), 1.0, 1.0 + CHUNK)
    assert speaking.gain() == pytest.approx(0.3)
    assert speaking.own(chunk(0.3 * PLAYED), 1.0, 1.0 + CHUNK)


@pytest.mark.parametrize("late", [0.05, 0.5, 2.0])
def test_a_block_older_than_the_tail_no_longer_echoes(late: float) -> None:
    """A chunk starting more than ECHO_TAIL after the block was heard cannot hold its
    echo: even at the echo's level it is the user's."""
    playback = playing(at=1.0)
    start = 1.0 + ECHO_TAIL + late
    assert playback.loudest(start, start + CHUNK) == 0.0
    assert not playback.own(chunk(0.3 * PLAYED), start, start + CHUNK)


def test_blocks_are_forgotten_after_forget_after() -> None:
    """Every block played more than FORGET_AFTER before the newest is dropped; younger
    ones are kept."""
    playback = playing(at=1.0)
    playback.played(block(0.0), 1.0 + FORGET_AFTER - 0.5)
    assert playback.loudest(0.9, 1.1) == pytest.approx(PLAYED)  # still kept
    playback.played(block(0.0), 1.0 + FORGET_AFTER + 0.5)
    assert playback.loudest(0.9, 1.1) == 0.0
    assert not playback.own(chunk(0.3 * PLAYED), 0.9, 1.0)
