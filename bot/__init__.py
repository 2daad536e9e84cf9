"""The robot's application side: session state machine, app server, channels, CLI."""
