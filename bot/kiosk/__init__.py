"""The kiosk: session state machine (fsm), per-kiosk session logic (session), ID-card check
(id_card), screen messages (messages), WebSocket transport and page (routes), wiring (deps)."""
