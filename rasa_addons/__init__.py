"""Code that runs INSIDE the Rasa venv (.venv-rasa, Python 3.10): start-up patches for Rasa 3.6.
The rest of hallbot never imports this package (nor rasa)."""
