"""Listening: is it speech (vad), when an answer ends, the ear, barge-in and the echo
rule."""
