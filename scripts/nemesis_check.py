"""The checker of scripts/nemesis: reads a run's history (JSON lines) and finds every broken
promise in it. Standard library only; run on its own to check a kept history again:

  python3 scripts/nemesis_check.py HISTORY.jsonl     (exit 1 on any anomaly)

A history holds records of these types (scripts/nemesis writes them):
  run       the run's settings: store, seed, seconds, lease
  job       one client job: job (its key), kind, a, b, expected (sum, when known), delete
  expected  a sum known only after the run: job, sum
  op        one request and its answer: job, op (submit, get, delete, final), sent, received
            (seconds), code (HTTP status, or null when no answer came), error (the client's),
            doc (the job as answered: id, status, sum, attempts, startedAt, parts, error)
  fault     one fault: name, target, start, heal, recovered (when it served normally again,
            or null), detail (its own figures; fenced: the ids of the jobs and parts the target
            lost to another worker meanwhile, from the target's log)

What counts as an anomaly (each one fails the run):
  lost              accepted (200/202), then never seen terminal, or answered 404 later
  unaccepted        no submit of the job was ever answered 200/202
  duplicate         retries of one Idempotency-Key answered with different job ids
  wrong             FINISHED with a sum other than the expected one
  unchecked         FINISHED, but no expected sum to compare with
  regressed         a status seen after a later one: QUEUED < IN_PROGRESS < terminal within an
                    attempt, and a lapsed lease's requeue (IN_PROGRESS to QUEUED, the attempt
                    counted) the only way back, as DESIGN.md allows
  changed           a terminal job answered later with another status or sum
  failed            FAILED
  cancelled_unasked CANCELLED with no DELETE sent
  delete_finished   a DELETE answered CANCELLED, and the job was later seen FINISHED
  parts             a split job's parts counted past their total, or FINISHED with parts unsettled
  http_500          any answer 500
  hung              any answer 504 (a request held past the balancer's timeout), except while
                    a replica was cut off from the balancer or paused: the requests it held
                    then cannot be answered (counted apart, as cut_off_504)
  not_recovered     a fault after which the service did not serve again
"""
import json
import sys
from collections import defaultdict

TERMINAL = ("FINISHED", "FAILED", "CANCELLED")
RANK = {"QUEUED": 0, "IN_PROGRESS": 1, "FINISHED": 2, "FAILED": 2, "CANCELLED": 2}
ANOMALIES = (
    "lost", "unaccepted", "duplicate", "wrong", "unchecked", "regressed", "changed", "failed",
    "cancelled_unasked", "delete_finished", "parts", "http_500", "hung", "not_recovered",
)


def position(doc):
    """Where a document stands in its job's life: a claim counts an attempt, so QUEUED after k
    claims comes after IN_PROGRESS of the k-th (a requeue) and before the next claim."""
    if doc["status"] in TERMINAL:
        return float("inf")
    attempts = doc.get("attempts") or 0
    return 2 * attempts - RANK[doc["status"]]


