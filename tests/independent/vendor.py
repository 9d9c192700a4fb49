#!/usr/bin/env python3
"""An independent simulator of the Yeastar Partner Portal API.

Written from the vendor facts alone (docs/vendor-api.md and the five seed tutorials in
tests/fixtures/seeds/), not from entitle's own sandbox. Python 3 standard library only.

    python3 vendor.py --port 0 [--list-lag S] [--effect-lag S] [--no-echo]

prints `PORT <n>` on stdout once it listens. Its clock is the real time (UTC); every answer
carries the HTTP `Date` header (http.server sends it).

Two credentials are accepted, both for the same partner account:
    alpha / alpha-secret      beta / beta-secret

Admin switches (not part of the vendor API, no auth), all JSON:

    GET  /_admin/status    {"saves": n, "held": [...], "orders": [...committed orders...],
                            "autoRenewSwitches": [...], "config": {...}, "requests": {...}}
    POST /_admin/config    {"listLag": s, "effectLag": s, "echo": bool}
    POST /_admin/hold      {"phase": "before_commit"|"after_commit", "skip": N}
                           hold the (N+1)-th order save from now at that phase until released
    POST /_admin/release   release every held save
    POST /_admin/fault     {"kind": K, "skip": N}: the (N+1)-th order save from now is committed,
                           then answered with K instead of success:
                             token_expired      HTTP 401, code token_expired
                             too_many_requests  HTTP 429, code too_many_requests, Retry-After: 1
                             business_rule      HTTP 200, code business_rule_violation
                             internal_error     HTTP 500, code internal_error
                             drop               the connection is closed with no answer
"""

import argparse
import calendar
import datetime
import json
import random
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BILLING_ID = "3197218168379846218"
CREDENTIALS = {"alpha": "alpha-secret", "beta": "beta-secret"}
ACCESS_TTL = 1800
MAX_PAGE = 100
DEFAULT_PAGE = 25

PRODUCT_NAMES = {
    9: "Linkus Cloud Service",
    11: "P-Series Appliance Edition",
    12: "P-Series Software Edition",
    13: "P-Series Cloud PBX (PCE Instance)",
}


def plan(pid, name, tier, cycles):
    return {"planId": pid, "planName": name, "pricingId": pid + 1, "tier": tier,
            "billingCycles": cycles, "purchaseType": "purchase"}


def service(sid, name, kind, requires=(), cycles=("annually",)):
    return {"serviceId": sid, "serviceName": name, "pricingId": sid + 1, "kind": kind,
            "requiresPlanIds": list(requires), "billingCycles": list(cycles),
            "purchaseType": "purchase"}


SE_ULTIMATE = 3049040650094409999
CATALOG = {
    9: {"offeringId": "3049000000000000009",
        "planList": [plan(3048918321840570368, "Linkus Cloud Service", 1, ["annually"]),
                     plan(3048918719332507648, "Linkus Cloud Service Pro", 2, ["annually"])],
        "serviceList": []},
    11: {"offeringId": "3049000000000000011",
         "planList": [plan(3048558946648207360, "Standard Plan", 1, ["monthly", "annually"]),
                      plan(3048560232537899008, "Enterprise Plan", 2, ["monthly", "annually"]),
                      plan(3048560606464323584, "Ultimate Plan", 3, ["monthly", "annually"])],
         "serviceList": []},
    12: {"offeringId": "3049000000000000001",
         "planList": [plan(3049040650094403584, "Enterprise Plan", 2, ["annually"]),
                      plan(SE_ULTIMATE, "Ultimate Plan", 3, ["annually"])],
         "serviceList": [
             service(3115983610256539648, "Hotel PMS Integration", "feature"),
             service(3049060579827040256, "Extension Expansion", "extensions"),
             service(3049060579827041111, "Concurrent Call Expansion", "concurrent_calls"),
             service(3115983610256530001, "Hot Standby", "feature"),
             service(3115983610256530002, "Disaster Recovery", "feature", [SE_ULTIMATE]),
             service(3115983610256530003, "Outbound Call Center", "feature"),
         ]},
    13: {"offeringId": "3049000000000000013",
         "planList": [plan(3048571730026938368, "Enterprise Plan", 2, ["monthly", "annually"]),
                      plan(3048572026291630080, "Ultimate Plan", 3, ["monthly", "annually"])],
         "serviceList": [
             service(3048573516041273344, "Extension Expansion", "extensions", (), ("monthly", "annually")),
             service(3048573759449317376, "Recording Minutes", "recording_minutes", (), ("monthly", "annually")),
             service(3048573935752720384, "High Availability", "per_extension", (), ("monthly", "annually")),
         ]},
}
CAPACITY_PRODUCTS = {12, 13}   # products whose detail carries extension / call counts


def find_plan(pid, plan_id):
    for p in CATALOG[pid]["planList"]:
        if p["planId"] == plan_id:
            return p
    return None


def find_service(pid, sid):
    for s in CATALOG[pid]["serviceList"]:
        if s["serviceId"] == sid:
            return s
    return None


