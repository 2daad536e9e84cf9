"""The phone service as `hallbot run` starts it: a supervised process on UDP, health-checked by a
SIP OPTIONS ping, restarted when it dies; the speech service no longer takes SIP's port 5060."""
from __future__ import annotations

import os
import signal

import pytest

from bot.commands import build_services
from bot.supervisor import PortInUse, RestartPolicy, Supervisor, ensure_port_free
from hallbot import settings as S
from phone.sip import sip_ping

from .sipp_peer import free_udp_port


def test_speech_service_is_off_sips_port_and_the_phone_is_on_5080(tmp_path, monkeypatch):
    for name in (S.SPEECH_PORT, S.SIP_PORT, S.SIP_HOST):
        monkeypatch.delenv(name, raising=False)
    settings = S.Settings(var_dir=tmp_path)
    assert settings.speech_port == 5070 and settings.speech_port != 5060
    phone = next(s for s in build_services(settings, with_app=True) if s.name == "phone")
    assert (phone.port, phone.protocol, phone.probe is not None) == (5080, "udp", True)
    assert "phone" not in [s.name for s in build_services(settings, with_app=False)]
    monkeypatch.setenv(S.SIP_PORT, "0")
    assert "phone" not in [s.name for s in build_services(S.Settings(var_dir=tmp_path), with_app=True)]


def test_bad_phone_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv(S.RTP_PORTS, "20000")
    with pytest.raises(S.SettingError, match="HALLBOT_RTP_PORTS"):
        S.PhoneSettings.from_env()


def test_phone_service_is_supervised_with_a_sip_options_ping(tmp_path, monkeypatch):
    port = free_udp_port()
    monkeypatch.setenv(S.SIP_PORT, str(port))
    settings = S.Settings(var_dir=tmp_path)
    service = next(s for s in build_services(settings, with_app=True) if s.name == "phone")
    supervisor = Supervisor([service], tmp_path / "logs", settings.host,
                            policy=RestartPolicy(backoff_base_s=0.1, health_interval_s=0.2))
    try:
        supervisor.start()
        assert sip_ping("127.0.0.1", port)
        with pytest.raises(PortInUse, match="/udp"):
            ensure_port_free("127.0.0.1", port, "phone", "udp")
        assert service.process is not None
        first = service.process.pid
        os.killpg(first, signal.SIGKILL)
        service.process.wait()
        supervisor.tick()                     # exited -> back-off
        assert service.state == "backoff"
        supervisor.tick(service.next_start_at)   # back-off over -> spawned again
        supervisor.wait_ready(service)
        assert service.process.pid != first and sip_ping("127.0.0.1", port)
    finally:
        supervisor.stop()
    assert not sip_ping("127.0.0.1", port, timeout_s=0.5)
