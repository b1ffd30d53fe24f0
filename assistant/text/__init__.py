"""Text: the answer being put together, readable sentences, the command phrases and
their matcher, and YAML read plainly."""
