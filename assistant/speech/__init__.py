"""Speech in and out, by stage, each engine behind a small interface so that others plug in.

    audio/      sound in and out: streams (Source / Sink), devices (finding one),
                microphone, speaker, wavfiles (files as devices), feed, portaudio_log
    tts/        text -> sound: synthesizer (the interface), espeak, piper and vits,
                voice (what the session talks to), renderahead, rendercache, tones
    stt/        sound -> words: recognizer (the interface), vosk, whisper and its
                engine and commands, guards (against invented words)
    listening/  when the user speaks: vad (SpeechDetector), silero, endpoint (when an
                answer is over), take, ear (the spoken Ear), bargein, echo, echopath
    duplex      the one owner of the microphone between the voice, the ear and barge-in
    engines     the one place that chooses the voice, the recognizer model and the detector
    errors      what goes wrong, by kind
    nativelog   native libraries' stderr, into the log
"""
