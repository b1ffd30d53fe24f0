"""Speech to text: the Recognizer interface and its engines (Vosk, Whisper)."""
