"""The console's HTTP surface: login (wrong password, back-off counted before the check, supervisor
unlock), forced change of an initial password, server-side sessions that logout revokes, CSRF,
redirects and 401s without a session, snapshot/ack API, and the websocket's live updates."""
from __future__ import annotations

import asyncio
import json
import re
import stat

import aiohttp
import pytest
import yarl

from bot.staff.accounts import StaffAccounts, hash_password, verify_password
from tests.staff.conftest import PASSWORD, serve_console


def client(**kw) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kw)   # unsafe: cookies for 127.0.0.1


async def login(session, url, staff_id="S001", password=PASSWORD, client_address=None):
    headers = {"X-Test-Client": client_address} if client_address else {}
    return await session.post(f"{url}/staff/login", data={"staff_id": staff_id, "password": password},
                              allow_redirects=False, headers=headers)


async def csrf_of(session, url) -> str:
    """The CSRF token the server rendered into the console page of this session."""
    page = await (await session.get(f"{url}/staff")).text()
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_password_hashes():
    stored = hash_password("secret-1")
    assert stored.startswith("scrypt$") and "secret-1" not in stored
    assert verify_password("secret-1", stored) and not verify_password("secret-2", stored)
    assert not verify_password("x", "garbage") and hash_password("secret-1") != stored    # salted


def test_accounts_file_created_once_from_roster(tmp_path):
    from bot.staff.accounts import StaffAccount
    roster = [StaffAccount("S001", "陈静"), StaffAccount("S002", "刘洋")]
    path = tmp_path / "accounts.json"
    accounts = StaffAccounts(path, roster=lambda: roster, initial_password="first-pass")
    assert accounts.authenticate("s001", "first-pass") == StaffAccount("S001", "陈静")
    assert accounts.authenticate("S001", "wrong") is None and accounts.authenticate("S999", "first-pass") is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "first-pass" not in path.read_text()
    accounts.set_password("S002", "second-pass")
    with pytest.raises(ValueError, match="至少"):
        accounts.set_password("S002", "123")
    roster.append(StaffAccount("S003", "赵敏"))        # joins later: gets the initial password, others keep theirs
    again = StaffAccounts(path, roster=lambda: roster, initial_password="first-pass")
    assert again.authenticate("S002", "second-pass") and again.authenticate("S003", "first-pass")