def read(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def check(records):
    """Returns (anomalies: {kind: [detail, ...]}, figures: {name: value})."""
    jobs = {r["job"]: dict(r) for r in records if r["type"] == "job"}
    for r in records:
        if r["type"] == "expected" and r["job"] in jobs:
            jobs[r["job"]]["expected"] = r["sum"]
    ops = defaultdict(list)
    for r in records:
        if r["type"] == "op":
            ops[r["job"]].append(r)
    faults = [r for r in records if r["type"] == "fault"]
    anomalies = defaultdict(list)
    codes = defaultdict(int)
    outcomes = defaultdict(int)

    # A replica cut off from the balancer, or stopped, cannot answer the requests it holds:
    # the balancer's 504 is the right answer for those, and no hang of the service.
    unanswerable = [(f["start"], f["heal"]) for f in faults if f["name"] in ("partition-lb", "pause")]
    cut_off = 0
    for key, job in jobs.items():
        seen = sorted(ops[key], key=lambda o: o["sent"])
        for o in seen:
            codes[o["code"] if o["code"] is not None else "none"] += 1
            if o["code"] == 500:
                anomalies["http_500"].append(f"{key}: {o['op']} answered 500")
            if o["code"] == 504:
                if any(o["sent"] < heal and o["received"] > start for start, heal in unanswerable):
                    cut_off += 1
                else:
                    anomalies["hung"].append(f"{key}: {o['op']} answered 504 after {o['received'] - o['sent']:.1f} s")
        outcome = check_job(key, job, seen, anomalies)
        outcomes[outcome] += 1

    recoveries = defaultdict(list)
    takeovers = []
    hit_again = 0
    for fault in faults:
        if fault.get("recovered") is None:
            anomalies["not_recovered"].append(f"{fault['name']} {fault.get('target', '')} at {fault['start']:.1f}")
        else:
            recoveries[fault["name"]].append(fault["recovered"] - fault["heal"])
        delays, again = taken_over(fault, faults, jobs, ops)
        takeovers += delays
        hit_again += again

    figures = {
        "jobs": len(jobs),
        "outcomes": dict(outcomes),
        "codes": {str(code): count for code, count in sorted(codes.items(), key=lambda c: str(c[0]))},
        "recovery_seconds": {name: round(max(times), 2) for name, times in sorted(recoveries.items())},
        "faults": len(faults),
        "takeover_seconds": round(max(takeovers), 2) if takeovers else None,
        "takeovers_hit_again": hit_again,
        "fenced": sum(len(f.get("detail", {}).get("fenced", [])) for f in faults),
        "cut_off": cut_off,
    }
    return dict(anomalies), figures


def check_job(key, job, seen, anomalies):
    """Checks one job's answers; returns its outcome (a terminal status, or what went wrong)."""
    accepted = [o for o in seen if o["op"] == "submit" and o["code"] in (200, 202) and o["doc"]]
    if not accepted:
        anomalies["unaccepted"].append(f"{key} [{job['a']}, {job['b']})")
        return "unaccepted"
    ids = {o["doc"]["id"] for o in accepted}
    if len(ids) > 1:
        anomalies["duplicate"].append(f"{key}: ids {sorted(ids)}")
    accepted_at = accepted[0]["received"]

    answered = [o for o in seen if o["code"] == 200 or (o["op"] == "submit" and o["code"] == 202)]
    answered = [o for o in answered if o["doc"]]
    for later in seen:
        if later["code"] == 404 and later["op"] in ("get", "final", "delete") and later["sent"] > accepted_at:
            anomalies["lost"].append(f"{key}: {later['op']} answered 404 at {later['sent']:.1f}")
            return "lost"
    for index, later in enumerate(answered):
        for earlier in answered[:index]:
            if later["sent"] <= earlier["received"]:
                continue  # overlapping requests may see either order
            before, after = earlier["doc"], later["doc"]
            if position(after) < position(before):
                anomalies["regressed"].append(f"{key}: {before['status']} then {after['status']}")
            elif before["status"] in TERMINAL and (after["status"], after.get("sum")) != (before["status"], before.get("sum")):
                anomalies["changed"].append(
                    f"{key}: {before['status']} {before.get('sum')} then {after['status']} {after.get('sum')}")
        parts = later["doc"].get("parts")
        if parts and (parts["finished"] > parts["total"] or parts["running"] > parts["total"]):
            anomalies["parts"].append(f"{key}: parts {parts}")

    terminal = [o["doc"] for o in answered if o["doc"]["status"] in TERMINAL]
    if not terminal:
        anomalies["lost"].append(f"{key}: never terminal (last {answered[-1]['doc']['status']})")
        return "lost"
    final = terminal[-1]
    status = final["status"]
    if status == "FINISHED":
        expected = job.get("expected")
        if expected is None:
            anomalies["unchecked"].append(f"{key} [{job['a']}, {job['b']})")
        elif final.get("sum") != expected:
            anomalies["wrong"].append(f"{key} [{job['a']}, {job['b']}): {final.get('sum')} != {expected}")
        parts = final.get("parts")
        if parts and parts["finished"] != parts["total"]:
            anomalies["parts"].append(f"{key}: FINISHED with parts {parts}")
        cancelled = [o for o in seen if o["op"] == "delete" and o["code"] == 200 and o["doc"]
                     and o["doc"]["status"] == "CANCELLED"]
        if cancelled:
            anomalies["delete_finished"].append(f"{key}: DELETE answered CANCELLED at {cancelled[0]['received']:.1f}")
    elif status == "FAILED":
        anomalies["failed"].append(f"{key}: {final.get('error')}")
    elif status == "CANCELLED" and not job.get("delete"):
        anomalies["cancelled_unasked"].append(key)
    return status


def taken_over(fault, faults, jobs, ops):
    """(seconds from the fault to the next start of each job its target lost to another worker,
    how many of its jobs were hit again before that start was seen).

    The fault's `fenced` lists the jobs (or parts) whose late writes the target had refused. A
    job's next start is the first `startedAt` after the fault in any answer about it. Where
    that start's attempt is not the one after the target's, and another fault began before
    it, the job was taken over unseen and lost again (its new worker killed or paused, its
    completion cut off): the delay measures both faults, so it is counted apart, not as a
    takeover. A job the client cancelled is no takeover, and a part has no document of its
    own."""
    delays = []
    hit_again = 0
    lost = set(fault.get("detail", {}).get("fenced", []))
    later = [f["start"] for f in faults if f["start"] > fault["start"]]
    for key, job in jobs.items():
        if job.get("delete"):
            continue
        documents = [o["doc"] for o in ops[key] if o["code"] == 200 and o["doc"]]
        if not documents or documents[-1]["id"] not in lost or documents[-1]["status"] != "FINISHED":
            continue
        after = [d for d in documents if (d.get("startedAt") or 0) > fault["start"]]
        if not after:
            continue
        first = min(after, key=lambda d: d["startedAt"])
        started = first["startedAt"]
        # The target held at least the first attempt; answers before the fault may show a later one.
        held = max([1] + [o["doc"]["attempts"] for o in ops[key]
                          if o["code"] == 200 and o["doc"] and o["received"] < fault["start"]])
        if first["attempts"] > held + 1 and any(start < started for start in later):
            hit_again += 1
        else:
            delays.append(started - fault["start"])
    return delays, hit_again


def summary(anomalies, figures, run):
    counts = " ".join(f"{kind}={len(anomalies.get(kind, []))}" for kind in ANOMALIES)
    outcome = "PASS" if not anomalies else "FAIL"
    recoveries = ",".join(f"{name}:{seconds}s" for name, seconds in figures["recovery_seconds"].items())
    takeover = "-" if figures["takeover_seconds"] is None else f"{figures['takeover_seconds']}s"
    return (f"nemesis {outcome} store={run.get('store')} seed={run.get('seed')} jobs={figures['jobs']} "
            f"outcomes={json.dumps(figures['outcomes'], separators=(',', ':'))} {counts} "
            f"faults={figures['faults']} recovery={recoveries or '-'} takeover={takeover} "
            f"takeovers_hit_again={figures['takeovers_hit_again']} "
            f"fenced={figures['fenced']} cut_off_504={figures['cut_off']} codes={json.dumps(figures['codes'], separators=(',', ':'))}")


def main(path):
    records = read(path)
    anomalies, figures = check(records)
    run = next((r for r in records if r["type"] == "run"), {})
    for kind in ANOMALIES:
        for detail in anomalies.get(kind, [])[:10]:
            print(f"{kind}: {detail}")
    print(summary(anomalies, figures, run))
    return 1 if anomalies else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
