"""The operations dashboard's figures (seed 003), for hall managers: one day's report from the stores
(the visit record bot/visits.py, the risk-review log bot/staff/reviews.py) and the live figures of
the board. Pure reads and arithmetic: the web handlers (bot/staff/web.py) serve them as JSON, CSV
and the page (bot/static/dashboard.html, charts by the npm package chart.js served from the project)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import asdict, dataclass, field

from actions.intent_names import INTENT_NAMES
from bot.visits import RATINGS, VisitLog

from .reviews import ReviewLog

TOP_INTENTS = 8
NOT_ASKED = {"affirm", "deny", "inform", "greet", "thank", "provide_id_number", "provide_account_number",
             "provide_phone", "provide_sms_code", "nlu_fallback"}   # answers, not what a customer came for


@dataclass(frozen=True)
class StaffFigures:
    staff_id: str
    handled: int
    rated: int
    satisfaction: float | None      # mean rating (1..3) of the visits they handled


@dataclass(frozen=True)
class DailyReport:
    day: str
    visitors: int
    recognised: int                 # by face
    identified_otherwise: int       # SMS code, ID card
    anonymous: int
    handed_off: int
    robot_only: int
    turns: int
    fallback_turns: int
    fallback_rate: float | None
    top_intents: list[dict] = field(default_factory=list)   # [{intent, name, count}]
    reviews_opened: int = 0
    reviews_approved: int = 0
    reviews_refused: int = 0
    reviews_open: int = 0
    ratings: int = 0
    satisfaction: float | None = None
    rating_counts: dict[str, int] = field(default_factory=dict)   # 满意 / 一般 / 不满意 -> count
    by_staff: list[StaffFigures] = field(default_factory=list)
    visitors_by_hour: list[int] = field(default_factory=lambda: [0] * 24)

    def to_dict(self) -> dict:
        return asdict(self)


def day_bounds(day: dt.date) -> tuple[float, float]:
    """The hall's local day as epoch seconds [start, end)."""
    start = dt.datetime.combine(day, dt.time())
    return start.timestamp(), (start + dt.timedelta(days=1)).timestamp()


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def daily_report(visits: VisitLog, reviews: ReviewLog | None, day: dt.date) -> DailyReport:
    start, end = day_bounds(day)
    day_visits = visits.visits_between(start, end)
    turns = [t for t in visits.turns_between(start, end)]
    asked = Counter(t.intent for t in turns if t.intent not in NOT_ASKED)
    recognised = sum(v.recognised for v in day_visits)
    identified = sum(1 for v in day_visits if v.customer_id)
    handed_off = sum(v.handed_off for v in day_visits)
    rated = [v.rating for v in day_visits if v.rating is not None]
    hours = [0] * 24
    for v in day_visits:
        hours[dt.datetime.fromtimestamp(v.started_at).hour] += 1
    staff: dict[str, list] = {}
    for v in day_visits:
        if v.handled_by:
            staff.setdefault(v.handled_by, []).append(v.rating)
    records = reviews.between(start, end) if reviews is not None else []
    fallback = sum(t.fallback for t in turns)
    return DailyReport(
        day=day.isoformat(), visitors=len(day_visits), recognised=recognised,
        identified_otherwise=identified - recognised, anonymous=len(day_visits) - identified,
        handed_off=handed_off, robot_only=len(day_visits) - handed_off, turns=len(turns), fallback_turns=fallback,
        fallback_rate=round(fallback / len(turns), 3) if turns else None,
        top_intents=[{"intent": i, "name": INTENT_NAMES.get(i, i), "count": n} for i, n in asked.most_common(TOP_INTENTS)],
        reviews_opened=len(records), reviews_approved=sum(r.decision == "approved" for r in records),
        reviews_refused=sum(r.decision == "refused" for r in records),
        reviews_open=sum(r.decision is None for r in records),
        ratings=len(rated), satisfaction=_mean(rated),
        rating_counts={RATINGS[score]: sum(r == score for r in rated) for score in sorted(RATINGS, reverse=True)},
        by_staff=[StaffFigures(sid, len(rs), sum(r is not None for r in rs), _mean([r for r in rs if r is not None]))
                  for sid, rs in sorted(staff.items())],
        visitors_by_hour=hours)


def live_figures(snapshot: dict) -> dict:
    """Now, from the board: customers at the kiosks, open requests, risk reviews waiting for staff."""
    notices = snapshot.get("notices") or []
    return {"at_kiosks": sum(1 for c in snapshot.get("customers") or [] if c.get("left_at") is None),
            "open_requests": sum(1 for n in notices if n.get("kind") in ("handoff", "enrolment_assist")),
            "open_reviews": sum(1 for n in notices if n.get("kind") == "risk_review")}


def to_csv(report: DailyReport) -> str:
    """The daily report for a spreadsheet: one `figure,value` row each, then the intents, staff and hours."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["指标", "数值"])
    rows = [("日期", report.day), ("访客", report.visitors), ("刷脸识别", report.recognised),
            ("其他方式核验", report.identified_otherwise), ("未识别", report.anonymous),
            ("转人工", report.handed_off), ("机器人办结", report.robot_only), ("对话轮次", report.turns),
            ("未理解轮次", report.fallback_turns), ("未理解比例", "" if report.fallback_rate is None else report.fallback_rate),
            ("风险复核", report.reviews_opened), ("复核通过", report.reviews_approved),
            ("复核拒绝", report.reviews_refused), ("复核待处理", report.reviews_open),
            ("评价数", report.ratings), ("满意度(1-3)", "" if report.satisfaction is None else report.satisfaction)]
    rows += [(f"评价:{name}", n) for name, n in report.rating_counts.items()]
    rows += [(f"业务:{i['name']}", i["count"]) for i in report.top_intents]
    rows += [(f"员工:{s.staff_id}:接手", s.handled) for s in report.by_staff]
    rows += [(f"员工:{s.staff_id}:满意度", "" if s.satisfaction is None else s.satisfaction) for s in report.by_staff]
    rows += [(f"时段:{h:02d}时访客", n) for h, n in enumerate(report.visitors_by_hour)]
    w.writerows(rows)
    return out.getvalue()
