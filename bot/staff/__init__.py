"""The hall staff console: HallBoard (live state of the hall, notices from the kiosks, pub/sub)
and its web transport (login, page, JSON API, websocket). The app server mounts it with
`add_routes(app, board, settings)`; kiosks report to the board. See docs/staff.md."""
from bot.staff.board import HallBoard, Subscription, UnknownNotice
from bot.staff.notices import Arrival, Departure, EnrolmentAssist, Handoff, Notice
from bot.staff.web import add_routes

__all__ = ["HallBoard", "Subscription", "UnknownNotice", "Notice", "Arrival", "Handoff", "EnrolmentAssist",
           "Departure", "add_routes"]
