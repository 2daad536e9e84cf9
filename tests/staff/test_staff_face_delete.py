"""A member of staff deletes a customer's face data on their request (issue 12): real HTTP with a
login and the console's CSRF token, against a running face service (its ANN index and
recently-served memory, as in the app process) and the real SQL business system. Without a login,
without the token or from another origin nothing is deleted; the audit line keeps ID numbers masked."""
from __future__ import annotations

import logging
import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import privacy
from bot.staff import add_routes
from bot.staff.accounts import StaffAccounts, roster_from_business
from bot.staff.limiter import LoginLimiter
from business.demo import DEMO_CUSTOMERS
from hallbot.settings import Settings
from tests.security.test_face_erasure import enrol, face_service, identified
from tests.staff.conftest import PASSWORD, FakeClock, client_address
from tests.staff.test_staff_web import client, csrf_of, login

ZW, LN, _ = DEMO_CUSTOMERS


@pytest.fixture
def faces(var_dir):
    svc = face_service(var_dir)
    yield svc
    svc.close()


@pytest.fixture
async def console_url(var_dir, board, business, faces):
    app = web.Application(middlewares=[client_address])
    accounts = StaffAccounts(var_dir / "staff_accounts.json", roster=lambda: roster_from_business(lambda: business),
                             initial_password=PASSWORD, demo=False, force_change=False)
    add_routes(app, board, Settings(var_dir=var_dir), accounts=accounts,
               limiter=LoginLimiter(free_attempts=3, clock=FakeClock()),
               erase_face=privacy.eraser(faces, faces.config.database_url(), lambda: business))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


def kept(faces, business, customer, vec) -> bool:
    return (identified(faces, vec) == customer.customer_id and faces.store.has_consent(customer.customer_id)
            and faces.recent.is_recent(customer.customer_id, time.time())
            and business.find_customer(customer_id=customer.customer_id).face_id == customer.face_id)


async def test_logged_in_staff_delete_a_customers_face_from_every_store(console_url, faces, business, caplog):
    lina, zhang = enrol(faces, LN.customer_id, LN.face_id, 1), enrol(faces, ZW.customer_id, ZW.face_id, 2)
    caplog.set_level(logging.INFO)
    async with client() as s:
        assert (await login(s, console_url)).status == 302
        csrf = await csrf_of(s, console_url)
        assert "删除人脸信息" in await (await s.get(f"{console_url}/staff")).text()
        r = await s.post(f"{console_url}/staff/api/face-delete", json={"customer_id": LN.customer_id},
                         headers={"X-CSRF-Token": csrf})
        assert r.status == 200, await r.text()
        body = await r.json()
        assert body["customer_id"] == LN.customer_id and body["complete"] is True
        assert body["erased"] == {"templates": 1, "consents": 1, "index": 1, "recent": 1, "sessions": 0,
                                  "business_face_id": 1, "business_error": ""}
        assert identified(faces, lina) is None and faces.store.template_ids(LN.customer_id) == []
        assert not faces.store.has_consent(LN.customer_id)
        assert not faces.recent.is_recent(LN.customer_id, time.time())
        assert business.find_customer(customer_id=LN.customer_id).face_id is None
        assert kept(faces, business, ZW, zhang)

        # by the ID number on the customer's card (form post): the audit line masks it
        r = await s.post(f"{console_url}/staff/api/face-delete", data={"id_number": ZW.id_number, "csrf": csrf},
                         headers={"Accept": "application/json"})
        assert r.status == 200 and (await r.json())["customer_id"] == ZW.customer_id
        assert identified(faces, zhang) is None
    audit = [rec.getMessage() for rec in caplog.records if "AUDIT" in rec.getMessage()]
    assert len(audit) == 2 and all("S001" in line for line in audit)
    assert ZW.id_number[-4:] in audit[1] and ZW.id_number not in caplog.text
    assert ZW.phone not in caplog.text and ZW.name not in " ".join(audit) and LN.name not in " ".join(audit)


async def test_without_login_csrf_or_same_origin_nothing_is_deleted(console_url, faces, business):
    vec = enrol(faces, LN.customer_id, LN.face_id, 1)
    url = f"{console_url}/staff/api/face-delete"
    async with client() as s:
        r = await s.post(url, json={"customer_id": LN.customer_id})
        assert r.status == 401
        await login(s, console_url)
        csrf = await csrf_of(s, console_url)
        assert (await s.post(url, json={"customer_id": LN.customer_id})).status == 403               # no token
        assert (await s.post(url, json={"customer_id": LN.customer_id},
                             headers={"X-CSRF-Token": "forged"})).status == 403
        assert (await s.post(url, json={"customer_id": LN.customer_id},
                             headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})).status == 403
        assert (await s.post(url, json={"customer_id": "C0'; drop"}, headers={"X-CSRF-Token": csrf})).status == 400
        assert (await s.post(url, json={"id_number": "110101198503071234"},      # bad checksum
                             headers={"X-CSRF-Token": csrf})).status == 400
    assert kept(faces, business, LN, vec)



async def test_the_app_gives_the_console_the_kiosks_erasure(var_dir):
    """One erasure per app: the console deletes through the same function as the kiosks, which goes
    through the app's running face service when it has one (bot.kiosk.deps.face_eraser)."""
    from bot.app import make_app
    from bot.kiosk.routes import DEPS
    from bot.staff.web import ERASE

    app = make_app(Settings(var_dir=var_dir))
    assert app[DEPS].erase_face is not None and app[ERASE] is app[DEPS].erase_face
    await app.cleanup()
