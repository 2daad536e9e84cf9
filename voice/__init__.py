"""hallbot voice: streaming speech in/out for the kiosk, a local mic, files and (later) the phone.

One module per job (as in rhasspy/wyoming): `audio` (PCM, resampling, G.711, decoding),
`vad` (Silero endpointing), `asr` (faster-whisper + Chinese text clean-up), `tts` (engines,
text normalisation, sentence streaming, cache), `pipeline` (turn-taking, barge-in, timings),
`events` (dataclass messages) and `transports` (file, websocket, mic) kept apart from the logic.
"""