def find_pricing(pid, pricing_id):
    for p in CATALOG[pid]["planList"]:
        if p["pricingId"] == pricing_id:
            return ("plan", p)
    for s in CATALOG[pid]["serviceList"]:
        if s["pricingId"] == pricing_id:
            return ("service", s)
    return None


# ---------------------------------------------------------------------------------------------
# dates


def utc_now():
    return time.time()


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def add_years(d, n):
    y = d.year + n
    day = min(d.day, calendar.monthrange(y, d.month)[1])
    return d.replace(year=y, day=day)


def add_months(d, n):
    m0 = d.month - 1 + n
    y = d.year + m0 // 12
    m = m0 % 12 + 1
    day = min(d.day, calendar.monthrange(y, m)[1])
    return datetime.date(y, m, day)


def term_end(start, cycle, multi):
    if cycle == "monthly":
        return add_months(start, 1)
    return add_years(start, max(1, multi))


# ---------------------------------------------------------------------------------------------
# errors


class ApiError(Exception):
    def __init__(self, http, code, message, result=None, headers=None):
        super().__init__(message)
        self.http = http
        self.code = code
        self.message = message
        self.result = result
        self.headers = headers or {}


def bad_param(field, reason):
    return ApiError(400, "parameter_validation_failed", f"{field}: {reason}",
                    {"field": field, "reason": reason})


def rule(message):
    return ApiError(400, "business_rule_violation", message)


