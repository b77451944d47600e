#!/usr/bin/env python3
"""Webhook delivery under load, against a running lvzhi (cache off).

1. Latency: RECEIVERS receivers (HTTP servers in this process, each checking
   the Standard Webhooks signature of every delivery) subscribe to every
   event; EVENTS requests are submitted one after another, PACE ms apart; for
   each delivery, the time from the event's commit (its `timestamp`, taken in
   the committing transaction) to its arrival. p50/p99/max over all
   deliveries; every event must reach every receiver once, in order.
2. Throughput: wrk loads the Bureau question (cache off) at CONNECTIONS
   connections for SECONDS: (a) alone, (b) while requests are submitted at
   RATE per second with the receivers unsubscribed, (c) the same with
   RECEIVERS subscriptions being delivered to.

Usage: webhooks.py HOST:PORT ADMIN APPLICANT BUREAU_BODY_FILE
Environment: BENCH_RECEIVERS (10) BENCH_EVENTS (200) BENCH_PACE_MS (50)
  BENCH_RATE (20) BENCH_SECONDS (15) BENCH_CONNECTIONS (32) BENCH_LUA (bench/post.lua)
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime

host, admin, applicant, bureau_file = sys.argv[1:5]
RECEIVERS = int(os.environ.get("BENCH_RECEIVERS", "10"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "200"))
PACE = int(os.environ.get("BENCH_PACE_MS", "50")) / 1000
RATE = int(os.environ.get("BENCH_RATE", "20"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
LUA = os.environ.get("BENCH_LUA", os.path.join(os.path.dirname(__file__), "post.lua"))


def post(token, query, variables, conn=None):
    conn = conn or http.client.HTTPConnection(host)
    body = json.dumps({"query": query, "variables": variables})
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request("POST", "/graphql", body, headers)
    answer = json.loads(conn.getresponse().read())
    if "errors" in answer:
        sys.exit(f"request failed: {answer['errors']}")
    return answer["data"]


class Receiver:
    """One receiver: records (sequence, latency ms) per delivery; checks signatures."""

    def __init__(self):
        self.secret = None
        self.got = []
        self.bad = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                arrived = time.time()
                raw = self.rfile.read(int(self.headers["content-length"]))
                receiver.record(self.headers, raw, arrived)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, headers, raw, arrived):
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if f"v1,{expected}" not in headers["webhook-signature"].split(" "):
            self.bad += 1
        body = json.loads(raw)
        committed = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).timestamp()
        self.got.append((body["data"]["sequence"], (arrived - committed) * 1000))


CREATE = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }"""
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) { state } }"
SUBMIT = "mutation($input: AdjustmentInput!) { submitAdjustment(input: $input) { id } }"
LIST = post(None, "{ dutyLists { id } }", {})["dutyLists"][0]["id"]


def subscribe(receivers):
    ids = []
    for r in receivers:
        created = post(admin, CREATE, {"input": {"url": r.url}})["createWebhook"]
        r.secret = created["secret"]
        ids.append(created["webhook"]["id"])
    return ids


def unsubscribe(ids):
    for hook in ids:
        post(admin, DELETE, {"id": hook})


counter = [0]


def submit(conn):
    counter[0] += 1
    duty = {"kind": "COOPERATIVE", "category": "卫生健康", "name": f"基准事项{counter[0]}",
            "departments": ["县卫健委"], "townItems": [{"text": "配合开展宣传"}],
            "departmentItems": [{"text": "负责业务指导"}]}
    post(applicant, SUBMIT, {"input": {"listId": LIST, "operation": "ADD", "duty": duty,
                                       "applicant": "乌恰镇人民政府", "legalBasis": "依据",
                                       "reason": "基准"}}, conn)


def percentile(samples, p):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))]


# 1. Latency.
receivers = [Receiver() for _ in range(RECEIVERS)]
ids = subscribe(receivers)
conn = http.client.HTTPConnection(host)
for _ in range(EVENTS):
    submit(conn)
    time.sleep(PACE)
