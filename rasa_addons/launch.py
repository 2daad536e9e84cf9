"""`python -m rasa_addons.launch <rasa args>`: the rasa CLI with hallbot's patches applied.
`--auth-token-file PATH` becomes `--auth-token=<its content>` inside this process only, so the
token is not on the command line other users can read with `ps`. The `=` form matters: a random
urlsafe token starts with "-" one time in 64, and argparse reads a separate "-..." as an option."""
import sys
from pathlib import Path

from hallbot.settings import stock_rasa_load
from rasa_addons import fast_load, live_model


def token_from_file(argv: list) -> list:
    if "--auth-token-file" not in argv:
        return argv
    at = argv.index("--auth-token-file")
    token = Path(argv[at + 1]).read_text(encoding="utf-8").strip()
    if not token:
        raise SystemExit(f"{argv[at + 1]} is empty")
    return argv[:at] + [f"--auth-token={token}"] + argv[at + 2:]


if __name__ == "__main__":
    if not stock_rasa_load():  # the benchmark's baseline switch
        fast_load.install()
    live_model.install()       # PUT /model (`hallbot model switch`) loads beside the model in service
    from rasa.__main__ import main

    sys.argv = ["rasa"] + token_from_file(sys.argv[1:])
    sys.exit(main())
