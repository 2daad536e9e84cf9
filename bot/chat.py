"""Terminal chat with the running bot. Numbers pick buttons; `:face C000001`, `:left`,
`:event NAME key=value ...` simulate the hall's sensors; `:quit` leaves.

A trainer's tool on the robot's own machine: it reads Rasa's token and the sensor key from var/
(identity.keys), so it can press buttons and sign simulated sensor events as the app does.
Typed lines are always text, as at the kiosk. A reply's custom payload (the kiosk's card) is shown
as one line, checked against hallbot.payloads, so a trainer sees a payload the screen would not draw."""
from __future__ import annotations

import asyncio
import json
import sys
import uuid

from bot.rasa_client import BotMessage, RasaClient, RasaUnavailable, clean_text
from hallbot.payloads import PayloadError, payload_from_dict
from identity import keys
from identity.proof import signed_entities

HELP = "输入消息回车发送；数字选择按钮；:face 客户号 模拟刷脸；:left 顾客离开；:event 意图 k=v；:quit 退出"


def describe_payload(custom: dict) -> str:
    """One line for a reply's custom payload: its type and fields, or why the kiosk would not draw it."""
    try:
        payload = payload_from_dict(custom)
    except PayloadError as error:
        return f"   (卡片不符合约定: {error})"
    fields = {k: v for k, v in payload.to_dict().items() if k != "type"}
    return f"   [{payload.type}] {json.dumps(fields, ensure_ascii=False)}"


def render(messages: list[BotMessage]) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.text:
            print(f"机器人: {message.text}")
        if message.custom:
            print(describe_payload(message.custom))
        for button in message.buttons:
            buttons.append(button)
            print(f"   [{len(buttons)}] {button['title']}")
    if not messages:
        print("机器人: （无回复）")
    return buttons


def pick(line: str, buttons: list[dict[str, str]]) -> tuple[str, str]:
    """What a typed line does: ("press", payload) for a number naming one of the last reply's buttons,
    ("hint", why) for a lone digit that names none (sent as text, NLU read "1" as an account
    number), else ("send", line)."""
    typed = line.strip()
    if not typed.isdigit():
        return "send", line
    if buttons and 0 < int(typed) <= len(buttons):
        return "press", buttons[int(typed) - 1]["payload"]
    if buttons and len(typed) == 1:
        return "hint", f"   （请输入1到{len(buttons)}选择按钮，或直接输入文字）"
    if not buttons and len(typed) == 1:
        return "hint", "   （上一条回复没有按钮可选，请直接输入文字）"
    return "send", line


def parse_event(line: str) -> tuple[str, dict[str, str]]:
    words = line.split()
    if words[0] == ":face":
        return "EXTERNAL_face_recognized", {"customer_id": words[1]} if len(words) > 1 else {}
    if words[0] == ":left":
        return "EXTERNAL_person_left", {}
    name = words[1] if len(words) > 1 else ""
    return name, dict(w.split("=", 1) for w in words[2:] if "=" in w)


def describe_parse(parse: dict) -> str:
    intent = parse.get("intent") or {}
    entities = ", ".join(f"{e['entity']}={e['value']}" for e in parse.get("entities", []))
    return f"   (NLU: {intent.get('name')} {intent.get('confidence', 0):.2f}{'; ' + entities if entities else ''})"


async def chat_loop(url: str, sender: str | None, scripted: list[str] | None, show_nlu: bool = False) -> int:
    client = RasaClient(url, keys.secret(keys.RASA_TOKEN))
    sender = sender or f"chat-{uuid.uuid4().hex[:8]}"
    interactive = scripted is None and sys.stdin.isatty()
    if interactive:
        print(f"会话 {sender}  ({HELP})")
    lines = iter(scripted) if scripted is not None else None
    buttons: list[dict[str, str]] = []
    try:
        while True:
            if lines is not None:
                line = next(lines, None)
            else:
                read = await asyncio.to_thread(lambda: input("你: ") if interactive else sys.stdin.readline())
                line = None if read == "" and not interactive else read.rstrip("\n")
            if line is None or line.strip() == ":quit":
                return 0
            if lines is not None or not interactive:
                print(f"你: {line}")
            try:
                if line.startswith(":"):
                    intent, entities = parse_event(line)
                    signed = signed_entities(keys.secret(keys.SENSOR_KEY), sender, intent, entities)
                    buttons = render(await client.trigger_intent(sender, intent, signed))
                    continue
                action, value = pick(line, buttons)
                if action == "press":
                    buttons = render(await client.press(sender, value))
                    continue
                if action == "hint":
                    print(value)
                    continue
                if show_nlu and line.strip():
                    print(describe_parse(await client.parse(clean_text(line))))
                buttons = render(await client.send(sender, clean_text(line)))
            except RasaUnavailable as exc:
                print(f"错误: {exc}", file=sys.stderr)
                if lines is not None or not interactive:
                    return 1
    except (EOFError, KeyboardInterrupt):
        return 0
    finally:
        await client.close()