deadline = time.time() + 60
while time.time() < deadline and any(len(r.got) < EVENTS for r in receivers):
    time.sleep(0.1)
latencies = [ms for r in receivers for _, ms in r.got]
for r in receivers:
    order = [s for s, _ in r.got]
    if len(order) != EVENTS or order != sorted(order) or len(set(order)) != EVENTS or r.bad:
        sys.exit(f"a receiver got {len(order)} of {EVENTS} events, in order: "
                 f"{order == sorted(order)}, bad signatures: {r.bad}")
print(f"### Delivery latency, commit → receiver ({RECEIVERS} receivers × {EVENTS} events, "
      f"one event every {PACE * 1000:.0f} ms)\n")
print("| deliveries | p50 ms | p99 ms | max ms |")
print("|---|---|---|---|")
print(f"| {len(latencies)} | {statistics.median(latencies):.1f} | "
      f"{percentile(latencies, 0.99):.1f} | {max(latencies):.1f} |\n")


# 2. Throughput.
def wrk():
    env = dict(os.environ, BENCH_BODY_FILE=bureau_file)
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency",
                          "-s", LUA, f"http://{host}/graphql"], env=env, check=True,
                         capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    f = {k: int(v) for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
    errors = sum(f[k] for k in ("connect", "read", "write", "status", "timeout", "gql", "size"))
    return {"rps": f["requests"] / (f["duration_us"] / 1e6), "p50_ms": f["p50_us"] / 1000,
            "p99_ms": f["p99_us"] / 1000, "errors": errors}


def writer(stop):
    conn = http.client.HTTPConnection(host)
    while not stop.is_set():
        started = time.time()
        submit(conn)
        time.sleep(max(0.0, 1 / RATE - (time.time() - started)))


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """CPU time (user + system) of processes `pids` so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def cpu_now():
    """CPU seconds so far of lvzhi, of PostgreSQL's processes, and of this
    process (the receivers and the writer)."""
    postgres = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True,
                              text=True).stdout.split()
    return (cpu_seconds([os.environ["BENCH_LVZHI_PID"]]), cpu_seconds(postgres),
            cpu_seconds([os.getpid()]))


def loaded(with_events):
    stop = threading.Event()
    thread = threading.Thread(target=writer, args=(stop,)) if with_events else None
    submitted = counter[0]
    started = cpu_now()
    if thread:
        thread.start()
    fields = wrk()
    stop.set()
    if thread:
        thread.join()
    fields["cpu"] = [after - before for after, before in zip(cpu_now(), started)]
    fields["events"] = counter[0] - submitted
    return fields


unsubscribe(ids)
rows = [("Bureau alone", loaded(False))]
rows.append((f"Bureau + {RATE} requests/s submitted, no subscriptions", loaded(True)))
before = [len(r.got) for r in receivers]
ids = subscribe(receivers)
rows.append((f"Bureau + {RATE} requests/s submitted, {RECEIVERS} receivers delivered to",
             loaded(True)))
ended = time.time()
expected = rows[-1][1]["events"] * RECEIVERS
while time.time() < ended + 60 and sum(len(r.got) for r in receivers) - sum(before) < expected:
    time.sleep(0.05)
drained = time.time() - ended
delivered = sum(len(r.got) for r in receivers) - sum(before)
print(f"### Bureau (cache off) at {CONNECTIONS} connections, {SECONDS} s each\n")
print("| load | req/s | p50 ms | p99 ms | errors | requests submitted | CPU s: lvzhi / PostgreSQL / receivers |")
print("|---|---|---|---|---|---|---|")
for name, f in rows:
    cpu = " / ".join(f"{c:.1f}" for c in f["cpu"])
    print(f"| {name} | {f['rps']:.0f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | "
          f"{f['events']} | {cpu} |")
during = [ms for r, n in zip(receivers, before) for _, ms in r.got[n:]]
print(f"\nDuring and after the last run: {delivered} of {expected} deliveries made, the last "
      f"{drained:.2f} s after the load ended; commit → receiver p50 "
      f"{statistics.median(during):.1f} ms, p99 {percentile(during, 0.99):.1f} ms.")
