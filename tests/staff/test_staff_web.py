"""The console's HTTP surface: login (wrong password, rate limit), redirects and 401s without a
session, snapshot/ack API, and the websocket's live updates."""
from __future__ import annotations

import asyncio
import json
import stat

import aiohttp
import pytest

from bot.staff.accounts import StaffAccounts, hash_password, verify_password
from tests.staff.conftest import PASSWORD


def client(**kw) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kw)   # unsafe: cookies for 127.0.0.1


async def login(session, url, staff_id="S001", password=PASSWORD):
    return await session.post(f"{url}/staff/login", data={"staff_id": staff_id, "password": password},
                              allow_redirects=False)


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
        r = await s.get(f"{console.url}/staff")
        assert r.status == 200 and "员工控制台" in await r.text()
        snap = await (await s.get(f"{console.url}/staff/api/snapshot")).json()
        assert snap["me"] == {"staff_id": "S001", "name": "陈静"} and snap["customers"] == []
        r = await s.post(f"{console.url}/staff/logout", allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/staff/login"
        assert (await s.get(f"{console.url}/staff/api/snapshot")).status == 401


async def test_repeated_failures_are_rate_limited(console):
    async with client() as s:
        for _ in range(3):                                   # the fixture's limiter allows 3 failures
            assert (await login(s, console.url, password="nope")).status == 401
        r = await login(s, console.url)                       # even the right password waits now
        assert r.status == 429 and "次数过多" in await r.text() and int(r.headers["Retry-After"]) > 0
        r = await login(s, console.url, staff_id="", password="")
        assert r.status == 400 and "请输入工号和密码" in await r.text()


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
            r = await s.post(f"{console.url}/staff/api/ack/{arrival.id}")
            assert r.status == 200 and (await r.json())["notice"]["acked_by"]["staff_id"] == "S000"
            update = await ws.receive_json(timeout=10)
            assert update["event"] == "ack" and update["notice"]["id"] == arrival.id
            assert [n.id for n in acked] == [arrival.id]
            r = await s.post(f"{console.url}/staff/api/ack/n-nope")
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
