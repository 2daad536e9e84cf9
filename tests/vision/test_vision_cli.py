"""`hallbot face ...` / `hallbot idcard ...` through vision.cli.register."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from vision import cli
from vision.image_io import encode_jpeg

CARD_DIR = Path(__file__).parent / "data" / "idcard-sim"


@pytest.fixture
def hallbot(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("HALLBOT_FACE_KEY", raising=False)
    monkeypatch.delenv("HALLBOT_FACE_DB", raising=False)
    monkeypatch.delenv("HALLBOT_BUSINESS_URL", raising=False)
    monkeypatch.delenv("HALLBOT_BUSINESS_DB", raising=False)
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", "20")    # `face delete` clears the business record's face id too
    from business import factory
    factory.reset()
    parser = argparse.ArgumentParser(prog="hallbot")
    cli.register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> tuple[int, object]:
        capsys.readouterr()
        args = parser.parse_args([str(a) for a in argv])
        code = args.func(args)
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    yield run
    factory.reset()


def test_enroll_identify_delete(hallbot, tmp_path, portraits):
    img = tmp_path / "lina.jpg"
    img.write_bytes(encode_jpeg(portraits["astronaut"]))
    other = tmp_path / "other.jpg"
    other.write_bytes(encode_jpeg(portraits["t1-b"]))

    code, out = hallbot("face", "enroll", "--customer", "C000002", "--image", img)
    assert code == 2 and out["reason"] == "no_consent"
    code, out = hallbot("face", "enroll", "--customer", "C000002", "--image", img, "--face-id", "face-lina", "--consent")
    assert code == 0 and out["ok"] and out["face_id"] == "face-lina"
    assert (tmp_path / "var" / "face.key").exists() and (tmp_path / "var" / "face.db").exists()

    code, out = hallbot("face", "identify", img)
    assert code == 0 and out["decision"]["customer_id"] == "C000002"
    code, out = hallbot("face", "identify", other)
    assert code == 3 and out["decision"]["customer_id"] is None

    code, out = hallbot("face", "delete", "C000002")
    assert code == 0 and out["deleted"]["templates"] == 1 and out["deleted"]["consents"] == 1
    assert out["deleted"]["business_face_id"] == 1
    code, out = hallbot("face", "identify", img)
    assert code == 3 and out["decision"]["reason"] == "empty_gallery"


def test_identify_bad_image(hallbot, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 broken")
    code, out = hallbot("face", "identify", bad)
    assert code == 1 and out["events"][0]["type"] == "InvalidImage"
    code, out = hallbot("face", "identify", tmp_path / "missing.jpg")
    assert code == 1 and out["events"][0]["type"] == "InvalidImage"


def test_idcard_read_simulator(hallbot, tmp_path):
    code, out = hallbot("idcard", "read", "--simulator", CARD_DIR)
    assert code == 0 and out["name"] == "李娜" and "*" in out["id_number"] and out["problems"] == []
    assert out["photo_bytes"] > 1000
    code, out = hallbot("idcard", "read", "--simulator", CARD_DIR, "--show-id")
    assert len(out["id_number"]) == 18 and "*" not in out["id_number"]
    code, out = hallbot("idcard", "read", "--simulator", tmp_path)
    assert code == 1 and out["error"] == "no_card"
    code, out = hallbot("idcard", "read", "--port", "/dev/nonexistent-reader")
    assert code == 1 and out["error"] == "device"
