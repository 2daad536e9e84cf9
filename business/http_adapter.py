"""BusinessSystem over the business HTTP API (httpx, short timeouts). HTTP errors come back as
the same exceptions the SQL system raises; an unreachable server is ServiceUnavailable."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from business import codec
from business.adapter import (
    Account,
    Application,
    Bill,
    BusinessError,
    ComplaintTicket,
    Customer,
    Forbidden,
    Invoice,
    NotFound,
    OutageTicket,
    Payment,
    Profile,
    Recommendation,
    ServiceUnavailable,
    Staff,
)
from hallbot.settings import BUSINESS_HTTP_TIMEOUT_S


class HttpBusiness:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = BUSINESS_HTTP_TIMEOUT_S, connect_timeout_s: float = 1.5,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.client = httpx.Client(base_url=base_url.rstrip("/"), transport=transport,
                                   headers={"Authorization": f"Bearer {token}"},
                                   timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s))

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, *, params: dict | None = None, json: dict | None = None) -> Any:
        try:
            resp = self.client.request(method, path, params={k: v for k, v in (params or {}).items() if v is not None},
                                       json=json)
        except httpx.HTTPError:
            raise ServiceUnavailable() from None
        if resp.status_code < 400:
            return resp.json()
        try:
            err = resp.json()["error"]
            code, message = err["code"], err["message"]
        except (ValueError, KeyError, TypeError):
            code, message = "http_error", ""
        if resp.status_code == 404:
            raise NotFound(message or "没有找到相关信息", code)
        if resp.status_code == 403:
            raise Forbidden(message or "您没有办理该业务的权限", code)
        if resp.status_code >= 500:
            raise ServiceUnavailable(message) if message else ServiceUnavailable()
        raise BusinessError(code, message or "请求不正确", resp.status_code)

    # -- identity ----------------------------------------------------------------------------
    def find_customer(self, *, customer_id: str | None = None, face_id: str | None = None,
                      id_number: str | None = None, account_no: str | None = None,
                      phone: str | None = None) -> Customer | None:
        try:
            data = self._call("GET", "/customers", params={"customer_id": customer_id, "face_id": face_id,
                                                           "id_number": id_number, "account_no": account_no,
                                                           "phone": phone})
        except NotFound as exc:
            if exc.code == "customer_not_found":
                return None
            raise
        return codec.load(Customer, data)

    def clear_face_id(self, customer_id: str) -> bool:
        return bool(self._call("DELETE", f"/customers/{customer_id}/face_id")["had_face_id"])

    def accounts_of(self, customer_id: str) -> list[Account]:
        return [codec.load(Account, a) for a in self._call("GET", f"/customers/{customer_id}/accounts")]

    def profile(self, customer_id: str) -> Profile:
        return codec.load(Profile, self._call("GET", f"/customers/{customer_id}/profile"))

    # -- bills and payments ------------------------------------------------------------------
    def bills(self, account_no: str, *, months: int = 3) -> list[Bill]:
        return [codec.load(Bill, b) for b in self._call("GET", f"/accounts/{account_no}/bills", params={"months": months})]

    def arrears(self, account_no: str) -> Decimal:
        return Decimal(self._call("GET", f"/accounts/{account_no}/arrears")["arrears"])

    def pay(self, account_no: str, amount: Decimal, *, channel: str, actor_customer_id: str) -> Payment:
        body = {"amount": str(amount), "channel": channel, "actor_customer_id": actor_customer_id}
        return codec.load(Payment, self._call("POST", f"/accounts/{account_no}/payments", json=body))

    def issue_invoice(self, account_no: str, period: str | None, *, actor_customer_id: str) -> Invoice:
        body = {"period": period, "actor_customer_id": actor_customer_id}
        return codec.load(Invoice, self._call("POST", f"/accounts/{account_no}/invoices", json=body))

    # -- applications and tickets ------------------------------------------------------------
    def create_application(self, kind: str, *, customer_id: str, account_no: str | None,
                           details: dict[str, str]) -> Application:
        body = {"kind": kind, "customer_id": customer_id, "account_no": account_no, "details": details}
        return codec.load(Application, self._call("POST", "/applications", json=body))

    def get_application(self, application_id: str) -> Application:
        return codec.load(Application, self._call("GET", f"/applications/{application_id}"))

    def report_outage(self, *, address: str, phone: str | None, description: str,
                      customer_id: str | None = None) -> OutageTicket:
        body = {"address": address, "phone": phone, "description": description, "customer_id": customer_id}
        return codec.load(OutageTicket, self._call("POST", "/outages", json=body))

    def file_complaint(self, *, text: str, phone: str | None = None,
                       customer_id: str | None = None) -> ComplaintTicket:
        body = {"text": text, "phone": phone, "customer_id": customer_id}
        return codec.load(ComplaintTicket, self._call("POST", "/complaints", json=body))

    # -- marketing ---------------------------------------------------------------------------
    def recommendations(self, customer_id: str, *, k: int = 3, channel: str = "robot") -> list[Recommendation]:
        data = self._call("GET", f"/customers/{customer_id}/recommendations", params={"k": k, "channel": channel})
        return [codec.load(Recommendation, r) for r in data]

    def record_event(self, customer_id: str | None, *, channel: str, kind: str, text: str = "",
                     phone: str | None = None, account_no: str | None = None) -> None:
        self._call("POST", "/events", json={"customer_id": customer_id, "channel": channel, "kind": kind, "text": text,
                                            "phone": phone, "account_no": account_no})

    def staff_for(self, business_type: str) -> list[Staff]:
        return [codec.load(Staff, s) for s in self._call("GET", "/staff", params={"business_type": business_type})]
