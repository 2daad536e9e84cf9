"""Clients of the speech service (voice/server.py): drop-in replacements for the local
`Transcriber` and TTS engine, so a `VoicePipeline` can use models that live in another process.

They are synchronous (httpx): the pipeline already calls ASR and TTS in worker threads. When the
service is down or restarting they raise `SpeechServiceUnavailable` (a turn fails with a clear
message, the kiosk keeps running and works again as soon as the service is back).

    transcriber, tts = engines_from_env()      # remote when HALLBOT_SPEECH_URL is set, else (None, None)
    pipeline = VoicePipeline(respond, transcriber, tts)   # both satisfy voice.engines' Protocols
"""
from __future__ import annotations

import dataclasses
import logging
import time

import httpx
import numpy as np

from . import audio as A
from .asr import ASRResult
from .engines import Component, SpeechServiceUnavailable
from .tts.base import TTSEngine

log = logging.getLogger(__name__)

# Connect fails fast (a restarting service refuses at once); a read may include a queue behind
# another kiosk's request, so it gets longer.
TIMEOUT = httpx.Timeout(15.0, connect=1.0)

class SpeechRequestError(ValueError):
    """The service rejected the request (4xx: bad audio or text); retrying will not help."""


class _Client:
    """One pooled httpx client; maps transport failures to SpeechServiceUnavailable."""

    def __init__(self, url: str, component: Component, timeout: httpx.Timeout = TIMEOUT, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.component = component
        headers = {"Authorization": f"Bearer {token}"} if token else {}   # the service's token (voice/server.py)
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        for attempt in (1, 2):
            try:
                response = self._http.request(method, path, **kwargs)
                break
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                # a pooled keep-alive connection to a service that has since restarted: retry once
                if attempt == 2:
                    raise SpeechServiceUnavailable(self.component, f"{type(exc).__name__}: {exc}") from exc
            except httpx.TimeoutException as exc:
                raise SpeechServiceUnavailable(self.component, f"timeout: {type(exc).__name__}") from exc
            except httpx.TransportError as exc:  # connection refused, DNS, ...
                raise SpeechServiceUnavailable(self.component, f"{type(exc).__name__}: {exc} ({self.url})") from exc
        if response.status_code >= 500:
            raise SpeechServiceUnavailable(self.component, f"HTTP {response.status_code}: {_error_of(response)}")
        if response.status_code >= 400:
            raise SpeechRequestError(f"{self.component} request rejected (HTTP {response.status_code}): {_error_of(response)}")
        return response

    def healthy(self) -> bool:
        try:
            return self._http.get("/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()


def _error_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text[:200]))
    except ValueError:
        return response.text[:200]


class RemoteTranscriber:
    """Same call as `voice.asr.Transcriber.transcribe`, decoded by the speech service."""

    def __init__(self, url: str, timeout: httpx.Timeout = TIMEOUT, token: str | None = None) -> None:
        self._client = _Client(url, "asr", timeout, token)
        self.url = self._client.url

    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> ASRResult:
        """`audio`: mono float32 at 16 kHz. `elapsed_s` is the round trip as seen here."""
        started = time.perf_counter()
        params = {"language": language} if language else None
        response = self._client.request("POST", "/asr", content=A.float_to_pcm16(audio), params=params,
                                        headers={"Content-Type": "application/octet-stream"})
        data = response.json()
        known = {f.name for f in dataclasses.fields(ASRResult)}
        result = ASRResult(**{k: v for k, v in data.items() if k in known})
        result.elapsed_s = time.perf_counter() - started
        return result

    def healthy(self) -> bool:
        """The service answers /health (its models are loaded)."""
        return self._client.healthy()

    def warm(self) -> None:
        """The service warms its own models; here only say early if it is not there."""
        if not self.healthy():
            log.warning("speech service at %s is not reachable yet (ASR)", self.url)

    def close(self) -> None:
        self._client.close()


class RemoteTTS(TTSEngine):
    """What VoicePipeline needs from a TTS engine: `engine_for(text)` -> object with
    `synthesize(text)` and `sample_rate`, plus `warm(texts)`; zh/en routing happens in the service."""

    name = "remote"

    def __init__(self, url: str, timeout: httpx.Timeout = TIMEOUT, token: str | None = None) -> None:
        self._client = _Client(url, "tts", timeout, token)
        self.url = self._client.url
        self._default_rate: int | None = None

    @property
    def sample_rate(self) -> int:
        """The service's main (Chinese) voice rate; each synthesis reports its own rate too."""
        if self._default_rate is None:
            info = self._client.request("GET", "/health").json()
            self._default_rate = int(info.get("sample_rate") or 16000)
        return self._default_rate

    @sample_rate.setter
    def sample_rate(self, rate: int) -> None:  # TTSEngine's attribute is writable: a known rate skips /health
        self._default_rate = rate

    def engine_for(self, text: str) -> RemoteVoice:
        return RemoteVoice(self)

    def request(self, text: str, lang: str | None = None) -> tuple[np.ndarray, int]:
        payload = {"text": text, **({"lang": lang} if lang else {})}
        response = self._client.request("POST", "/tts", json=payload)
        rate = int(response.headers.get("X-Sample-Rate", "0"))
        if rate <= 0:
            raise SpeechServiceUnavailable("tts", "response without X-Sample-Rate")
        return A.pcm16_to_float(response.content), rate

    def synthesize(self, text: str) -> np.ndarray:
        """Audio at `self.sample_rate` (resampled when the routed voice has another rate)."""
        audio, rate = self.request(text)
        return audio if rate == self.sample_rate else A.resample(audio, rate, self.sample_rate)

    def warm(self, texts: list[str]) -> None:
        """Have the service synthesise fixed prompts into its cache; a missing service is not fatal."""
        for text in texts:
            try:
                for sentence in self._sentences(text):
                    self.request(sentence)
            except SpeechServiceUnavailable as exc:
                log.warning("could not warm TTS prompts: %s", exc)
                return

    def healthy(self) -> bool:
        """The service answers /health (its models are loaded)."""
        return self._client.healthy()

    @staticmethod
    def _sentences(text: str) -> list[str]:
        from .tts import split_sentences

        return split_sentences(text, first_max_chars=12)

    def close(self) -> None:
        self._client.close()


class RemoteVoice(TTSEngine):
    """The voice the service picks for one text; `sample_rate` is known after `synthesize`."""

    def __init__(self, remote: RemoteTTS) -> None:
        self.remote = remote
        self.name = remote.name
        self._rate: int | None = None

    @property
    def sample_rate(self) -> int:
        return self._rate or self.remote.sample_rate

    @sample_rate.setter
    def sample_rate(self, rate: int) -> None:
        self._rate = rate

    def synthesize(self, text: str) -> np.ndarray:
        audio, self._rate = self.remote.request(text)
        return audio


def remote_engines(url: str, token: str) -> tuple[RemoteTranscriber, RemoteTTS]:
    return RemoteTranscriber(url, token=token), RemoteTTS(url, token=token)


def engines_from_env() -> tuple[RemoteTranscriber | None, RemoteTTS | None]:
    """Remote engines when HALLBOT_SPEECH_URL is set, else (None, None): the pipeline loads local ones."""
    from hallbot.settings import load
    from identity import keys

    settings = load()
    if not settings.remote_speech:
        return None, None
    return remote_engines(settings.speech_url, keys.secret(keys.SPEECH_TOKEN, settings.var_dir))
