"""The terminal: what a user at a keyboard or a screen reader sees and types, and the
signals a terminal sends."""
