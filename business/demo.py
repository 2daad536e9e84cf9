"""The fixed demo customers: always present in seeded data; tests and dialogue stories rely on them."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class DemoAccount:
    account_no: str
    category: str            # 居民 / 非居民
    role: str                # this customer's role on it
    arrears: Decimal


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    name: str
    phone: str
    id_number: str
    face_id: str | None
    account: str                                   # main account number
    arrears: Decimal                               # on the main account
    accounts: tuple[DemoAccount, ...] = field(default_factory=tuple)   # every account with a role


DEMO_CUSTOMERS: list[DemoCustomer] = [
    DemoCustomer("C000001", "张伟", "13800138001", "110101198503071235", "face-zhangwei", "3100000001",
                 Decimal("286.50"), (DemoAccount("3100000001", "居民", "holder", Decimal("286.50")),
                                     DemoAccount("3100000004", "居民", "holder", Decimal("0.00")))),
    DemoCustomer("C000002", "李娜", "13800138002", "310104199211202468", "face-lina", "3100000002",
                 Decimal("0.00"), (DemoAccount("3100000002", "居民", "holder", Decimal("0.00")),
                                   DemoAccount("3100000001", "居民", "family", Decimal("286.50")))),
    DemoCustomer("C000003", "王强", "13800138003", "440305197006013577", None, "3100000003",
                 Decimal("0.00"), (DemoAccount("3100000003", "非居民", "holder", Decimal("0.00")),)),
]
DEMO_BY_ID = {c.customer_id: c for c in DEMO_CUSTOMERS}
