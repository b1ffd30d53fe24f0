"""The feed between a synthesizer and the speaker's callback (audio/feed.py), without a device:
the callback's side never waits, plays silence when the sound is late, and knows how much
of a block was sound; the player's side waits for enough to start, and hears of a failed
synthesis."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from assistant.speech.audio.feed import Feed

RATE = 16000


def ones(n: int) -> np.ndarray:
    return np.ones(n, np.int16)


def test_a_block_is_filled_with_the_sound_then_silence_and_says_how_much_was_sound() -> None:
    feed = Feed(iter([ones(300), ones(200)]))
    feed.wait_for(1.0, RATE, None)  # returns once everything is queued
    out = np.full(1000, 7, np.int16)
    assert feed.take(out) == 500
    assert (out[:500] == 1).all() and (out[500:] == 0).all()
    assert feed.drained


def test_a_chunk_larger_than_a_block_is_handed_on_over_several_blocks() -> None:
    feed = Feed(iter([np.arange(250, dtype=np.int16)]))
    feed.wait_for(1.0, RATE, None)
    first, second = np.zeros(100, np.int16), np.zeros(200, np.int16)
    assert feed.take(first) == 100 and not feed.drained
    assert feed.take(second) == 150
    assert list(first) + list(second[:150]) == list(range(250))
    assert feed.drained


def test_the_player_waits_until_enough_is_queued_to_start() -> None:
    """START_FILL: a stream starts once that much sound is made, not with its first
    few samples (PortAudio would play a hole after them)."""
    release = threading.Event()

    def slowly() -> Iterator[np.ndarray]:
        yield ones(RATE // 10)  # 0.1 s
        release.wait(10)
        yield ones(RATE // 2)

    feed = Feed(slowly())
    waited = threading.Thread(target=feed.wait_for, args=(0.3, RATE, None))
    waited.start()
    waited.join(0.3)
    assert waited.is_alive()  # 0.1 s is not enough
    release.set()
    waited.join(5)
    assert not waited.is_alive()


def test_an_interrupt_ends_the_wait() -> None:
    """Enter pressed before the first words are made: the player does not wait for them."""
    made = threading.Event()

    def late() -> Iterator[np.ndarray]:
        made.wait(10)
        yield ones(1)

    feed = Feed(late())
    interrupt = threading.Event()
    interrupt.set()
    waited = threading.Thread(target=feed.wait_for, args=(0.3, RATE, interrupt))
    waited.start()
    waited.join(5)
    assert not waited.is_alive()
    made.set()


def test_a_synthesis_that_fails_is_raised_to_the_player() -> None:
    def failing() -> Iterator[np.ndarray]:
        yield ones(10)
        raise RuntimeError("the voice broke")

    feed = Feed(failing())
    feed.wait_for(1.0, RATE, None)
    assert feed.take(np.zeros(100, np.int16)) == 10
    assert feed.drained
    with pytest.raises(RuntimeError, match="the voice broke"):
        feed.check()
