"""Attack 8: the ID-card path. Any error is a failed check (never EXTERNAL_id_card_verified
without a face match), and consent is recorded only for this visit's customer after the match.
A stolen card with its own photo held up to the camera (printed or still) fails: the face compared
must prove live during the check."""
from __future__ import annotations

from bot.kiosk.session import KioskSession
from tests.kiosk.media import astronaut_portrait, in_frame, live_head, showing
from tests.kiosk.test_kiosk_session import deps_for, place_card


def card_session(hall, hall_faces, screen, tmp_path, customer, find_customer=None, photo=None) -> KioskSession:
    from identity.idcard.simulator import DirectorySimulator

    place_card(tmp_path, customer.id_number, customer.name, customer.id_number[6:14],
               astronaut_portrait() if photo is None else photo)
    deps = deps_for(hall, hall_faces)
    deps.id_reader = DirectorySimulator(tmp_path)
    if find_customer is not None:
        deps.find_customer = find_customer
    return KioskSession("k-sec", deps, screen)


def identified(screen) -> list[dict]:
    return [m for m in screen.messages if m["type"] == "customer" and m.get("customer_id")]


async def ask_for_card(session, screen) -> None:
    await session.text("我想刷身份证")
    await screen.wait_for(lambda m: m["type"] == "prompt" and m["kind"] == "id_card", what="ID card prompt")


async def test_lookup_error_fails_closed(hall, hall_faces, screen, tmp_path):
    """The business lookup raising used to send EXTERNAL_id_card_verified without comparing faces."""
    from vision.sample_faces import identities

    def broken(**_):
        raise ConnectionError("business system down")

    victim = hall.business().find_customer(customer_id="C000001")
    session = card_session(hall, hall_faces, screen, tmp_path, victim, find_customer=broken)
    await session.start()
    try:
        await ask_for_card(session, screen)
        async with showing(session, live_head(identities()["t1-b"])):   # not the card's photo
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: m["type"] == "bot" and "再试一次" in (m["text"] or ""), what="failed check")
        assert not identified(screen)
        assert "身份核验成功" not in screen.bot_text()
    finally:
        await session.close()


async def test_consent_is_recorded_only_after_the_photo_matched(hall, hall_faces, screen, tmp_path):
    from vision.sample_faces import identities

    customer, tom = hall.walk_in(4), identities()["tom"]
    session = card_session(hall, hall_faces, screen, tmp_path, customer, photo=tom)
    await session.start()
    try:
        await ask_for_card(session, screen)
        async with showing(session, live_head(identities()["t1-b"])):   # someone else holds the card
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: m["type"] == "bot" and "比对未通过" in (m["text"] or ""), what="mismatch")
        assert not hall_faces.store.has_consent(customer.customer_id), "consent recorded before the match"
        async with showing(session, live_head(tom)):                    # the holder
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: m["type"] == "customer" and m.get("customer_id"), what="identified")
        assert hall_faces.store.has_consent(customer.customer_id)
    finally:
        await session.close()
        hall_faces.delete_customer(customer.customer_id)   # the gallery other tests use stays as it was


async def test_consent_not_asked_in_this_visit_does_not_count(hall, hall_faces, screen, tmp_path):
    """A ticked box left from the previous customer (no ID-card panel shown in this conversation)."""
    from vision.sample_faces import identities

    customer, tom = hall.walk_in(5), identities()["tom"]
    session = card_session(hall, hall_faces, screen, tmp_path, customer, photo=tom)
    await session.start()
    try:
        async with showing(session, live_head(tom)):
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: m["type"] == "customer" and m.get("customer_id"), what="identified")
        assert not hall_faces.store.has_consent(customer.customer_id)
    finally:
        await session.close()
        hall_faces.delete_customer(customer.customer_id)


async def test_the_cards_own_photo_held_up_fails_the_liveness_of_the_check(hall, hall_faces, screen, tmp_path):
    """A stolen card and its holder's photo: printed and waved, then a still picture. The 1:1 would
    match (it is the card's own photo); the check refuses it as not live and identifies nobody."""
    from vision.liveness.synthetic import photo_sequence

    victim = hall.business().find_customer(customer_id="C000002")       # 李娜, the astronaut photo
    session = card_session(hall, hall_faces, screen, tmp_path, victim)
    await session.start()

    def refused() -> list[dict]:
        return [m for m in screen.messages if m["type"] == "bot" and "没能确认是您本人" in (m["text"] or "")]
    try:
        await ask_for_card(session, screen)
        async with showing(session, photo_sequence(astronaut_portrait(), n=40, fps=8)):
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: len(refused()) == 1, what="a waved print refused")
        assert any(m["type"] == "notice" and m["component"] == "liveness" for m in screen.messages), "asked to blink"
        async with showing(session, [in_frame(astronaut_portrait())]):   # the same still picture, frame after frame
            await session.id_card_placed(consent=True)
        await screen.wait_for(lambda m: "工作人员" in (m.get("text") or "") or len(refused()) == 2, what="a still refused")
        assert not identified(screen)
        assert "身份核验成功" not in screen.bot_text()
    finally:
        await session.close()
