"""`hallbot` command line. Each area contributes its own sub-commands through a
`register(subparsers)` function in its `cli` module (business.cli, vision.cli, voice.cli)."""
from __future__ import annotations

import argparse
import importlib
import sys

AREA_CLIS = ("bot.commands", "bot.model_cli", "bot.conversations_cli", "bot.privacy_cli", "bot.models_cli", "business.cli", "vision.cli", "voice.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallbot", description="hallbot: service-hall robot")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in AREA_CLIS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the area has no CLI yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
