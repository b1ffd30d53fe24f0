"""Text: the answer being put together, readable sentences, the command phrases and
their matcher, YAML read plainly, and the settings as they are written: each value's text
form (settingvalues) and the settings file (settingsfile)."""
