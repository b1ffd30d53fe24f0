"""Speech in and out, each engine behind a small interface so that others plug in.

    streams   Source / Sink: what sound flows through    devices  the microphone and speaker
    audio     WAV files, resampling, files as devices    quiet    PortAudio/ALSA notes -> log
    tones     the earcons
    tts       Synthesizer: text -> sound                 espeak   espeak-ng through pyttsx3
    voice     playback, cache and pre-rendering over any Synthesizer
    stt       Recognizer: audio -> words                 vosk     Vosk and its models
    detect    SpeechDetector: is this speech?            (Loudness, the rule there is)
    endpoint  when an answer is over (pure rules)
    ear       the spoken ear over a Recognizer and a SpeechDetector
    commands  the command phrases, for typed and spoken answers alike
    errors    what goes wrong, by kind
"""
