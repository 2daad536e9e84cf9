"""Phone callers reach the robot through SIP: a small UAS (sip, sdp, call), RTP media (rtp) and a
per-call conversation through the same voice pipeline and Rasa model as the kiosk (conversation).
docs/phone.md says how to call it and how a PBX connects."""
