"""The Rasa token reaches `rasa run` intact whatever its first character (CI once drew a token
starting with "-", and argparse took it for an option: Rasa exited and every Rasa test errored)."""
from __future__ import annotations

import argparse

import pytest

from rasa_addons.launch import token_from_file


def rasa_like_parser() -> argparse.ArgumentParser:
    # The same declaration as rasa/cli/arguments/run.py: `-t/--auth-token`, one string.
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token", type=str)
    parser.add_argument("--enable-api", action="store_true")
    return parser


@pytest.mark.parametrize("token", ["-Xy3_abc", "--looks-like-an-option", "plain_token", "-t"])
def test_token_from_file_survives_argparse(tmp_path, token):
    token_file = tmp_path / "rasa.token"
    token_file.write_text(token + "\n", encoding="utf-8")
    argv = token_from_file(["--enable-api", "--auth-token-file", str(token_file)])
    assert rasa_like_parser().parse_args(argv).auth_token == token


def test_empty_token_file_stops_the_launch(tmp_path):
    token_file = tmp_path / "rasa.token"
    token_file.write_text("  \n", encoding="utf-8")
    with pytest.raises(SystemExit, match="empty"):
        token_from_file(["--auth-token-file", str(token_file)])