async def test_not_logged_in_is_redirected_or_refused(console):
    async with client() as s:
        r = await s.get(f"{console.url}/staff", allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/staff/login"
        r = await s.get(f"{console.url}/staff/api/snapshot")
        assert r.status == 401 and "登录" in (await r.json())["error"]
        r = await s.post(f"{console.url}/staff/api/ack/n1")
        assert r.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await s.ws_connect(f"{console.url}/ws/staff")
        assert err.value.status == 401
        r = await s.get(f"{console.url}/staff/login")
        assert r.status == 200 and "工号" in await r.text()


async def test_wrong_password_then_login_and_logout(console):
    async with client() as s:
        r = await login(s, console.url, password="wrong")
        assert r.status == 401 and "工号或密码错误" in await r.text()
        r = await s.post(f"{console.url}/staff/login", json={"staff_id": "S001", "password": "wrong"})
        assert r.status == 401 and (await r.json())["error"] == "工号或密码错误"
        r = await login(s, console.url)
        assert r.status == 302 and r.headers["Location"] == "/staff"
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and PASSWORD not in cookie
        assert "Secure" not in cookie                                # plain HTTP (no certificate configured)
        r = await s.get(f"{console.url}/staff")
        assert r.status == 200 and "员工控制台" in await r.text()
        snap = await (await s.get(f"{console.url}/staff/api/snapshot")).json()
        assert snap["me"] == {"staff_id": "S001", "name": "陈静"} and snap["customers"] == []
        r = await s.post(f"{console.url}/staff/logout", data={"csrf": await csrf_of(s, console.url)},
                         allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/staff/login"
        assert (await s.get(f"{console.url}/staff/api/snapshot")).status == 401


async def test_logout_revokes_a_copied_cookie(console):
    """Before: the encrypted cookie carried the login itself, so a copy kept working after logout."""
    async with client() as s:
        assert (await login(s, console.url)).status == 302
        token = s.cookie_jar.filter_cookies(yarl.URL(console.url))["hallbot_staff"].value
        csrf = await csrf_of(s, console.url)
        async with aiohttp.ClientSession(headers={"Cookie": f"hallbot_staff={token}"}) as thief:
            assert (await thief.get(f"{console.url}/staff/api/snapshot")).status == 200
            r = await s.post(f"{console.url}/staff/logout", data={"csrf": csrf}, allow_redirects=False)
            assert r.status == 302
            assert (await thief.get(f"{console.url}/staff/api/snapshot")).status == 401
            r = await thief.get(f"{console.url}/staff", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"] == "/staff/login"


async def test_console_posts_need_the_csrf_token(console, customer):
    arrival = await console.board.customer_arrived("K1", "sess", customer.customer_id)
    async with client() as s:
        assert (await login(s, console.url)).status == 302
        r = await s.post(f"{console.url}/staff/api/ack/{arrival.id}")
        assert r.status == 403 and "刷新" in (await r.json())["error"]
        r = await s.post(f"{console.url}/staff/logout", allow_redirects=False)      # no token: still logged in
        assert r.status == 403 and (await s.get(f"{console.url}/staff/api/snapshot")).status == 200
        csrf = await csrf_of(s, console.url)
        r = await s.post(f"{console.url}/staff/api/ack/{arrival.id}",
                         headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
        assert r.status == 403                                        # right token, foreign page
        r = await s.post(f"{console.url}/staff/api/ack/{arrival.id}", headers={"X-CSRF-Token": csrf})
        assert r.status == 200
        r = await s.post(f"{console.url}/staff/login", data={"staff_id": "S001", "password": PASSWORD},
                         headers={"Origin": "http://evil.example"}, allow_redirects=False)
        assert r.status == 403                                        # login CSRF


async def test_parallel_burst_is_counted_before_the_password_check(console):
    """Before: 30 parallel wrong logins all reached the password check, then the right one got 429."""
    checked = []
    real = console.accounts.authenticate
    console.accounts.authenticate = lambda sid, pw: (checked.append(sid), real(sid, pw))[1]
    async with client() as s:
        results = await asyncio.gather(*(login(s, console.url, password=f"guess-{i}", client_address="10.0.0.66")
                                         for i in range(30)))
        statuses = sorted(r.status for r in results)
        assert len(checked) == 3 and statuses == [401] * 3 + [429] * 27        # the fixture allows 3
        assert all(int(r.headers["Retry-After"]) > 0 for r in results if r.status == 429)
        r = await login(s, console.url, client_address="10.0.0.7")             # the right staff, own kiosk
        assert r.status == 429                                                  # the id waits its back-off ...
        console.clock.now += 30
        assert (await login(s, console.url, client_address="10.0.0.7")).status == 302   # ... which expires


async def test_backoff_doubles_expires_and_a_supervisor_lifts_it(console):
    async with client() as attacker, client() as supervisor, client() as staff:
        assert (await login(supervisor, console.url, staff_id="S000", client_address="10.0.0.2")).status == 302
        for _ in range(3):
            assert (await login(attacker, console.url, password="nope", client_address="10.0.0.66")).status == 401
        r = await login(attacker, console.url, password="nope", client_address="10.0.0.66")
        assert r.status == 429 and "次数过多" in await r.text() and int(r.headers["Retry-After"]) == 30
        console.clock.now += 30                                   # expired: one more guess, then twice as long
        assert (await login(attacker, console.url, password="nope", client_address="10.0.0.66")).status == 401
        assert int((await login(attacker, console.url, password="x", client_address="10.0.0.66"))
                   .headers["Retry-After"]) == 60
        assert (await login(staff, console.url, client_address="10.0.0.7")).status == 429
        csrf = await csrf_of(supervisor, console.url)
        async with client() as other:                             # a plain staff member may not unlock
            assert (await login(other, console.url, staff_id="S002", client_address="10.0.0.3")).status == 302
            r = await other.post(f"{console.url}/staff/api/unlock/S001",
                                 headers={"X-CSRF-Token": await csrf_of(other, console.url)})
            assert r.status == 403
        r = await supervisor.post(f"{console.url}/staff/api/unlock/s001", headers={"X-CSRF-Token": csrf})
        assert r.status == 200 and await r.json() == {"staff_id": "S001", "was_locked": True}
        assert (await login(staff, console.url, client_address="10.0.0.7")).status == 302
        r = await login(attacker, console.url, staff_id="S003", password="x", client_address="10.0.0.66")
        assert r.status == 429                                    # the attacker's address still waits
        r = await login(attacker, console.url, staff_id="", password="")
        assert r.status == 400 and "请输入工号和密码" in await r.text()


async def test_a_supervisor_lifts_a_phones_sms_lock(console, var_dir):
    from identity.sms import OutboxGateway, Outcome, SmsPolicy, SmsVerifier
    verifier = SmsVerifier(var_dir / "hall.sqlite", OutboxGateway(var_dir / "outbox.jsonl"), SmsPolicy(max_attempts=1))
    verifier.send_code("13800138002")
    assert verifier.verify("13800138002", "x").outcome == Outcome.LOCKED
    async with client() as staff, client() as supervisor:
        assert (await login(staff, console.url)).status == 302
        r = await staff.post(f"{console.url}/staff/api/sms-unlock", json={"phone": "13800138002"},
                             headers={"X-CSRF-Token": await csrf_of(staff, console.url)})
        assert r.status == 403
        assert (await login(supervisor, console.url, staff_id="S000")).status == 302
        csrf = await csrf_of(supervisor, console.url)
        r = await supervisor.post(f"{console.url}/staff/api/sms-unlock", json={"phone": "123"},
                                  headers={"X-CSRF-Token": csrf})
        assert r.status == 400 and "手机号" in (await r.json())["error"]
        r = await supervisor.post(f"{console.url}/staff/api/sms-unlock", json={"phone": "13800138002"},
                                  headers={"X-CSRF-Token": csrf})
        assert r.status == 200 and await r.json() == {"phone": "*******8002", "was_locked": True}
    assert verifier.send_code("13800138002").outcome == Outcome.SENT


async def test_initial_password_must_be_changed_before_the_console_works(var_dir, board, business):
    console = await serve_console(var_dir, board, business, force_change=True)
    try:
        async with client() as s, client() as second:
            r = await login(s, console.url)
            assert r.status == 302 and r.headers["Location"] == "/staff/password"
            assert (await login(second, console.url)).status == 302
            r = await s.get(f"{console.url}/staff", allow_redirects=False)
            assert r.status == 302 and r.headers["Location"] == "/staff/password"
            r = await s.get(f"{console.url}/staff/api/snapshot")
            assert r.status == 403 and "修改初始密码" in (await r.json())["error"]
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await s.ws_connect(f"{console.url}/ws/staff")
            page = await (await s.get(f"{console.url}/staff/password")).text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            r = await s.post(f"{console.url}/staff/password", data={"new_password": "abc", "confirm": "abc",
                                                                    "csrf": csrf})
            assert r.status == 400 and "8-256" in await r.text()
            r = await s.post(f"{console.url}/staff/password", data={"new_password": "my-own-pass-1",
                                                                    "confirm": "my-own-pass-1"})
            assert r.status == 403                                        # no CSRF token
            r = await s.post(f"{console.url}/staff/password", allow_redirects=False,
                             data={"new_password": "my-own-pass-1", "confirm": "my-own-pass-1", "csrf": csrf})
            assert r.status == 302 and r.headers["Location"] == "/staff"
            assert (await s.get(f"{console.url}/staff/api/snapshot")).status == 200
            assert (await second.get(f"{console.url}/staff/api/snapshot")).status == 401   # other logins end
            assert console.accounts.authenticate("S001", PASSWORD) is None
            assert not console.accounts.authenticate("S001", "my-own-pass-1").must_change_password
    finally:
        await console.server.close()


def test_demo_password_only_in_demo_mode(tmp_path, monkeypatch):
    from bot.staff.accounts import DEMO_PASSWORD, StaffAccount
    monkeypatch.delenv("HALLBOT_STAFF_PASSWORD", raising=False)
    def roster():
        return [StaffAccount("S001", "陈静")]
    demo = StaffAccounts(tmp_path / "a.json", roster=roster, demo=True)
    account = demo.authenticate("S001", DEMO_PASSWORD)
    assert account and not account.must_change_password                  # the demo: no forced change
    real = StaffAccounts(tmp_path / "a.json", roster=roster, demo=False)  # same file, a real robot
    assert real.authenticate("S001", DEMO_PASSWORD) is None
    with pytest.raises(ValueError, match="演示密码"):
        real.set_password("S001", DEMO_PASSWORD)
    fresh = StaffAccounts(tmp_path / "b.json", roster=roster, demo=False)   # no initial password: none works
    assert fresh.authenticate("S001", DEMO_PASSWORD) is None and fresh.authenticate("S001", "") is None
    fresh.set_password("S001", "set-by-admin", temporary=True)
    assert fresh.authenticate("S001", "set-by-admin").must_change_password
    initial = StaffAccounts(tmp_path / "c.json", roster=roster, demo=False, initial_password="hall-initial")
    assert initial.authenticate("S001", "hall-initial").must_change_password


async def test_cookie_is_secure_over_https(var_dir, board, business, tmp_path):
    from aiohttp.test_utils import TestServer

    from bot.tls import TlsConfigError, server_context
    from hallbot.settings import Settings
    from tests.staff.conftest import console_app
    cert, key = self_signed(tmp_path)
    with pytest.raises(TlsConfigError, match="HALLBOT_TLS_KEY"):
        server_context(cert, None)
    settings = Settings(var_dir=var_dir, tls_cert=cert, tls_key=key)
    app, _, _ = console_app(var_dir, board, business, settings=settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(ssl=server_context(cert, key))
    try:
        async with client(connector=aiohttp.TCPConnector(ssl=False)) as s:
            r = await login(s, str(server.make_url("")).rstrip("/"))
            assert r.status == 302 and "Secure" in r.headers["Set-Cookie"]
    finally:
        await server.close()


def self_signed(tmp_path):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_websocket_pushes_snapshot_updates_and_acks(console, customer):
    acked = []
    console.board.on_ack(acked.append)
    async with client() as s:
        assert (await login(s, console.url, staff_id="S000")).status == 302
        async with s.ws_connect(f"{console.url}/ws/staff") as ws:
            first = await ws.receive_json(timeout=10)
            assert first["event"] == "snapshot" and first["me"]["staff_id"] == "S000"
            arrival = await console.board.customer_arrived("K1", "sess", customer.customer_id)
            update = await ws.receive_json(timeout=10)
            assert update["event"] == "arrival" and update["notice"]["name"] == customer.name
            r = await s.post(f"{console.url}/staff/api/ack/{arrival.id}",
                             headers={"X-CSRF-Token": await csrf_of(s, console.url)})
            assert r.status == 200 and (await r.json())["notice"]["acked_by"]["staff_id"] == "S000"
            update = await ws.receive_json(timeout=10)
            assert update["event"] == "ack" and update["notice"]["id"] == arrival.id
            assert [n.id for n in acked] == [arrival.id]
            r = await s.post(f"{console.url}/staff/api/ack/n-nope", headers={"X-CSRF-Token": await csrf_of(s, console.url)})
            assert r.status == 404 and "找不到通知" in (await r.json())["error"]
            notice = await console.board.enrolment_assist("K1", "sess", "需要协助", customer.customer_id)
            assert (await ws.receive_json(timeout=10))["event"] == "enrolment_assist"
            await ws.send_str(json.dumps({"type": "ack", "notice_id": notice.id}))
            update = await ws.receive_json(timeout=10)
            assert update["event"] == "ack" and update["notice"]["acked_by"]["name"] == "值班长吴刚"
            await ws.send_str("not json")
            assert (await ws.receive_json(timeout=10))["event"] == "error"
    for _ in range(100):                                    # the server notices the closed socket
        if console.board.subscriber_count == 0:
            break
        await asyncio.sleep(0.05)
    assert console.board.subscriber_count == 0


async def test_cross_site_websocket_is_refused(console):
    async with client() as s:
        await login(s, console.url)
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await s.ws_connect(f"{console.url}/ws/staff", origin="http://evil.example")
        assert err.value.status == 403


def test_accounts_command_line(var_dir, monkeypatch, capsys):
    import io

    from bot.staff.accounts import main
    monkeypatch.setenv("HALLBOT_DEMO", "1")                  # the documented demo default below
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "S001\t陈静" in listed and "S000\t值班长吴刚" in listed
    monkeypatch.setattr("sys.stdin", io.StringIO("changed-pass\n"))
    assert main(["passwd", "s001"]) == 0 and "S001 的密码已修改" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["passwd", "S001"]) == 1 and "至少" in capsys.readouterr().err
    accounts = StaffAccounts(var_dir / "staff_accounts.json")
    assert accounts.authenticate("S001", "changed-pass") and not accounts.authenticate("S001", "hallbot-demo")
    assert accounts.authenticate("S002", "hallbot-demo")          # the documented demo default