def as_int(value, field, required=True):
    """IDs arrive as JSON numbers or numeric strings; never through a float."""
    if value is None:
        if required:
            raise bad_param(field, "required")
        return None
    if isinstance(value, bool):
        raise bad_param(field, "must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise bad_param(field, "must be an integer")


# ---------------------------------------------------------------------------------------------
# state


class State:
    def __init__(self, list_lag, effect_lag, echo, rng_seed=None):
        self.lock = threading.RLock()
        self.rng = random.Random(rng_seed)
        self.list_lag = list_lag
        self.effect_lag = effect_lag
        self.echo = echo
        self.tokens = {}          # access token -> (client_id, expiry)
        self.refresh = {}         # refresh token -> client_id
        self.instances = {}       # (productId, productNo) -> dict
        self.orders = []          # every order, seeded history included
        self.save_seq = 0         # order saves that arrived since start
        self.holds = []           # {"at": seq, "phase": ...}
        self.faults = []          # {"at": seq, "kind": ...}
        self.held = {}            # seq -> {"phase", "since", "event"}
        self.auto_renew_calls = []
        self.requests = {}
        self.next_id = 3206271046934061056 + self.rng.randrange(1 << 20) * 4096
        self.seed()

    # -- seed --------------------------------------------------------------------------------
    def add_instance(self, pid, sn, plan_id, cycle, multi, expire, ext=None, calls=None,
                     services=None, comment="", auto_renew=False):
        self.instances[(pid, sn)] = {
            "productId": pid, "productNo": sn,
            "activationCode": "-".join(secrets.token_hex(2).upper() for _ in range(4)),
            "activationStatus": "activated", "comment": comment,
            "createTime": int((utc_now() - 400 * 86400) * 1000),
            "instanceId": str(1000000 + self.rng.randrange(900000)),
            "planId": plan_id, "billingCycle": cycle or "", "multiCycle": multi,
            "expireDate": expire, "ext": ext, "calls": calls,
            "rec": 0 if pid in CAPACITY_PRODUCTS else None,
            "services": services or {}, "autoRenew": auto_renew, "pendingSwitch": None,
        }

    def seed(self):
        t = today()
        se_ent = 3049040650094403584
        self.add_instance(12, "3651D3296882", se_ent, "annually", 1, t + datetime.timedelta(days=160),
                          ext=100, calls=30, comment="Acme HQ")
        self.add_instance(12, "3651D3290001", se_ent, "annually", 1, t + datetime.timedelta(days=200),
                          ext=50, calls=10, comment="Acme branch")
        self.add_instance(12, "3651D3290777", se_ent, "annually", 1, t + datetime.timedelta(days=90),
                          ext=20, calls=8, comment="Old customer")
        self.add_instance(11, "3631E0997265", 3048560232537899008, "monthly", 0,
                          t + datetime.timedelta(days=28), comment="Globex plant")
        self.add_instance(9, "369471667338", None, "", 0, None, comment="Initech")
        ha = 3048573935752720384
        pce_exp = t + datetime.timedelta(days=18)
        self.add_instance(13, "3658B431119665QJ", 3048571730026938368, "annually", 1, pce_exp,
                          ext=100, calls=None, services={ha: {"quantity": 100, "expireDate": pce_exp, "perExtension": True}},
                          comment="Umbrella FRA")
        # History: orders on an unrelated PBX, spread over more than a year, some in the last month.
        now = utc_now()
        ages = [400 - 3 * i for i in range(120)] + [20, 9, 2]
        for age in sorted(ages, reverse=True):
            created = now - age * 86400 - self.rng.randrange(3600)
            self.orders.append(self.make_order(12, "3651D3290777", "purchase_service",
                                               "", created, seeded=True, amount="100.00",
                                               lines=[], echo_ref=f"PO-{int(created)}"))

    def new_id(self):
        self.next_id += 4096 + self.rng.randrange(4096)
        return self.next_id

    def make_order(self, pid, sn, op, po, created, seeded=False, amount="0.00", lines=(),
                   echo_ref=None):
        oid = self.new_id()
        prefix = self.rng.choice(["UO", "OQ", "TU", "LR", "BN"])
        return {
            "id": oid, "orderNo": f"{prefix}{oid}", "transactionNo": f"QO{oid + 1}",
            "productId": pid, "productNo": sn, "operationType": op, "poNumber": po,
            "customReferenceNo": echo_ref if echo_ref is not None else (po if self.echo else ""),
            "createTime": int(created * 1000), "listAt": created + (0 if seeded else self.list_lag),
            "effectAt": created + (0 if seeded else self.effect_lag), "applied": seeded,
            "seeded": seeded, "orderStatus": "succeed", "totalAmount": amount,
            "lines": list(lines), "invoiceNo": f"INV-{oid % 1000000:06d}",
        }

    # -- effects -----------------------------------------------------------------------------
    def materialize(self):
        now = utc_now()
        due = sorted((o for o in self.orders if not o["applied"] and o["effectAt"] <= now),
                     key=lambda o: (o["effectAt"], o["id"]))
        for o in due:
            self.apply_effect(o)
            o["applied"] = True
        d = today()
        for inst in self.instances.values():
            ps = inst["pendingSwitch"]
            if ps and ps["at"] <= d:
                inst["pendingSwitch"] = None

    def apply_effect(self, o):
        inst = self.instances[(o["productId"], o["productNo"])]
        pid = o["productId"]
        created = datetime.datetime.fromtimestamp(o["createTime"] / 1000, datetime.timezone.utc).date()
        op = o["operationType"]
        lines = o["lines"]
        plan_lines = [l for l in lines if l["serviceType"] == "plan"]
        svc_lines = [l for l in lines if l["serviceType"] == "service"]
        if op == "purchase_plan":
            pl = plan_lines[0]
            inst["planId"] = pl["serviceId"]
            inst["billingCycle"] = pl["billingCycle"]
            inst["multiCycle"] = pl["multiCycle"]
            inst["expireDate"] = term_end(created, pl["billingCycle"], pl["multiCycle"])
            if pid == 13 and pl.get("quantity"):
                inst["ext"] = pl["quantity"]
        elif op == "switch_plan":
            pl = plan_lines[0]
            old = find_plan(pid, inst["planId"])
            new = find_plan(pid, pl["serviceId"])
            if new["tier"] < old["tier"]:
                inst["pendingSwitch"] = {"from": old["planName"], "at": inst["expireDate"]}
                inst["planId"] = pl["serviceId"]
            else:
                cycle_changed = pl["billingCycle"] != inst["billingCycle"]
                inst["planId"] = pl["serviceId"]
                inst["billingCycle"] = pl["billingCycle"]
                inst["multiCycle"] = pl["multiCycle"]
                if cycle_changed:
                    inst["expireDate"] = term_end(created, pl["billingCycle"], pl["multiCycle"])
        elif op == "renew_plan":
            start = max(inst["expireDate"], created)
            inst["expireDate"] = term_end(start, inst["billingCycle"], inst["multiCycle"])
            for s in inst["services"].values():
                s["expireDate"] = inst["expireDate"]
        for l in svc_lines if op in ("purchase_service", "purchase_plan") else []:
            s = find_service(pid, l["serviceId"])
            kind = s["kind"]
            q = l.get("quantity") or 0
            if kind == "extensions":
                inst["ext"] = (inst["ext"] or 0) + q
                for sub in inst["services"].values():
                    if sub.get("perExtension"):
                        sub["quantity"] = inst["ext"]
            elif kind == "concurrent_calls":
                inst["calls"] = (inst["calls"] or 0) + q
            elif kind == "recording_minutes":
                inst["rec"] = (inst["rec"] or 0) + q
            elif kind == "per_extension":
                inst["services"][s["serviceId"]] = {"quantity": inst["ext"] or 0,
                                                    "expireDate": inst["expireDate"],
                                                    "perExtension": True}
            else:
                inst["services"][s["serviceId"]] = {"quantity": 0, "expireDate": inst["expireDate"]}

    # -- rules -------------------------------------------------------------------------------
    def check_order(self, body):
        if not isinstance(body, dict):
            raise bad_param("body", "must be a JSON object")
        op = body.get("operationType")
        if not isinstance(op, str):
            raise bad_param("operationType", "required")
        if op in ("trial_plan", "trial_service", "switchTrial_plan", "renew_service"):
            raise rule(f"operationType {op} is not available for this account")
        if op not in ("purchase_plan", "purchase_service", "switch_plan", "renew_plan"):
            raise bad_param("operationType", f"unknown value {op!r}")
        pid = as_int(body.get("productId"), "productId")
        if pid not in CATALOG:
            raise ApiError(404, "not_found", f"product {pid} not found")
        sn = body.get("productNo")
        if not isinstance(sn, str) or not sn.isalnum():
            raise bad_param("productNo", "required, letters and digits")
        billing = as_int(body.get("billingId"), "billingId")
        if str(billing) != BILLING_ID:
            raise rule(f"billingId {billing} is not a billing contact of this account")
        inst = self.instances.get((pid, sn))
        if inst is None:
            raise ApiError(404, "not_found", f"productNo {sn} not found under product {pid}")
        raw_lines = body.get("serviceList")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise bad_param("serviceList", "required, at least one line")
        lines = []
        for i, l in enumerate(raw_lines):
            f = f"serviceList[{i}]"
            if not isinstance(l, dict):
                raise bad_param(f, "must be an object")
            st = l.get("serviceType")
            if st not in ("plan", "service"):
                raise bad_param(f + ".serviceType", "must be plan or service")
            pt = l.get("purchaseType")
            if pt not in ("purchase", "switch", "renew"):
                raise bad_param(f + ".purchaseType", "must be purchase, switch or renew")
            bm = l.get("billingModel", "recurring")
            if bm != "recurring":
                raise bad_param(f + ".billingModel", "must be recurring")
            bc = l.get("billingCycle")
            if bc not in ("monthly", "annually"):
                raise bad_param(f + ".billingCycle", "must be monthly or annually")
            mc = l.get("multiCycle", 0)
            if not isinstance(mc, int) or isinstance(mc, bool) or not 0 <= mc <= 5:
                raise bad_param(f + ".multiCycle", "must be an integer 0..5")
            q = l.get("quantity")
            if q is not None and (not isinstance(q, int) or isinstance(q, bool) or q < 0):
                raise bad_param(f + ".quantity", "must be a non-negative integer")
            lines.append({"serviceType": st, "serviceId": as_int(l.get("serviceId"), f + ".serviceId"),
                          "connectionPlanId": as_int(l.get("connectionPlanId"), f + ".connectionPlanId", False),
                          "purchaseType": pt, "billingCycle": bc, "multiCycle": mc, "quantity": q})
        plan_lines = [l for l in lines if l["serviceType"] == "plan"]
        svc_lines = [l for l in lines if l["serviceType"] == "service"]
        cur = inst["planId"]

        def check_multi(l):
            if l["billingCycle"] == "monthly" and l["multiCycle"] != 0:
                raise rule("monthly billing takes multiCycle 0")
            if l["billingCycle"] == "annually" and not 1 <= l["multiCycle"] <= 5:
                raise rule("an annual plan purchase or switch takes multiCycle 1..5")

        def check_service_lines(plan_id, cycle, purchase_type):
            seen = set()
            for l in svc_lines:
                s = find_service(pid, l["serviceId"])
                if s is None:
                    raise ApiError(404, "not_found", f"service {l['serviceId']} not found")
                if l["serviceId"] in seen:
                    raise rule(f"service {s['serviceName']} appears twice")
                seen.add(l["serviceId"])
                if l["purchaseType"] != purchase_type:
                    raise rule(f"service line purchaseType must be {purchase_type}")
                if l["connectionPlanId"] != plan_id:
                    raise rule("connectionPlanId must be the PBX's current plan")
                if s["requiresPlanIds"] and plan_id not in s["requiresPlanIds"]:
                    raise rule(f"{s['serviceName']} requires " + ", ".join(
                        find_plan(pid, p)["planName"] for p in s["requiresPlanIds"]))
                if l["billingCycle"] != cycle:
                    raise rule("a service follows the plan's billing cycle")
                if l["multiCycle"] != 0:
                    raise rule("a service line takes multiCycle 0")
            return seen

        if op == "purchase_plan":
            if cur is not None:
                raise rule("the PBX already has a plan: switch it instead")
            if len(plan_lines) != 1:
                raise rule("purchase_plan takes exactly one plan line")
            pl = plan_lines[0]
            p = find_plan(pid, pl["serviceId"])
            if p is None:
                raise ApiError(404, "not_found", f"plan {pl['serviceId']} not found")
            if pl["purchaseType"] != "purchase":
                raise rule("purchase_plan lines take purchaseType purchase")
            if pl["billingCycle"] not in p["billingCycles"]:
                raise rule(f"{p['planName']} is not sold {pl['billingCycle']}")
            check_multi(pl)
            if pid == 13 and not 5 <= (pl["quantity"] or 0) <= 500:
                raise rule("a Cloud PBX holds 5 to 500 extensions")
            check_service_lines(pl["serviceId"], pl["billingCycle"], "purchase")
        elif op == "switch_plan":
            if cur is None:
                raise rule("the PBX has no plan to switch from")
            if len(plan_lines) != 1 or svc_lines:
                raise rule("switch_plan takes exactly one plan line")
            pl = plan_lines[0]
            p = find_plan(pid, pl["serviceId"])
            if p is None:
                raise ApiError(404, "not_found", f"plan {pl['serviceId']} not found")
            if pl["purchaseType"] != "switch":
                raise rule("switch_plan lines take purchaseType switch")
            if pl["billingCycle"] not in p["billingCycles"]:
                raise rule(f"{p['planName']} is not sold {pl['billingCycle']}")
            check_multi(pl)
            old = find_plan(pid, cur)
            if pl["serviceId"] == cur and pl["billingCycle"] == inst["billingCycle"]:
                raise rule("the PBX is already on this plan")
            if inst["billingCycle"] == "annually" and pl["billingCycle"] == "monthly":
                raise rule("an annual term cannot switch to monthly")
            if (p["tier"] > old["tier"] and inst["billingCycle"] == "annually"
                    and pl["multiCycle"] != inst["multiCycle"]):
                raise rule("switching to a higher plan keeps the multi-year interval "
                           f"({inst['multiCycle']})")
        elif op == "purchase_service":
            if cur is None:
                raise rule("the PBX has no plan")
            if plan_lines or not svc_lines:
                raise rule("purchase_service takes service lines only")
            check_service_lines(cur, inst["billingCycle"], "purchase")
            ext_after = inst["ext"] or 0
            for l in svc_lines:
                s = find_service(pid, l["serviceId"])
                k = s["kind"]
                if k in ("extensions", "concurrent_calls", "recording_minutes"):
                    if not l["quantity"]:
                        raise rule(f"{s['serviceName']} needs a quantity")
                    if k == "extensions":
                        ext_after += l["quantity"]
                elif l["serviceId"] in inst["services"]:
                    raise rule(f"{s['serviceName']} is already subscribed")
            if pid == 13 and not 5 <= ext_after <= 500:
                raise rule("a Cloud PBX holds 5 to 500 extensions")
        elif op == "renew_plan":
            if cur is None:
                raise rule("the PBX has no plan to renew")
            if len(plan_lines) != 1:
                raise rule("renew_plan takes exactly one plan line")
            pl = plan_lines[0]
            if pl["serviceId"] != cur:
                raise rule("renew_plan renews the current plan")
            if pl["purchaseType"] != "renew":
                raise rule("renew_plan lines take purchaseType renew")
            if pl["billingCycle"] != inst["billingCycle"]:
                raise rule("a renewal cannot change the billing cycle")
            if pl["multiCycle"] != 0:
                raise rule("a renewal line takes multiCycle 0")
            if inst["ext"] is not None and pl["quantity"] != inst["ext"]:
                raise rule(f"the plan line's quantity must equal the current extension count "
                           f"({inst['ext']})")
            seen = check_service_lines(cur, inst["billingCycle"], "renew")
            missing = set(inst["services"]) - seen
            if missing:
                raise rule("a renewal must include every subscribed service")
            extra = seen - set(inst["services"])
            if extra:
                raise rule("a renewal cannot add a service")
        return pid, sn, op, lines

    def price_lines(self, pid, lines):
        total = 0
        items = []
        for l in lines:
            if l["serviceType"] == "plan":
                p = find_plan(pid, l["serviceId"])
                unit = 50 * p["tier"] if l["billingCycle"] == "monthly" else 500 * p["tier"] * max(1, l["multiCycle"])
                amount = unit * 100
            else:
                s = find_service(pid, l["serviceId"])
                q = l.get("quantity") or 0
                amount = {"extensions": 1000 * q, "concurrent_calls": 2000 * q,
                          "recording_minutes": q, "per_extension": 200 * q}.get(s["kind"], 18000)
            total += amount
            items.append({"serviceId": l["serviceId"], "amount": f"{amount // 100}.{amount % 100:02d}"})
        return f"{total // 100}.{total % 100:02d}", items

    # -- renderings --------------------------------------------------------------------------
    def instance_view(self, inst):
        pid = inst["productId"]
        return {"productNo": inst["productNo"], "productId": pid, "productName": PRODUCT_NAMES[pid],
                "activationCode": inst["activationCode"], "activationStatus": inst["activationStatus"],
                "comment": inst["comment"], "createTime": inst["createTime"]}

    def detail_view(self, inst):
        pid = inst["productId"]
        d = self.instance_view(inst)
        p = find_plan(pid, inst["planId"]) if inst["planId"] is not None else None
        d.update({
            "planId": inst["planId"], "planName": p["planName"] if p else "",
            "billingCycle": inst["billingCycle"] if p else "",
            "multiCycle": inst["multiCycle"] if p else 0,
            "expireDate": inst["expireDate"].isoformat() if p and inst["expireDate"] else "",
            "currentPlan": inst["pendingSwitch"]["from"] if inst["pendingSwitch"] else "",
            "currentPlanExpireDate": inst["pendingSwitch"]["at"].isoformat() if inst["pendingSwitch"] else "",
            "serviceList": [{"serviceId": sid, "serviceName": find_service(pid, sid)["serviceName"],
                             "quantity": s["quantity"], "expireDate": s["expireDate"].isoformat()}
                            for sid, s in sorted(inst["services"].items())],
        })
        if pid in CAPACITY_PRODUCTS:
            d["extensionCount"] = inst["ext"]
            d["concurrentCallCount"] = inst["calls"] if inst["calls"] is not None else 0
            d["recordingMinutes"] = inst["rec"] or 0
        return d

    def order_view(self, o):
        return {"id": str(o["id"]), "orderNo": o["orderNo"], "orderStatus": o["orderStatus"],
                "createTime": o["createTime"], "currencyCode": "USD",
                "customReferenceNo": o["customReferenceNo"], "invoiceNo": o["invoiceNo"],
                "productId": o["productId"], "productNo": o["productNo"],
                "operationType": o["operationType"], "totalAmount": o["totalAmount"]}


def page(items, query):
    try:
        page_no = int(query.get("pageNo", ["1"])[0])
        size = int(query.get("pageSize", [str(DEFAULT_PAGE)])[0])
    except ValueError:
        raise bad_param("pageNo", "must be an integer")
    if page_no < 1:
        raise bad_param("pageNo", "must be at least 1")
    if size < 1:
        raise bad_param("pageSize", "must be at least 1")
    size = min(size, MAX_PAGE)
    total = len(items)
    total_page = (total + size - 1) // size
    chunk = items[(page_no - 1) * size: page_no * size]
    return {"count": len(chunk), "pageNo": page_no, "pageSize": size, "results": chunk,
            "total": total, "totalPage": total_page}


# ---------------------------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    server_version = "PartnerPortalSim/1.0"
    state: State = None
    log_file = None

    def log_message(self, fmt, *args):
        if self.log_file:
            self.log_file.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))
            self.log_file.flush()

    # -- plumbing ----------------------------------------------------------------------------
    def reply(self, http, code, result=None, message="", headers=None):
        body = json.dumps({"code": code, "detailMessage": message,
                           "requestId": secrets.token_hex(16), "result": result,
                           "status": http}).encode()
        try:
            self.send_response(http)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def reply_json(self, obj, http=200):
        body = json.dumps(obj, default=str).encode()
        try:
            self.send_response(http)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        st = self.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        raw = self.read_body() if method == "POST" else b""
        if path.startswith("/_admin/"):
            return self.admin(method, path, raw)
        with st.lock:
            key = f"{method} {path if not path.startswith('/order/openapi/order/v1/get/') else '/order/openapi/order/v1/get/{id}'}"
            st.requests[key] = st.requests.get(key, 0) + 1
        try:
            if not self.headers.get("User-Agent"):
                raise bad_param("User-Agent", "header required")
            if method == "POST" and path == "/auth/openapi/v1/oauth/token":
                return self.token(raw)
            client = self.authenticate()
            route = ROUTES.get((method, path))
            if route is None and method == "GET" and path.startswith("/order/openapi/order/v1/get/"):
                route = Handler.order_detail
            if route is None:
                raise ApiError(404, "not_found", f"no such endpoint {method} {path}")
            body = None
            if method == "POST":
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    raise bad_param("body", "not JSON")
            return route(self, client, query, body, path)
        except ApiError as e:
            self.reply(e.http, e.code, e.result, e.message, e.headers)

    def authenticate(self):
        st = self.state
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Bearer "):
            raise ApiError(401, "token_invalid", "missing bearer token")
        tok = h[len("Bearer "):].strip()
        with st.lock:
            entry = st.tokens.get(tok)
        if entry is None:
            raise ApiError(401, "token_invalid", "unknown token")
        if entry[1] < utc_now():
            raise ApiError(401, "token_expired", "access token expired")
        return entry[0]

    def token(self, raw):
        st = self.state
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
        grant = form.get("grant_type", [""])[0]
        if grant == "pp_credentials":
            cid = form.get("client_id", [""])[0]
            sec = form.get("client_secret", [""])[0]
            if CREDENTIALS.get(cid) != sec or not cid:
                raise ApiError(401, "invalid_client", "wrong client id or secret")
        elif grant == "refresh_token":
            with st.lock:
                cid = st.refresh.get(form.get("refresh_token", [""])[0])
            if cid is None:
                raise ApiError(401, "token_invalid", "unknown refresh token")
        else:
            raise bad_param("grant_type", "must be pp_credentials or refresh_token")
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with st.lock:
            st.tokens[access] = (cid, utc_now() + ACCESS_TTL)
            st.refresh[refresh] = cid
        self.reply(200, "success", {"token": access, "tokenHead": "Bearer",
                                    "expiresIn": str(ACCESS_TTL), "refreshToken": refresh})

    # -- reads -------------------------------------------------------------------------------
    def product_list(self, client, query, body, path):
        self.reply(200, "success", [{"productId": pid, "name": n} for pid, n in sorted(PRODUCT_NAMES.items())])

    def product_id(self, query, required=True):
        v = query.get("productId", [None])[0]
        if v is None:
            if required:
                raise bad_param("productId", "required")
            return None
        pid = as_int(v, "productId")
        if pid not in CATALOG:
            raise ApiError(404, "not_found", f"product {pid} not found")
        return pid

    def instance_list(self, client, query, body, path):
        st = self.state
        pid = self.product_id(query)
        with st.lock:
            st.materialize()
            items = [st.instance_view(i) for (p, sn), i in sorted(st.instances.items()) if p == pid]
        self.reply(200, "success", page(items, query))

    def instance(self, query):
        st = self.state
        pid = self.product_id(query)
        sn = query.get("productNo", [None])[0]
        if not sn:
            raise bad_param("productNo", "required")
        inst = st.instances.get((pid, sn))
        if inst is None:
            raise ApiError(404, "not_found", f"productNo {sn} not found under product {pid}")
        return inst

    def detail(self, client, query, body, path):
        st = self.state
        with st.lock:
            st.materialize()
            d = st.detail_view(self.instance(query))
        self.reply(200, "success", d)

    def catalog(self, client, query, body, path):
        pid = self.product_id(query)
        if pid in (9, 11) and not query.get("productNo", [""])[0]:
            raise bad_param("productNo", "required for this product")
        if query.get("productNo", [""])[0]:
            with self.state.lock:
                self.instance(query)
        c = dict(CATALOG[pid])
        c.update({"productId": pid, "productName": PRODUCT_NAMES[pid]})
        self.reply(200, "success", c)

    def contacts(self, client, query, body, path):
        self.reply(200, "success", [{
            "billingContactId": BILLING_ID, "emailAddress": "billing@example.com",
            "firstName": "Bill", "lastName": "Ing", "company": "Example Partner Ltd",
            "phoneNumber": "+1 555 0100", "country": "US", "stateProvince": "CA",
            "city": "San Jose", "street": "1 Main St", "zipCode": "95113", "taxNum": "",
            "remark": ""}])

    def visible_orders(self):
        now = utc_now()
        return [o for o in self.state.orders if o["listAt"] <= now]

    def order_page(self, client, query, body, path):
        st = self.state
        sort = query.get("sort", [""])[0]
        with st.lock:
            st.materialize()
            items = sorted(self.visible_orders(), key=lambda o: (o["createTime"], o["id"]))
            if sort == "-createTime":
                items.reverse()
            items = [st.order_view(o) for o in items]
        self.reply(200, "success", page(items, query))

    def order_detail(self, client, query, body, path):
        st = self.state
        key = path.rsplit("/", 1)[-1]
        with st.lock:
            st.materialize()
            for o in st.orders:
                if str(o["id"]) == key or o["orderNo"] == key:
                    info = st.order_view(o)
                    self.reply(200, "success", {
                        "basicInformation": {"productId": str(o["productId"]),
                                             "productNo": o["productNo"],
                                             "productName": PRODUCT_NAMES[o["productId"]],
                                             "invoiceNo": o["invoiceNo"]},
                        "orderInformation": info})
                    return
        raise ApiError(404, "not_found", f"order {key} not found")

    def auto_renew(self, client, query, body, path):
        st = self.state
        with st.lock:
            inst = self.instance(query)
            self.reply(200, "success", {"autoRenew": inst["autoRenew"]})

    def auto_renew_on(self, client, query, body, path):
        st = self.state
        if not isinstance(body, dict):
            raise bad_param("body", "must be an object")
        pid = as_int(body.get("productId"), "productId")
        sn = body.get("productNo")
        as_int(body.get("planOrServiceId"), "planOrServiceId")
        with st.lock:
            inst = st.instances.get((pid, sn))
            if inst is None:
                raise ApiError(404, "not_found", f"productNo {sn} not found under product {pid}")
            inst["autoRenew"] = True
            st.auto_renew_calls.append({"productId": pid, "productNo": sn, "at": utc_now()})
        self.reply(200, "success", True)

    def calculate(self, client, query, body, path):
        if not isinstance(body, dict):
            raise bad_param("body", "must be an object")
        pid = as_int(body.get("productId"), "productId")
        if pid not in CATALOG:
            raise ApiError(404, "not_found", f"product {pid} not found")
        lines = body.get("serviceList")
        if not isinstance(lines, list) or not lines:
            raise bad_param("serviceList", "required")
        priced = []
        for i, l in enumerate(lines):
            if not isinstance(l, dict) or l.get("pricingId") is None:
                raise bad_param(f"serviceList[{i}].pricingId", "required")
            found = find_pricing(pid, as_int(l["pricingId"], f"serviceList[{i}].pricingId"))
            if found is None:
                raise ApiError(404, "not_found", f"pricingId {l['pricingId']} not found")
            kind, item = found
            priced.append({"serviceType": kind,
                           "serviceId": item["planId"] if kind == "plan" else item["serviceId"],
                           "billingCycle": l.get("billingCycle", "annually"),
                           "multiCycle": l.get("multiCycle", 0) or 0,
                           "quantity": l.get("quantity")})
        total, items = self.state.price_lines(pid, priced)
        self.reply(200, "success", {"currencyCode": "USD", "totalAmount": total, "items": items})

    # -- the order save ----------------------------------------------------------------------
    def save(self, client, query, body, path):
        st = self.state
        with st.lock:
            seq = st.save_seq
            st.save_seq += 1
            hold = next((h for h in st.holds if h["at"] == seq), None)
            if hold:
                st.holds.remove(hold)
            fault = next((f for f in st.faults if f["at"] == seq), None)
            if fault:
                st.faults.remove(fault)
        if hold and hold["phase"] == "before_commit":
            self.wait_hold(seq, "before_commit")
        with st.lock:
            st.materialize()
            pid, sn, op, lines = st.check_order(body)   # raises: nothing committed
            total, _ = st.price_lines(pid, lines)
            o = st.make_order(pid, sn, op, body.get("poNumber") or "", utc_now(),
                              amount=total, lines=lines)
            st.orders.append(o)
            inst = st.instances[(pid, sn)]
        if hold and hold["phase"] == "after_commit":
            self.wait_hold(seq, "after_commit")
        if fault:
            k = fault["kind"]
            if k == "token_expired":
                raise ApiError(401, "token_expired", "access token expired")
            if k == "too_many_requests":
                raise ApiError(429, "too_many_requests", "slow down", headers={"Retry-After": "1"})
            if k == "business_rule":
                self.reply(200, "business_rule_violation", None, "the order breaks a business rule")
                return
            if k == "internal_error":
                raise ApiError(500, "internal_error", "internal error")
            if k == "drop":
                self.close_connection = True
                return
        self.reply(200, "success", {"instanceId": inst["instanceId"], "orderNo": o["orderNo"],
                                    "orderStatus": o["orderStatus"], "productNo": sn,
                                    "transactionNo": o["transactionNo"]})

    def wait_hold(self, seq, phase):
        st = self.state
        ev = threading.Event()
        with st.lock:
            st.held[seq] = {"phase": phase, "since": utc_now(), "event": ev}
        ev.wait(600)
        with st.lock:
            st.held.pop(seq, None)

    # -- admin -------------------------------------------------------------------------------
    def admin(self, method, path, raw):
        st = self.state
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.reply_json({"error": "not JSON"}, 400)
        with st.lock:
            if method == "GET" and path == "/_admin/status":
                st.materialize()
                return self.reply_json({
                    "saves": st.save_seq,
                    "held": [{"seq": s, "phase": h["phase"], "since": h["since"]} for s, h in st.held.items()],
                    "orders": [{"id": str(o["id"]), "orderNo": o["orderNo"], "productId": o["productId"],
                                "productNo": o["productNo"], "operationType": o["operationType"],
                                "poNumber": o["poNumber"], "createTime": o["createTime"],
                                "applied": o["applied"]}
                               for o in st.orders if not o["seeded"]],
                    "autoRenewSwitches": st.auto_renew_calls,
                    "config": {"listLag": st.list_lag, "effectLag": st.effect_lag, "echo": st.echo},
                    "requests": st.requests,
                    "instances": {f"{p}/{sn}": st.detail_view(i) for (p, sn), i in st.instances.items()},
                })
            if method == "POST" and path == "/_admin/config":
                if "listLag" in body:
                    st.list_lag = float(body["listLag"])
                if "effectLag" in body:
                    st.effect_lag = float(body["effectLag"])
                if "echo" in body:
                    st.echo = bool(body["echo"])
                return self.reply_json({"ok": True})
            if method == "POST" and path == "/_admin/hold":
                phase = body.get("phase", "after_commit")
                if phase not in ("before_commit", "after_commit"):
                    return self.reply_json({"error": "phase"}, 400)
                st.holds.append({"at": st.save_seq + int(body.get("skip", 0)), "phase": phase})
                return self.reply_json({"ok": True})
            if method == "POST" and path == "/_admin/release":
                n = 0
                for h in st.held.values():
                    h["event"].set()
                    n += 1
                st.holds.clear()
                return self.reply_json({"released": n})
            if method == "POST" and path == "/_admin/fault":
                kind = body.get("kind")
                if kind not in ("token_expired", "too_many_requests", "business_rule",
                                "internal_error", "drop"):
                    return self.reply_json({"error": "kind"}, 400)
                st.faults.append({"at": st.save_seq + int(body.get("skip", 0)), "kind": kind})
                return self.reply_json({"ok": True})
        return self.reply_json({"error": "no such admin path"}, 404)


