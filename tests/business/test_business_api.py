"""HTTP specifics of the business API: auth, OpenAPI, error shapes, admin endpoints, and the
HTTP adapter's mapping of transport failures."""
from __future__ import annotations

import socket
from decimal import Decimal

import httpx
import pytest

from business.adapter import BusinessError, ServiceUnavailable
from business.http_adapter import HttpBusiness
from business.sql_adapter import SqlBusiness
from tests.business.conftest import TOKEN, ApiServer

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_health_and_openapi_need_no_token(api_server):
    assert httpx.get(api_server.url + "/health").json() == {"status": "ok"}
    spec = httpx.get(api_server.url + "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/customers", "/accounts/{account_no}/payments", "/applications", "/outages",
                 "/customers/{customer_id}/recommendations", "/staff", "/events"):
        assert path in spec["paths"]


def test_openapi_lists_every_route(api_server):
    from business.api import make_app
    app = make_app(object(), "x")
    routes = {r.resource.canonical for r in app.router.routes()}
    spec = httpx.get(api_server.url + "/openapi.json").json()
    assert routes == set(spec["paths"])


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Token": "wrong"}])
def test_token_required(api_server, headers):
    resp = httpx.get(api_server.url + "/customers", params={"phone": "13800138001"}, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized" and "认证" in resp.json()["error"]["message"]


def test_x_token_header_accepted(api_server):
    resp = httpx.get(api_server.url + "/customers", params={"phone": "13800138001"}, headers={"X-Token": TOKEN})
    assert resp.status_code == 200 and resp.json()["name"] == "张伟"


def test_money_is_a_two_place_string(api_server):
    resp = httpx.get(api_server.url + "/accounts/3100000001/arrears", headers=AUTH)
    assert resp.json() == {"account_no": "3100000001", "arrears": "286.50"}


@pytest.mark.parametrize("body, code", [
    (b"{not json", "invalid_json"), (b"[1, 2]", "invalid_json"), (b'{"channel": "robot"}', "missing_field")])
def test_bad_bodies_are_400(api_server, body, code):
    resp = httpx.post(api_server.url + "/accounts/3100000001/payments", content=body,
                      headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == code
    assert httpx.get(api_server.url + "/accounts/3100000001/arrears", headers=AUTH).json()["arrears"] == "286.50"


def test_unknown_endpoint_and_method(api_server):
    resp = httpx.get(api_server.url + "/nothing/here", headers=AUTH)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "no_such_endpoint"
    resp = httpx.delete(api_server.url + "/applications", headers=AUTH)
    assert resp.status_code == 405


def test_staff_needs_business_type(api_server):
    resp = httpx.get(api_server.url + "/staff", headers=AUTH)
    assert resp.status_code == 400 and "business_type" in resp.json()["error"]["message"]


def test_admin_endpoints(api_server):
    stats = httpx.post(api_server.url + "/admin/profiles/recompute", headers=AUTH, timeout=60).json()
    assert stats["customers"] == 300 and sum(stats["by_type"].values()) == 300
    words = httpx.get(api_server.url + "/admin/keywords", params={"period": "2026-10"}, headers=AUTH).json()
    assert words["keywords"] and words["keywords"][0]["count"] >= words["keywords"][-1]["count"]
    assert httpx.get(api_server.url + "/admin/keywords", params={"period": "10/2026"}, headers=AUTH).status_code == 400
    client = HttpBusiness(api_server.url, TOKEN)
    client.recommendations("C000001")
    client.pay("3100000001", Decimal("286.50"), channel="robot", actor_customer_id="C000001")
    report = httpx.get(api_server.url + "/admin/report", params={"period": "2026-11"}, headers=AUTH).json()
    assert report["requests"] == 1 and report["hits"] >= 1 and report["by_service"]["pay_now"] == [1, 1]


def test_connection_refused_is_service_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HttpBusiness(f"http://127.0.0.1:{port}", TOKEN, timeout_s=1, connect_timeout_s=0.5)
    with pytest.raises(ServiceUnavailable) as err:
        client.find_customer(phone="13800138001")
    assert err.value.status == 503 and "稍后" in err.value.message


def test_wrong_token_in_adapter(api_server):
    with pytest.raises(BusinessError) as err:
        HttpBusiness(api_server.url, "nope").arrears("3100000001")
    assert err.value.status == 401 and err.value.code == "unauthorized"


class _Broken(SqlBusiness):
    def staff_for(self, business_type):
        raise RuntimeError("disk on fire")


def test_internal_error_is_500_then_unavailable(sqlite_biz):
    server = ApiServer(_Broken(sqlite_biz.engine, clock=sqlite_biz.clock))
    try:
        resp = httpx.get(server.url + "/staff", params={"business_type": "transfer"}, headers=AUTH)
        assert resp.status_code == 500 and "disk" not in resp.text and "工作人员" in resp.json()["error"]["message"]
        with pytest.raises(ServiceUnavailable):
            HttpBusiness(server.url, TOKEN).staff_for("transfer")
    finally:
        server.stop()
