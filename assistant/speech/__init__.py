"""Speech in and out: sound devices and files, the voice over text-to-speech engines, the
ear over a recognizer and a speech detector, and the command phrases."""
