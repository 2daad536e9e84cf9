"""Offline labelling (CSV out, labelled CSV back into nlu_data/corrections.yml) and the trainer's
figures (fallback, handoff and containment per day and intent), over encrypted tracker rows."""
from __future__ import annotations

import csv
import shutil

import pytest

from bot import conversations_cli, labelling
from bot.cli import main
from bot.conversations import review
from hallbot.settings import ROOT, Settings
from tests.training.test_conversations import ID_NUMBER, KIOSK_EVENTS, PHONE, WEB_EVENTS, write_tracker


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    var_dir, root = tmp_path / "var", tmp_path / "checkout"
    var_dir.mkdir()
    root.mkdir()
    shutil.copy(ROOT / "domain.yml", root / "domain.yml")
    shutil.copytree(ROOT / "nlu_data", root / "nlu_data")
    (root / "nlu_data" / "corrections.yml").unlink(missing_ok=True)
    write_tracker(var_dir)
    monkeypatch.setattr(conversations_cli, "load", lambda: Settings(root=root, var_dir=var_dir))
    return root


def test_unsure_messages_go_out_masked_and_labelled_rows_come_back_as_examples(checkout, tmp_path, capsys):
    out = tmp_path / "label.csv"
    assert main(["conversations", "--export-csv", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                                   # Excel reads it as UTF-8
    assert ID_NUMBER.encode() not in raw and PHONE.encode() not in raw and b"482913" not in raw
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [(r["text"], r["predicted_intent"]) for r in rows] == [("那个啥东西怎么弄", "nlu_fallback")]
    assert "1 message(s) to label" in capsys.readouterr().out

    assert main(["conversations", "--export-csv", str(out), "--below", "0.95"]) == 0   # the 0.93 and 0.88 too
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 3 and any("*" in r["text"] for r in rows)
    for r in rows:
        r["correct_intent"] = {"那个啥东西怎么弄": "request_human"}.get(r["text"], "provide_id_number")
    rows.append({**rows[0], "correct_intent": ""})
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=labelling.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    assert main(["import-labels", str(out)]) == 1                            # the masked rows are refused
    said = capsys.readouterr().out
    assert said.count("not added: the example holds a private number") == 2 and "label.csv:" in said
    assert "1 example(s) added" in said and "1 row(s) without correct_intent" in said and "2 refused" in said
    assert "那个啥东西怎么弄" in (checkout / "nlu_data" / "corrections.yml").read_text(encoding="utf-8")


def test_a_file_without_the_columns_is_refused(checkout, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["import-labels", str(bad)]) == 1
    assert "no column correct_intent, text" in capsys.readouterr().out


def test_rates_per_day_and_intent_and_the_most_misunderstood():
    kiosk, web = review("K1-0a1b2c3d4e", KIOSK_EVENTS), review("web-5f6a7b", WEB_EVENTS)
    again = review("K2-1", [{**e, "timestamp": e["timestamp"] + 60} for e in KIOSK_EVENTS])
    figures = labelling.analytics([kiosk, web, again])
    days = list(figures.by_day.values())
    assert [(r.conversations, r.fallback, r.handoff, r.contained) for r in days] == [(2, 2, 0, 2), (1, 0, 1, 0)]
    assert figures.by_intent["request_human"].share(figures.by_intent["request_human"].handoff) == 1.0
    assert figures.by_intent["provide_id"].conversations == 2
    assert figures.misunderstood == [("那个啥东西怎么弄", 2)]
    text = labelling.format_analytics(figures)
    assert "100.0%" in text and "那个啥东西怎么弄" in text and ID_NUMBER not in text


def test_the_command_prints_the_figures(checkout, capsys):
    assert main(["conversations", "--stats"]) == 0
    out = capsys.readouterr().out
    assert "contained" in out and "misunderstood most often" in out and ID_NUMBER not in out
