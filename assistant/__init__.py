"""Reflect: an offline, voice-guided reflection assistant."""

__version__ = "0.1.0"
