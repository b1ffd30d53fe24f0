"""Text to speech: the Synthesizer interface, its engines, and the Voice that speaks."""
