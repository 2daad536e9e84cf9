"""get_business() from the environment, first-run set-up, and the `hallbot business` commands."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from business import factory
from business.http_adapter import HttpBusiness
from business.sql_adapter import SqlBusiness


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("HALLBOT_BUSINESS_URL", "HALLBOT_BUSINESS_TOKEN", "HALLBOT_BUSINESS_DB", "HALLBOT_VAR_DIR",
                 "HALLBOT_DEMO_CUSTOMERS"):
        monkeypatch.delenv(name, raising=False)
    factory.reset()
    yield
    factory.reset()


def test_http_when_url_is_set(monkeypatch):
    monkeypatch.setenv("HALLBOT_BUSINESS_URL", "http://127.0.0.1:5056")
    monkeypatch.setenv("HALLBOT_BUSINESS_TOKEN", "t")
    biz = factory.get_business()
    assert isinstance(biz, HttpBusiness) and factory.get_business() is biz


def test_sql_first_run_migrates_and_seeds(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", "40")
    biz = factory.get_business()
    assert isinstance(biz, SqlBusiness) and (tmp_path / "business.sqlite").exists()
    assert biz.find_customer(phone="13800138001").name == "张伟"
    assert biz.counts()["customers"] == 40
    assert factory.get_business() is biz
    factory.reset()
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", "60")    # not empty any more: no second seed
    assert factory.get_business().counts()["customers"] == 40


def test_db_url_wins_over_var_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HALLBOT_BUSINESS_DB", f"sqlite:///{tmp_path / 'other.sqlite'}")
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", "10")
    factory.get_business()
    assert (tmp_path / "other.sqlite").exists() and not (tmp_path / "var" / "business.sqlite").exists()


def test_cli_seed_profiles_report_keywords(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["business", "seed", "--customers", "60", "--months", "4", "--today", "2026-11-24", "--db", url]) == 0
    assert "seeded 60 customers" in capsys.readouterr().out
    assert main(["business", "seed", "--customers", "60", "--db", url]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["business", "seed", "--customers", "50", "--months", "3", "--replace", "--db", url]) == 0
    assert main(["business", "profiles", "--db", url]) == 0
    assert "profiles of 50 customers" in capsys.readouterr().out
    assert main(["business", "report", "--period", "2026-10", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 0
    assert main(["business", "report", "--period", "2026-13", "--db", url]) == 2
    assert main(["business", "keywords", "--period", "2026-10", "--db", url]) == 0
    assert main(["business", "seed", "--customers", "1", "--replace", "--db", url]) == 2


def test_cli_serve_answers_over_http(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "HALLBOT_DEMO_CUSTOMERS": "20"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "business", "serve", "--db", url, "--port", str(port),
                             "--token", "s3cret", "--profile-interval", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        resp = httpx.get(base + "/customers", params={"id_number": "110101198503071235"},
                         headers={"Authorization": "Bearer s3cret"})
        assert resp.status_code == 200 and resp.json()["customer_id"] == "C000001"
    finally:
        proc.terminate()
        proc.wait(10)
