"""Sound in and out: the real devices, WAV files that stand in for them, and the streams
between."""
