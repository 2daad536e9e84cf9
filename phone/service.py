"""The phone service: the SIP endpoint in its own supervised process (`hallbot run` starts it).

Calls use the speech service's models (voice/remote.py) and the robot's Rasa, like the kiosk does,
so a phone call and a kiosk visit are answered by the same NLU, dialogue and actions; this process
holds only the per-call state (VAD, key buffer, RTP). Health: the supervisor pings it with SIP
OPTIONS, as a PBX pings a trunk.

Run alone: `python -m phone.service [--host H] [--port P]` (HALLBOT_SIP_HOST, HALLBOT_SIP_PORT)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.rasa_client import RasaClient
from hallbot.settings import PhoneSettings, Settings, load
from identity import keys
from voice.engines import Recognizer, Synthesizer
from voice.pipeline import PipelineConfig, VoicePipeline

from .brain import RasaBrain
from .conversation import GREETING, PHONE_RATE, Brain, PhoneConversation
from .endpoint import SipEndpoint, serve
from .rtp import CallMedia

log = logging.getLogger("phone")
WARM_WAIT_S = 240.0


def phone_pipeline(transcriber: Recognizer, tts: Synthesizer) -> VoicePipeline:
    """The kiosk's pipeline, speaking at 8 kHz; barge-in stays on (handsets cancel their own echo)."""
    return VoicePipeline(None, transcriber, tts, config=PipelineConfig(output_rate=PHONE_RATE))


def make_endpoint(phone: PhoneSettings, pipeline: VoicePipeline, brain: Brain) -> SipEndpoint:
    def conversation(conversation_id: str, media: CallMedia, hang_up: Callable[[str], Awaitable[None]]) -> PhoneConversation:
        return PhoneConversation(pipeline, brain, conversation_id, media, hang_up)

    return SipEndpoint(phone.sip_host, conversation, max_calls=phone.max_calls, allow=phone.allow,
                       rtp_ports=phone.rtp_ports)


async def _warm(tts: Synthesizer) -> None:
    """Have the speech service synthesise the greeting before the first caller (it may still be starting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WARM_WAIT_S
    while loop.time() < deadline:
        if await asyncio.to_thread(tts.healthy):
            await asyncio.to_thread(tts.warm, [GREETING, PipelineConfig().reprompt_text])
            return
        await asyncio.sleep(2.0)


async def run(settings: Settings, host: str, port: int) -> None:
    from voice.remote import remote_engines

    transcriber, tts = remote_engines(settings.speech_url, keys.secret(keys.SPEECH_TOKEN, settings.var_dir))
    client = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir), timeout_s=settings.rasa_timeout_s)
    endpoint = make_endpoint(settings.phone, phone_pipeline(transcriber, tts), RasaBrain(client))
    await serve(endpoint, host, port)
    print(f"phone: SIP on udp {host}:{endpoint.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    warm = asyncio.create_task(_warm(tts))
    try:
        await stop.wait()
    finally:
        warm.cancel()
        await endpoint.close()
        await client.close()
        transcriber.close()
        tts.close()


def main(argv: list[str] | None = None) -> int:
    settings = load()
    parser = argparse.ArgumentParser(prog="python -m phone.service", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.phone.sip_host)
    parser.add_argument("--port", type=int, default=settings.phone.sip_port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run(settings, args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
