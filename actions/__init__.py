"""Custom actions for the Rasa assistant (served by `rasa_sdk` from the app venv).
Actions stay thin: they read slots, call the business system and the hall services,
and turn results into replies. rasa_sdk discovers every Action subclass in this package."""
from actions import applications, billing, engagement, identity, privacy  # noqa: F401  (registration)
