"""`python -m rasa_addons.launch <rasa args>`: the rasa CLI with hallbot's patches applied."""
import os
import sys

from rasa_addons import fast_load

if __name__ == "__main__":
    if os.environ.get("HALLBOT_STOCK_RASA_LOAD") != "1":  # the benchmark's baseline switch
        fast_load.install()
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    sys.exit(main())
