#!/usr/bin/env python3
"""Latency of the approval flow's mutations, one request at a time over one
keep-alive connection: N cycles of submit (an ADD of a new cooperative duty),
review, approve and publish (each publication one new edition of the town);
then p50/p99 per mutation, in milliseconds. Each answer is checked to have no
errors. Usage: mutations.py HOST:PORT CYCLES APPLICANT REVIEWER APPROVER PUBLISHER
"""
import http.client
import json
import statistics
import sys
import time

host, cycles = sys.argv[1], int(sys.argv[2])
applicant, reviewer, approver, publisher = sys.argv[3:7]
conn = http.client.HTTPConnection(host)


def post(token, query, variables):
    body = json.dumps({"query": query, "variables": variables})
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    started = time.perf_counter()
    conn.request("POST", "/graphql", body, headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    elapsed = (time.perf_counter() - started) * 1000
    if "errors" in answer:
        sys.exit(f"mutation failed: {answer['errors']}")
    return elapsed, answer["data"]


def current_list():
    conn.request("POST", "/graphql", json.dumps({"query": "{ dutyLists { id } }"}),
                 {"content-type": "application/json"})
    return json.loads(conn.getresponse().read())["data"]["dutyLists"][0]["id"]


SUBMIT = """mutation($input: AdjustmentInput!) { submitAdjustment(input: $input) { id } }"""
STEP = "mutation($id: ID!) {{ {}(id: $id) {{ id state }} }}"
PUBLISH = """mutation($input: PublishInput!) {
  publishAdjustments(input: $input) { list { id edition } } }"""

times = {"submitAdjustment": [], "reviewAdjustment": [], "approveAdjustment": [],
         "publishAdjustments": []}
for n in range(cycles):
    duty = {"kind": "COOPERATIVE", "category": "卫生健康", "name": f"基准新增事项{n}",
            "departments": ["县卫健委"], "townItems": [{"text": "配合开展宣传"}],
            "departmentItems": [{"text": "负责业务指导"}]}
    input_ = {"listId": current_list(), "operation": "ADD", "duty": duty,
              "applicant": "乌恰镇人民政府", "legalBasis": "依据", "reason": "基准"}
    ms, data = post(applicant, SUBMIT, {"input": input_})
    times["submitAdjustment"].append(ms)
    adjustment = data["submitAdjustment"]["id"]
    for field, token in (("reviewAdjustment", reviewer), ("approveAdjustment", approver)):
        ms, _ = post(token, STEP.format(field), {"id": adjustment})
        times[field].append(ms)
    day = f"{2026 + n // 336:04d}-{1 + (n // 28) % 12:02d}-{1 + n % 28:02d}"
    ms, _ = post(publisher, PUBLISH, {"input": {"ids": [adjustment],
                                                "documentNumber": f"基准〔2026〕{n}号",
                                                "effectiveOn": day}})
    times["publishAdjustments"].append(ms)

print("| mutation | requests | p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|")
for field, samples in times.items():
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"| `{field}` | {len(samples)} | {statistics.median(samples):.1f} | {p99:.1f} | {samples[-1]:.1f} |")
