"""Core `hallbot` sub-commands: train, validate, eval, run, chat, rasa."""
from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot import rasa_service
from bot.supervisor import PeriodicJob, PortInUse, Service, StartupFailed, Supervisor
from bot.warmup import warm_up
from hallbot.settings import Settings, load
from identity import keys

log = logging.getLogger("hallbot")

# Warnings `rasa data validate` prints that are expected by design, each with the reason.
EXPECTED_VALIDATION_WARNINGS = (
    # Sensor events arrive through /trigger_intent, never as text, so they have no NLU examples.
    re.compile(r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU training data"),
    # Forms ask for slots with utter_ask_<slot>, and the two-stage fallback uses these two.
    re.compile(r"The utterance 'utter_(ask_\w+|default)' is not used in any story or rule"),
    # Responses that custom actions utter (dispatcher.utter_message(response=...)), not rules.
    re.compile(r"The utterance 'utter_identity_stopped' is not used in any story or rule"),
    # Rasa 3.6 merges retrieval intents from NLU data into the domain and warns about its own merge.
    re.compile(r"duplicated intents have been found across multiple domain files: faq"),
)


_rasa_env = rasa_service.rasa_env


def _run_rasa(settings: Settings, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(rasa_service.rasa_command(settings, *args), cwd=settings.root, env=_rasa_env(),
                          text=True, capture_output=capture)


def train(settings: Settings, force: bool = False, full: bool = False, accept_drop: bool = False) -> int:
    """A new model version, switched into service if the held-out split does not get worse (bot/training.py)."""
    from bot import training

    return training.train(settings, force, full, accept_drop, confirm=training.ask_on_terminal)


def unexpected_warnings(output: str) -> list[str]:
    warnings = re.findall(r"UserWarning: (.+?)(?=\n\s*More info|\n\S|\Z)", output, flags=re.S)
    return [w.strip() for w in warnings if not any(p.search(w) for p in EXPECTED_VALIDATION_WARNINGS)]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What Rasa's libraries print on every run, whatever the data: not the trainer's business.
_NOISE = re.compile(r"Warning: |declare_namespace|from pkg_resources|SANIC_VERSION|setParseAction|parseString|"
                    r"Implementing implicit namespace|yamlchecker\.com")


def clean_rasa_output(output: str) -> str:
    """Rasa's output without colour codes and library deprecation noise (a warning and its source line)."""
    lines, skip_next = [], False
    for line in _ANSI.sub("", output).splitlines():
        if skip_next and line.startswith((" ", "\t")):
            skip_next = False
            continue
        skip_next = bool(_NOISE.search(line))
        if not skip_next and line.strip():
            lines.append(line)
    return "\n".join(lines)


def validate(settings: Settings) -> int:
    from bot import data_warnings, yaml_check

    broken = yaml_check.broken(settings.root)
    for error in broken:
        print(f"error: {error}")
    if broken:   # Rasa would skip these files and call the data valid
        print("training data has problems")
        return 1
    for advice in data_warnings.check(settings.root):   # advice for the trainer: never fails the check
        print(f"advice: {advice}")
    result = _run_rasa(settings, "data", "validate", "--config", "config.yml", "--domain", "domain.yml",
                       "--data", "nlu_data", "stories", capture=True)
    output = result.stdout + result.stderr
    problems = unexpected_warnings(output)
    for problem in problems:
        print(f"warning: {problem}")
    if result.returncode != 0:
        print(clean_rasa_output(output)[-3000:])
    ok = result.returncode == 0 and not problems
    print("training data valid" if ok else "training data has problems")
    return 0 if ok else 1


def evaluate(settings: Settings, out_dir: str = "results", heldout_only: bool = False, model: str | None = None) -> int:
    """NLU cross-validation report + confusion matrix (needs no running server), and the held-out
    set (tests/nlu_heldout/heldout.yml) parsed by the trained model; --heldout-only skips the ~8 min CV."""
    import json

    from bot import nlu_eval

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not heldout_only:
        result = _run_rasa(settings, "test", "nlu", "--config", "config.yml", "--domain", "domain.yml",
                           "--nlu", "nlu_data", "--cross-validation", "--folds", "3", "--out", out_dir)
        if result.returncode != 0:
            return result.returncode
        print(f"NLU report: {out_dir}/intent_report.json, confusion matrix: {out_dir}/intent_confusion_matrix.png")
    model_path = Path(model) if model else settings.model_path
    if not model_path.exists():
        print(f"no trained model at {model_path}: run `hallbot train` first", file=sys.stderr)
        return 1
    examples = nlu_eval.load_examples(settings.root / nlu_eval.HELDOUT)
    try:
        parsed = nlu_eval.parse_with_model(settings.rasa_python, model_path, [e.text for e in examples],
                                           settings.root, _rasa_env())
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    report = nlu_eval.score(examples, parsed)
    (out / "heldout_report.json").write_text(json.dumps({"model": str(model_path), **report.as_dict()},
                                                        ensure_ascii=False, indent=1), encoding="utf-8")
    print(nlu_eval.summary(report))
    print(f"held-out report: {out_dir}/heldout_report.json")
    return 0


def build_services(settings: Settings, with_app: bool = True) -> list[Service]:
    endpoints = rasa_service.write_endpoints(settings)
    credentials = rasa_service.write_credentials(settings)
    rasa_token = keys.secret(keys.RASA_TOKEN, settings.var_dir)
    env = settings.as_env()
    services = [
        Service("actions", rasa_service.action_server_command(settings), settings.actions_port,
                f"http://{settings.host}:{settings.actions_port}/health", startup_timeout_s=60, env=env),
        Service("rasa", rasa_service.rasa_server_command(settings, endpoints, credentials), settings.rasa_port,
                f"{settings.rasa_url}/status?token={rasa_token}", ready=lambda r: r.status_code == 200 and bool(r.json().get("model_file")),
                startup_timeout_s=300, env={**env, **rasa_service.rasa_sanic_env()}),
    ]
    if with_app:
        # ASR + TTS in their own process: the app survives its restart, kiosks share the models.
        # Start-up loads Whisper and the voices (Kokoro, piper) and warms them: seconds on 2 cores.
        services.append(Service("speech", [str(settings.app_python), "-m", "voice.server"], settings.speech_port,
                                f"http://{settings.host}:{settings.speech_port}/health", startup_timeout_s=240, env=env))
        services.append(Service("app", [str(settings.app_python), "-m", "bot.app"], settings.app_port,
                                f"{app_scheme(settings)}://{settings.host}:{settings.app_port}/health",
                                startup_timeout_s=180, env=env))
    if with_app and settings.phone.enabled:
        services.append(phone_service(settings, env))
    return services


def phone_service(settings: Settings, env: dict[str, str]) -> Service:
    """The SIP endpoint (phone/service.py): UDP, so its health check is a SIP OPTIONS ping."""
    from phone.sip import sip_ping

    phone = settings.phone
    return Service("phone", [str(settings.app_python), "-m", "phone.service"], phone.sip_port,
                   f"sip:{phone.sip_host}:{phone.sip_port}", startup_timeout_s=60, env=env,
                   probe=lambda timeout_s: sip_ping(phone.sip_host, phone.sip_port, timeout_s), protocol="udp")


def app_scheme(settings: Settings) -> str:
    return "https" if settings.https else "http"


def follow_demo_sms(log_path: Path, stop: threading.Event, out=None, poll_s: float = 0.5,
                    offset: int | None = None) -> None:
    """Demo mode: copy the demo SMS gateway's lines from the action server's log to this terminal,
    so the demo user gets the code (the outbox file keeps it masked)."""
    from identity.sms import DEMO_MARK

    out = out or sys.stdout
    if offset is None:                    # from now on: older codes have expired anyway
        offset = log_path.stat().st_size if log_path.exists() else 0
    while not stop.wait(poll_s):
        if not log_path.exists() or log_path.stat().st_size < offset:
            offset = 0                    # rotated or recreated
            continue
        with log_path.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1       # whole lines only
        offset += end
        for line in chunk[:end].decode("utf-8", errors="replace").splitlines():
            if line.startswith(DEMO_MARK):
                print(line, file=out, flush=True)


def prepare_business(settings: Settings) -> None:
    """Create and seed the embedded business database now, not on the first customer's turn."""
    if settings.business.url:
        return  # an external business system: nothing to prepare here
    from business import factory

    started = time.monotonic()
    factory.open_sql(settings.business_db_url).engine.dispose()
    print(f"business system ready ({time.monotonic() - started:.1f} s)", flush=True)


DEMO_FACE = ("C000002", "face-lina")   # 李娜 <- the astronaut portrait (vision/sample_faces.py)


def enrol_demo_face(faces):
    """Consent + template of the demo face; the demo, the tests and the kiosk benchmark share it."""
    from vision.image_io import encode_jpeg
    from vision.sample_faces import identities

    customer_id, face_id = DEMO_FACE
    faces.record_consent(customer_id, channel="demo")
    return faces.enrol_image(customer_id, encode_jpeg(identities()["astronaut"]), face_id=face_id)


def prepare_demo_faces(settings: Settings) -> None:
    """Demo only: an empty face gallery gets 李娜 (C000002) from the public-domain astronaut
    portrait, so holding that photo up to the camera shows recognition."""
    if not settings.business.demo_faces:
        return
    try:
        from vision.config import VisionConfig
        from vision.service import FaceService

        faces = FaceService(VisionConfig(var_dir=settings.var_dir), emotion=False)
        try:
            if faces.store.has_consent(DEMO_FACE[0]):
                return
            result = enrol_demo_face(faces)
            print(f"demo face gallery: {DEMO_FACE[0]} enrolled ({'ok' if result.ok else result.reason})", flush=True)
        finally:
            faces.close()
    except Exception as exc:  # noqa: BLE001 - the demo still runs; only recognition of the sample photo is missing
        print(f"demo face gallery not prepared: {exc}", file=sys.stderr)


def privacy_job(settings: Settings) -> PeriodicJob:
    """Retention limits enforced at start and once a day (bot/privacy.py; `hallbot privacy prune` by hand)."""
    from bot import privacy

    return PeriodicJob("privacy prune", privacy.DAY_S,
                       lambda: privacy.prune(settings.var_dir, settings.tracker_db).to_dict())


def run(settings: Settings, with_app: bool = True) -> int:
    from bot.training import BLOCKED

    trained = train(settings)
    if trained == BLOCKED:   # the new model scored worse: the robot runs with the one in service
        print("running with the model in service", flush=True)
    elif trained != 0:
        return 1
    supervisor = Supervisor(build_services(settings, with_app), settings.var_dir / "logs", settings.host)

    def _stop(signum, frame):  # Ctrl-C / SIGTERM: stop every child, then leave
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts us in the background (nohup, `&` in a script, some CI runners)
    # leaves SIGINT ignored, and Python then installs no Ctrl-C handler of its own
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stop_follow = threading.Event()
    try:
        supervisor.check_ports()
        prepare_business(settings)
        if with_app:
            prepare_demo_faces(settings)
        print("starting " + ", ".join(s.name for s in supervisor.services) + " ...", flush=True)
        timings = supervisor.start()
        timings["warm-up"] = warm_up(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir))
        print("ready: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in timings.items()))
        if with_app and not settings.demo and not settings.staff.initial_password \
                and not (settings.var_dir / "staff_accounts.json").exists():
            print("  staff console: no initial password (HALLBOT_STAFF_PASSWORD): set one per member with "
                  "`python -m bot.staff passwd S001`, or run the demo with HALLBOT_DEMO=1")
        if settings.demo:
            threading.Thread(target=follow_demo_sms, args=(settings.var_dir / "logs" / "actions.log", stop_follow),
                             daemon=True, name="demo-sms").start()
            print("  demo mode:     staff password hallbot-demo; SMS codes appear here as [demo SMS] lines")
        app_url = f"{app_scheme(settings)}://{settings.host}:{settings.app_port}"
        if with_app:
            print(f"  kiosk:         {app_url}/kiosk        (camera + microphone; ?kiosk=K2 for a second kiosk)")
            print(f"  staff console: {app_url}/staff        (demo login: see docs/staff.md)")
        if with_app and settings.phone.enabled:
            print(f"  phone:         sip:hallbot@{settings.phone.sip_host}:{settings.phone.sip_port}   "
                  "(a softphone on this laptop, PCMU or PCMA: see docs/phone.md)")
        print(f"  chat page:     {app_url}/")
        print(f"  Rasa API:      {settings.rasa_url}")
        print("  terminal:   .venv/bin/hallbot chat")
        print(f"  logs:       {settings.var_dir / 'logs'}    (Ctrl-C stops everything)", flush=True)
        supervisor.watch(jobs=[privacy_job(settings)])
    except PortInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StartupFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stop_follow.set()
        _tell("\nstopping ...")
    finally:   # whatever ended the run (Ctrl-C, an error, a closed terminal): no service outlives it
        supervisor.stop()
    _tell("stopped")
    return 0


def _tell(text: str) -> None:
    """Print what we do while stopping; a reader that went away (a closed pipe) must not stop us stopping."""
    try:
        print(text, flush=True)
    except OSError:
        pass


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a new model version if its inputs changed (finetunes when only NLU examples did)")
    p.add_argument("--force", action="store_true", help="train even when a model of these inputs exists")
    p.add_argument("--full", action="store_true", help="train from scratch even when a finetune would do")
    p.add_argument("--accept-drop", action="store_true",
                   help="switch the new model in even if its held-out scores drop beyond HALLBOT_MODEL_MAX_DROP "
                        "or it fails a conversation test (tests/e2e)")
    p.set_defaults(func=lambda a: train(load(), a.force, a.full, a.accept_drop))

    p = sub.add_parser("validate", help="rasa data validate, failing on unexpected warnings")
    p.set_defaults(func=lambda a: validate(load()))

    p = sub.add_parser("eval", help="NLU cross-validation (intent report + confusion matrix) and the held-out set")
    p.add_argument("--out", default="results")
    p.add_argument("--heldout-only", action="store_true", help="only parse the held-out set with the trained model (fast)")
    p.add_argument("--model", default=None, help="model to score on the held-out set (default: the trained one)")
    p.set_defaults(func=lambda a: evaluate(load(), a.out, a.heldout_only, a.model))

    p = sub.add_parser("run", help="train if needed, start Rasa + actions + speech + app + phone; Ctrl-C stops all")
    p.add_argument("--no-app", action="store_true", help="only Rasa and the action server")
    p.set_defaults(func=lambda a: run(load(), not a.no_app))

    p = sub.add_parser("chat", help="text chat with the running bot (for trainers and smoke tests)")
    p.add_argument("--sender", default=None, help="conversation id (default: a new one)")
    p.add_argument("--url", default=None, help="Rasa URL (default: HALLBOT_RASA_URL or local)")
    p.add_argument("-m", "--message", action="append", help="send these messages and exit (repeatable)")
    p.add_argument("--nlu", action="store_true", help="show the intent, confidence and entities of each message")
    p.set_defaults(func=lambda a: asyncio.run(_chat(a)))


async def _chat(args: argparse.Namespace) -> int:
    from bot.chat import chat_loop

    return await chat_loop(args.url or load().rasa_url, args.sender, args.message, args.nlu)
