"""The phone's brain is the robot's Rasa, over HTTP as the kiosk's is (bot/rasa_client.py): what a
caller says or keys goes as text (RasaClient.send makes a leading "/" harmless), and only the
fixed menu payloads the IVR itself offers are pressed."""
from __future__ import annotations

from bot.rasa_client import BotMessage, RasaClient


def spoken(messages: list[BotMessage]) -> list[str]:
    """What a caller can hear of Rasa's replies: their texts (buttons and images need a screen)."""
    return [m.text for m in messages if m.text and m.text.strip()]


class RasaBrain:
    def __init__(self, client: RasaClient) -> None:
        self.client = client

    async def say(self, conversation_id: str, text: str) -> list[str]:
        return spoken(await self.client.send(conversation_id, text, metadata={"channel": "phone"}))

    async def press(self, conversation_id: str, payload: str) -> list[str]:
        return spoken(await self.client.press(conversation_id, payload))
