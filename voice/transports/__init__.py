"""Transports move audio between a device and a VoiceSession; no speech logic lives here."""