ROUTES = {
    ("GET", "/pricing/openapi/purchase/v1/product_list"): Handler.product_list,
    ("GET", "/product/openapi/instance_product/v1/client/instance_product_list"): Handler.instance_list,
    ("GET", "/product/openapi/instance_product/v1/detail"): Handler.detail,
    ("GET", "/pricing/openapi/purchase/v1/purchase_product_info"): Handler.catalog,
    ("GET", "/user/openapi/user/v1/client/billing_contact_list"): Handler.contacts,
    ("GET", "/order/openapi/order/v1/page"): Handler.order_page,
    ("GET", "/order/openapi/order/v1/check/existed_auto_renew"): Handler.auto_renew,
    ("POST", "/product/openapi/instance_subscription/v1/active"): Handler.auto_renew_on,
    ("POST", "/pricing/openapi/purchase/v1/pricing/calculate"): Handler.calculate,
    ("POST", "/order/openapi/order/v1/save"): Handler.save,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--list-lag", type=float, default=0.0, help="seconds before an order shows in the order list")
    ap.add_argument("--effect-lag", type=float, default=0.0, help="seconds before an order changes the PBX")
    ap.add_argument("--no-echo", action="store_true", help="do not echo poNumber as customReferenceNo")
    ap.add_argument("--log", help="append a line per request to this file")
    ap.add_argument("--rng-seed", type=int)
    a = ap.parse_args()
    Handler.state = State(a.list_lag, a.effect_lag, not a.no_echo, a.rng_seed)
    if a.log:
        Handler.log_file = open(a.log, "a", buffering=1)
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    print(f"PORT {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
