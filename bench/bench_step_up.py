"""The added time of the second factor (step-up by risk, actions/risk.py): a customer identified by
face alone pays their arrears, which now takes an SMS code to the phone on file; baseline in the same
run: the same payment by a customer whose identity already has a second factor (the ID card at the
greeting), which is the turn sequence main had for a face alone (pay -> confirm). Appends to BENCHMARKS.md.

    .venv/bin/python bench/bench_step_up.py [--runs 10]

Turns are REST turns to the real Rasa server + action server + SQL business system, as the kiosk sends
them; the customer's own typing time is not counted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine_info import describe  # noqa: E402


def owing_customers(biz, n: int) -> list:
    """Seeded customers (not the demo three) with a phone and one account that owes money."""
    found = []
    for i in range(10, 200):
        customer = biz.find_customer(customer_id=f"C{i:06d}")
        if not (customer and customer.phone) or any(c.phone == customer.phone for c, _ in found):
            continue
        accounts = biz.accounts_of(customer.customer_id)
        if len(accounts) == 1 and biz.arrears(accounts[0].account_no) > 0:
            found.append((customer, accounts[0].account_no))
        if len(found) == n:
            return found
    raise SystemExit(f"only {len(found)} owing customers with their own phone")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="payments per mode")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    header = f"Machine: {describe()}."
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp)
        os.environ.update({"HALLBOT_VAR_DIR": tmp, "HALLBOT_DEMO_CUSTOMERS": "200", "HALLBOT_DEMO": "1"})
        import httpx

        from bot.commands import build_services
        from bot.supervisor import Supervisor, free_port
        from business import factory
        from hallbot.settings import Settings
        from identity import keys
        from identity.proof import signed_entities
        from identity.sms import last_demo_code

        biz = factory.get_business()     # seed before timing anything
        customers = owing_customers(biz, 2 * args.runs)
        settings = Settings(var_dir=var_dir, rasa_port=free_port(), actions_port=free_port(), app_port=free_port())
        supervisor = Supervisor(build_services(settings, with_app=False), var_dir / "logs", settings.host)
        supervisor.start()
        results: dict[str, list[list[float]]] = {"baseline": [], "step-up": []}
        try:
            client = httpx.Client(timeout=60, params={"token": keys.secret(keys.RASA_TOKEN, var_dir)})
            key, url = keys.secret(keys.SENSOR_KEY, var_dir), settings.rasa_url

            def turn(sender: str, text: str, expect: str) -> float:
                started = time.perf_counter()
                replies = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}).json()
                elapsed = (time.perf_counter() - started) * 1000
                said = "\n".join(r.get("text") or "" for r in replies)
                assert expect in said, f"{text!r} -> {said!r}"
                return elapsed

            def sensor(sender: str, intent: str, **entities) -> None:
                client.post(f"{url}/conversations/{sender}/trigger_intent", json={
                    "name": intent, "entities": signed_entities(key, sender, intent, entities)}).raise_for_status()

            def code_for(phone: str) -> str:
                log = (var_dir / "logs" / "actions.log").read_text(encoding="utf-8", errors="replace")
                code = last_demo_code(log, phone)
                assert code
                return code

            for run, ((base, _), (face, _)) in enumerate(zip(customers[::2], customers[1::2])):
                sender = f"bench-base-{run}"             # second factor at the greeting: main's face-only turns
                sensor(sender, "EXTERNAL_id_card_verified", id_number=base.id_number)
                results["baseline"].append([turn(sender, "我要交电费", "确认缴纳"), turn(sender, "确认", "缴费成功")])
                sender = f"bench-face-{run}"             # a face alone: the SMS code first
                sensor(sender, "EXTERNAL_face_recognized", customer_id=face.customer_id)
                asked = turn(sender, "我要交电费", f"尾号{face.phone[-4:]}")
                results["step-up"].append([asked, turn(sender, code_for(face.phone), "确认缴纳"),
                                           turn(sender, "确认", "缴费成功")])
        finally:
            supervisor.stop()
    med = statistics.median
    base, step = results["baseline"], results["step-up"]
    base_total, step_total = [sum(r) for r in base], [sum(r) for r in step]
    lines = [
        "", f"## Step-up by risk: the second factor's added time (bench/bench_step_up.py) — "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
        header + f" Command: `.venv/bin/python bench/bench_step_up.py {' '.join(sys.argv[1:])}`.",
        f"{args.runs} payments per mode, alternating, each by a different seeded customer (own phone, one account "
        "owing money), REST turns to the real Rasa + action server + SQL business system (200 demo customers); "
        "the customer's typing and the SMS delivery are not counted. Baseline in the same run: a customer whose "
        "identity already has a second factor (ID card at the greeting) pays, the turns main had for a face alone.", "",
        "| mode | turns | 我要交电费 ms | code ms | 确认 -> paid ms | robot time per payment, ms (median, min-max) |",
        "|---|---|---|---|---|---|",
        f"| baseline (main's face-only flow) | 2 | {med(r[0] for r in base):.0f} | - | {med(r[1] for r in base):.0f} | "
        f"{med(base_total):.0f} ({min(base_total):.0f}-{max(base_total):.0f}) |",
        f"| face + SMS code | 3 | {med(r[0] for r in step):.0f} | {med(r[1] for r in step):.0f} | "
        f"{med(r[2] for r in step):.0f} | {med(step_total):.0f} ({min(step_total):.0f}-{max(step_total):.0f}) |",
        "",
        f"Added by the second factor: one customer turn (typing the 6-digit code on the keypad) and "
        f"{med(step_total) - med(base_total):.0f} ms of robot time (median); the ID card instead adds its read and "
        "1:1 face match (docs/vision.md). Once verified, the rest of the visit has no further step-up.", ""]
    text = "\n".join(lines)
    print(text)
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
