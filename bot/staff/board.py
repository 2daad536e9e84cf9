"""HallBoard: the live state of the hall for the staff console (who is at which kiosk, what they
probably want, who asked for a person), with publish/subscribe for the console's websockets.

All methods run on the app server's event loop; business-system calls (blocking SQL or HTTP) run
in a worker thread. The business system being down never raises to the caller: the arrival is
still shown, with "资料暂不可用". Memory is bounded: at most `max_notices` notices, and departed
customers are forgotten `departed_ttl_s` seconds after they left.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from bot.staff.notices import (
    CHANNELS,
    CONSUMPTION,
    CUSTOMER_TYPES,
    TIMES,
    UNAVAILABLE,
    Arrival,
    Departure,
    EnrolmentAssist,
    Handoff,
    Notice,
    RiskReview,
)
from hallbot import payloads
from identity.masking import mask_text

from .kiosk_board import AckCallback
from .reviews import ReviewLog, ReviewRecord

log = logging.getLogger(__name__)

MAX_TRANSCRIPT = 50
MAX_TEXT = 500
# Catalogue services whose business kind is not a staff skill -> the skill that handles them.
SERVICE_SKILLS = {"auto_debit_signup": "pay_bill", "tou_signup": "tariff", "app_signup": "consult",
                  "energy_audit": "consult", "outage_notice_signup": "consult"}



class UnknownNotice(KeyError):
    """ack() of a notice id the board does not have (never existed, or dropped as old)."""

    def __init__(self, notice_id: str) -> None:
        super().__init__(notice_id)
        self.notice_id = notice_id
        self.message = f"找不到通知 {notice_id}（可能已过期）"

    def __str__(self) -> str:
        return self.message


def _business_names() -> dict[str, str]:
    from business.catalogue import BUSINESS_TYPES
    return BUSINESS_TYPES


def _business_type_of(service_code: str) -> str:
    """The staff skill that handles a recommended catalogue service."""
    from business.catalogue import BUSINESS_TYPES, SERVICES
    service = next((s for s in SERVICES if s.code == service_code), None)
    kind = service.business_kind if service else service_code
    if kind in BUSINESS_TYPES:
        return kind
    return SERVICE_SKILLS.get(kind, "consult")


def _staff_dicts(staff: list[Any], limit: int = 3) -> list[dict]:
    return [{"staff_id": s.staff_id, "name": s.name, "skills": list(s.skills)} for s in staff[:limit]]


def _clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    return ("" if value is None else str(value)).strip()[:limit]


class Subscription:
    """One subscriber's queue of updates. Iterate with `async for`; close() when done. A subscriber
    that falls `maxsize` updates behind is closed (its console reconnects and reloads the snapshot)."""

    def __init__(self, board: HallBoard, maxsize: int) -> None:
        self._board = board
        self._queue: asyncio.Queue[dict | None] = asyncio.Queue(maxsize=maxsize)
        self.closed = False

    def put(self, update: dict) -> None:
        if self.closed:
            return
        try:
            self._queue.put_nowait(update)
        except asyncio.QueueFull:
            log.warning("staff board: a subscriber fell behind; closing it")
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._board._subscribers.discard(self)
            if not self._queue.full():          # wake a waiting reader; a full queue ends in get()
                self._queue.put_nowait(None)

    async def get(self) -> dict | None:
        """The next update, or None once closed."""
        if self.closed and self._queue.empty():
            return None
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[dict]:
        return self

    async def __anext__(self) -> dict:
        update = await self.get()
        if update is None:
            raise StopAsyncIteration
        return update

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()


class HallBoard:
    def __init__(self, business: Callable[[], Any] | None = None, *, max_notices: int = 200,
                 departed_ttl_s: float = 300.0, subscriber_queue: int = 256,
                 clock: Callable[[], float] = time.time, reviews: ReviewLog | None = None) -> None:
        """`reviews`: where risk reviews are logged (None: not logged, a test's board).
        `business`: returns the BusinessSystem (default business.factory.get_business, called lazily,
        so a board can be built before the database is ready)."""
        if business is None:
            from business.factory import get_business
            business = get_business
        self._business = business
        self.max_notices, self.departed_ttl_s = max_notices, departed_ttl_s
        self._clock = clock
        self._notices: OrderedDict[str, Notice] = OrderedDict()
        self._customers: dict[tuple[str, str], Arrival] = {}       # (kiosk_id, session_id) -> arrival
        self._subscribers: set[Subscription] = set()
        self._subscriber_queue = subscriber_queue
        self._ack_callbacks: list[AckCallback] = []
        self._review_callbacks: list[AckCallback] = []
        self.reviews = reviews

    def business_system(self) -> Any:
        """The business system the board reads (opened when first needed; blocking calls)."""
        return self._business()

    # -- business look-ups (worker thread; failures become "unavailable") -------------------------
    async def _call(self, what: str, fn: Callable[[Any], Any]) -> tuple[bool, Any]:
        def run():
            return fn(self._business())
        try:
            return True, await asyncio.to_thread(run)
        except Exception as exc:   # noqa: BLE001 - the console must keep working without the business system
            log.warning("staff board: %s failed: %s", what, getattr(exc, "message", exc))
            return False, None

    async def _customer_name(self, customer_id: str | None) -> str:
        if not customer_id:
            return "未识别客户"
        ok, customer = await self._call("find_customer", lambda b: b.find_customer(customer_id=customer_id))
        if not ok:
            return UNAVAILABLE
        return customer.name if customer else f"未知客户（{customer_id}）"

    # -- kiosk events -----------------------------------------------------------------------------
    async def customer_arrived(self, kiosk_id: str, session_id: str, customer_id: str | None,
                               recently_served: bool = False,
                               recommendations: tuple[payloads.Recommendation, ...] | None = None) -> Arrival:
        """`recommendations`: the ones the greeting already offered (its Recommendations payload), so
        the board does not ask the business system a second time; None = look them up."""
        arrival = Arrival(_clean_text(kiosk_id, 64), _clean_text(session_id, 64),
                          customer_id=_clean_text(customer_id, 64) or None, recently_served=bool(recently_served))
        arrival.name = await self._customer_name(arrival.customer_id)
        if arrival.customer_id and arrival.name != UNAVAILABLE:
            await self._fill_profile(arrival, recommendations)
        elif arrival.customer_id:
            arrival.profile_summary = {"note": UNAVAILABLE}
        old = self._customers.get((arrival.kiosk_id, arrival.session_id))
        if old is not None:
            self._notices.pop(old.id, None)
        self._customers[(arrival.kiosk_id, arrival.session_id)] = arrival
        self._add(arrival)
        return arrival

    async def _fill_profile(self, arrival: Arrival, offered: tuple[payloads.Recommendation, ...] | None = None) -> None:
        cid = arrival.customer_id
        ok, profile = await self._call("profile", lambda b: b.profile(cid))
        if ok and profile is not None:
            arrival.profile_summary = {
                "customer_type": profile.customer_type,
                "customer_type_name": CUSTOMER_TYPES.get(profile.customer_type, profile.customer_type),
                "credit": profile.credit,
                "activity": round(float(profile.activity), 2),
                "consumption_level": CONSUMPTION.get(profile.consumption_level, profile.consumption_level),
                "preferred_channel": CHANNELS.get(profile.channel_pref, profile.channel_pref),
                "preferred_time": TIMES.get(profile.time_pref, profile.time_pref),
                "keywords": list(profile.keywords)[:8],
                "tags": list(profile.tags)[:8],
            }
        else:
            arrival.profile_summary = {"note": UNAVAILABLE}
        if offered is not None:
            predicted = [(r.code, r.title, r.reason) for r in offered]
        else:
            ok, recs = await self._call("recommendations", lambda b: b.recommendations(cid, k=3))
            predicted = [(r.service_code, r.title, r.reason) for r in recs or []]
        names = _business_names()
        for code, title, reason in predicted:
            kind = _business_type_of(code)
            arrival.predicted_business.append({"service_code": code, "title": title, "business_type": kind,
                                               "business_name": names.get(kind, kind), "reason": reason})
        top = arrival.predicted_business[0]["business_type"] if arrival.predicted_business else "consult"
        ok, staff = await self._call("staff_for", lambda b: b.staff_for(top))
        arrival.staff = _staff_dicts(staff or [])

    async def handoff_requested(self, kiosk_id: str, session_id: str, payload: payloads.Handoff | dict) -> Handoff:
        """`payload`: the action server's custom message, `hallbot.payloads.Handoff` (or its dict:
        read field by field and cleaned, so a malformed one still reaches staff)."""
        if isinstance(payload, payloads.Handoff):
            payload = payload.to_dict()
        if not isinstance(payload, dict):
            raise ValueError("转人工通知的内容必须是对象（JSON object）")
        names = _business_names()
        business_type = _clean_text(payload.get("business_type"), 32) or "consult"
        customer_id = _clean_text(payload.get("customer_id"), 64) or None
        transcript = []
        for line in (payload.get("transcript") or [])[-MAX_TRANSCRIPT:]:
            if isinstance(line, dict) and _clean_text(line.get("text")):
                who = "customer" if line.get("who") == "customer" else "robot"
                # every member of staff sees it: ID numbers, phones, account numbers and SMS codes masked
                transcript.append({"who": who, "text": mask_text(_clean_text(line.get("text")))})
        staff = [{"staff_id": _clean_text(s.get("staff_id"), 16), "name": _clean_text(s.get("name"), 32)}
                 for s in (payload.get("staff") or []) if isinstance(s, dict)][:3]
        if not staff:
            ok, found = await self._call("staff_for", lambda b: b.staff_for(business_type))
            staff = _staff_dicts(found or [])
        handoff = Handoff(_clean_text(kiosk_id, 64), _clean_text(session_id, 64), customer_id=customer_id,
                          business_type=business_type, business_name=names.get(business_type, business_type),
                          reason=mask_text(_clean_text(payload.get("reason"), 200)) or "客户需要人工服务",
                          transcript=transcript, staff=staff)
        present = self._customers.get((handoff.kiosk_id, handoff.session_id))
        if present is not None and (customer_id is None or present.customer_id == customer_id):
            handoff.name = present.name
            handoff.customer_id = handoff.customer_id or present.customer_id
        else:
            handoff.name = await self._customer_name(customer_id)
        self._add(handoff)
        return handoff

    async def enrolment_assist(self, kiosk_id: str, session_id: str, reason: str,
                               customer_id: str | None = None) -> EnrolmentAssist:
        notice = EnrolmentAssist(_clean_text(kiosk_id, 64), _clean_text(session_id, 64),
                                 reason=mask_text(_clean_text(reason, 200)) or "需要工作人员协助",
                                 customer_id=_clean_text(customer_id, 64) or None)
        present = self._customers.get((notice.kiosk_id, notice.session_id))
        notice.name = present.name if present is not None and present.customer_id == notice.customer_id \
            else await self._customer_name(notice.customer_id)
        self._add(notice)
        return notice

    async def customer_left(self, kiosk_id: str, session_id: str) -> Departure:
        key = (_clean_text(kiosk_id, 64), _clean_text(session_id, 64))
        present = self._customers.get(key)
        departure = Departure(*key, customer_id=present.customer_id if present else None,
                              name=present.name if present else "")
        if present is not None and present.left_at is None:
            present.left_at = self._clock()
        self._add(departure)
        return departure

    async def risk_review(self, kiosk_id: str, session_id: str, payload: payloads.RiskReview,
                          evidence: dict) -> RiskReview:
        """The actions paused `payload.operation`; `evidence` is the kiosk's own emotion verdict."""
        notice = RiskReview(_clean_text(kiosk_id, 64), _clean_text(session_id, 64),
                            review_id=_clean_text(payload.review_id, 64), operation=_clean_text(payload.operation, 32),
                            summary=mask_text(_clean_text(payload.summary, 200)),
                            customer_id=_clean_text(payload.customer_id, 64) or None, evidence=dict(evidence))
        present = self._customers.get((notice.kiosk_id, notice.session_id))
        notice.name = present.name if present is not None and present.customer_id == notice.customer_id \
            else await self._customer_name(notice.customer_id)
        if self.reviews is not None:
            record = ReviewRecord(notice.review_id, notice.kiosk_id, notice.session_id, notice.operation,
                                  notice.customer_id, notice.evidence, notice.ts)
            await asyncio.to_thread(self.reviews.opened, record)
        self._add(notice)
        return notice

    async def decide(self, notice_id: str, staff_id: str, staff_name: str, approve: bool) -> RiskReview:
        """Staff approve or refuse a risk review; the first decision counts, and the kiosk is told."""
        notice = self._notices.get(str(notice_id))
        if not isinstance(notice, RiskReview):
            raise UnknownNotice(str(notice_id))
        if notice.decision is None:
            notice.decision = "approved" if approve else "refused"
            notice.status, notice.acked_at = "acknowledged", self._clock()
            notice.acked_by = {"staff_id": str(staff_id), "name": staff_name or str(staff_id)}
            if self.reviews is not None:
                await asyncio.to_thread(self.reviews.decided, notice.review_id, notice.decision, str(staff_id),
                                        notice.acked_at)
            self._publish({"event": "review", "notice": notice.to_dict()})
            await self._notify(self._review_callbacks, notice)
        return notice

    def on_review(self, callback: AckCallback) -> Callable[[], None]:
        """Call `callback(notice)` when staff decide a risk review; returns the unsubscribe."""
        self._review_callbacks.append(callback)
        return lambda: self._review_callbacks.remove(callback) if callback in self._review_callbacks else None

    async def _notify(self, callbacks: list[AckCallback], notice: Notice) -> None:
        for callback in list(callbacks):
            try:
                result = callback(notice)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("staff board: callback failed")

    # -- staff ------------------------------------------------------------------------------------
    async def ack(self, notice_id: str, staff_id: str, staff_name: str = "") -> Notice:
        """Staff `staff_id` takes care of the notice. Acknowledging twice keeps the first taker."""
        notice = self._notices.get(str(notice_id))
        if notice is None:
            raise UnknownNotice(str(notice_id))
        if isinstance(notice, RiskReview):
            raise UnknownNotice(str(notice_id))   # a review is decided (approve / refuse), not acknowledged
        if notice.status == "open":
            notice.status, notice.acked_at = "acknowledged", self._clock()
            notice.acked_by = {"staff_id": str(staff_id), "name": staff_name or str(staff_id)}
            self._publish({"event": "ack", "notice": notice.to_dict()})
            for callback in list(self._ack_callbacks):
                try:
                    result = callback(notice)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("staff board: on_ack callback failed")
        return notice

    def on_ack(self, callback: AckCallback) -> Callable[[], None]:
        """Call `callback(notice)` (sync or async) whenever staff acknowledge a notice, e.g. so the
        kiosk can say "工作人员XX正在赶来". Returns a function that removes it again (as off_ack)."""
        self._ack_callbacks.append(callback)
        return lambda: self.off_ack(callback)

    def off_ack(self, callback: AckCallback) -> None:
        """Stop calling `callback` (a kiosk connection that closed); unknown callbacks are ignored."""
        try:
            self._ack_callbacks.remove(callback)
        except ValueError:
            pass

    def get(self, notice_id: str) -> Notice | None:
        return self._notices.get(notice_id)

    def snapshot(self) -> dict:
        """{"customers": arrivals at the kiosks now (and recently departed, with left_at),
        "notices": open handoff / enrolment-assist / arrival notices, newest first,
        "recent": the latest 50 notices of any kind and status, newest first}."""
        self._purge()
        customers = sorted(self._customers.values(), key=lambda a: a.ts, reverse=True)
        notices = [n for n in reversed(self._notices.values()) if n.status == "open" and n.type != "departure"]
        recent = list(reversed(self._notices.values()))[:50]
        return {"customers": [a.to_dict() for a in customers], "notices": [n.to_dict() for n in notices],
                "recent": [n.to_dict() for n in recent], "ts": self._clock()}

    def subscribe(self) -> Subscription:
        """A queue of updates {"event": arrival|handoff|enrolment_assist|departure|ack, "notice": {...}}."""
        sub = Subscription(self, self._subscriber_queue)
        self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # -- internals --------------------------------------------------------------------------------
    def _add(self, notice: Notice) -> None:
        self._notices[notice.id] = notice
        while len(self._notices) > self.max_notices:
            self._notices.popitem(last=False)
        self._purge()
        self._publish({"event": notice.type, "notice": notice.to_dict()})

    def _purge(self) -> None:
        now = self._clock()
        for key, arrival in list(self._customers.items()):
            if arrival.left_at is not None and now - arrival.left_at > self.departed_ttl_s:
                del self._customers[key]

    def _publish(self, update: dict) -> None:
        for sub in list(self._subscribers):
            sub.put(update)
