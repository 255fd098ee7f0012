"""Tests of scripts/nemesis_check.py: each anomaly it promises to find, in a history made for it,
and a clean history that passes. Run by scripts/test: python3 -m unittest scripts/nemesis_check_test.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nemesis_check import check  # noqa: E402

JOB_ID = "01a2460b-0000-7000-8000-000000000001"


def document(status, total=None, finished=None, **fields):
    doc = {"id": JOB_ID, "status": status, "sum": fields.pop("sum", None), "attempts": fields.pop("attempts", 0 if status == "QUEUED" else 1),
           "startedAt": fields.pop("startedAt", None), "parts": None, "error": None}
    if total is not None:
        doc["parts"] = {"total": total, "finished": finished, "running": 0, "attempts": total}
    doc.update(fields)
    return doc


def op(at, code, doc=None, name="get"):
    return {"type": "op", "job": "k", "op": name, "sent": at, "received": at + 0.1, "code": code,
            "error": None, "doc": doc}


def history(*ops, expected="17", delete=False, faults=()):
    return [{"type": "run", "store": "test", "seed": 1, "lease": 5},
            {"type": "job", "job": "k", "kind": "tiny", "a": "0", "b": "10", "expected": expected,
             "delete": delete}, *ops, *faults]


def fault(name, start, heal, recovered, target="replica-1", fenced=None):
    return {"type": "fault", "name": name, "target": target, "start": start, "heal": heal, "recovered": recovered,
            "detail": {} if fenced is None else {"fenced": fenced}}


def pause_losing_the_job():
    """replica-1 paused from 10 s to 18 s while it held the job, whose late writes were refused."""
    return fault("pause", 10, 18, 18.5, fenced=[JOB_ID])


def found(records):
    return set(check(records)[0])


class CheckerTests(unittest.TestCase):
    def test_a_job_that_finishes_with_the_right_sum_passes(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="17")),
                          op(2, 200, document("FINISHED", sum="17"), "final"))
        anomalies, figures = check(records)
        self.assertEqual(anomalies, {})
        self.assertEqual(figures["outcomes"], {"FINISHED": 1})

    def test_an_accepted_job_never_seen_terminal_is_lost(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("IN_PROGRESS")))
        self.assertEqual(found(records), {"lost"})

    def test_an_accepted_job_answered_404_later_is_lost(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="17")),
                          op(2, 404, name="final"))
        self.assertEqual(found(records), {"lost"})

    def test_a_job_never_accepted_is_reported(self):
        self.assertEqual(found(history(op(0, 503, name="submit"))), {"unaccepted"})

    def test_retries_of_one_key_answered_with_two_ids_are_a_duplicate(self):
        other = dict(document("QUEUED"), id="01a2460b-0000-7000-8000-000000000002")
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 202, other, "submit"),
                          op(2, 200, document("FINISHED", sum="17")))
        self.assertIn("duplicate", found(records))

    def test_a_wrong_sum_is_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="18")))
        self.assertEqual(found(records), {"wrong"})

    def test_a_finished_job_without_an_expected_sum_is_unchecked(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="17")),
                          expected=None)
        self.assertEqual(found(records), {"unchecked"})

    def test_a_status_seen_after_a_later_one_regressed(self):
        records = history(op(0, 202, document("QUEUED", attempts=0), "submit"),
                          op(1, 200, document("IN_PROGRESS", attempts=1)), op(2, 200, document("QUEUED", attempts=0)),
                          op(3, 200, document("FINISHED", sum="17")))
        self.assertEqual(found(records), {"regressed"})

    def test_a_lapsed_lease_requeues_without_regressing(self):
        records = history(op(0, 202, document("QUEUED", attempts=0), "submit"),
                          op(1, 200, document("IN_PROGRESS", attempts=1)), op(2, 200, document("QUEUED", attempts=1)),
                          op(3, 200, document("IN_PROGRESS", attempts=2)), op(4, 200, document("FINISHED", sum="17")))
        self.assertEqual(found(records), set())

    def test_an_earlier_attempt_seen_after_a_later_one_regressed(self):
        records = history(op(0, 202, document("QUEUED", attempts=0), "submit"),
                          op(1, 200, document("IN_PROGRESS", attempts=2)), op(2, 200, document("IN_PROGRESS", attempts=1)),
                          op(3, 200, document("FINISHED", sum="17")))
        self.assertEqual(found(records), {"regressed"})

    def test_overlapping_requests_may_answer_in_either_order(self):
        slow = op(1, 200, document("QUEUED"))
        slow["received"] = 3
        records = history(op(0, 202, document("QUEUED"), "submit"), slow, op(2, 200, document("IN_PROGRESS")),
                          op(4, 200, document("FINISHED", sum="17")))
        self.assertEqual(found(records), set())

    def test_a_terminal_job_answered_with_another_sum_changed(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="17")),
                          op(2, 200, document("FINISHED", sum="19"), "final"))
        self.assertIn("changed", found(records))

    def test_a_failed_job_is_an_anomaly(self):
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(1, 200, document("FAILED", error="lease_attempts")))
        self.assertEqual(found(records), {"failed"})

    def test_a_cancel_nobody_asked_for_is_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("CANCELLED")))
        self.assertEqual(found(records), {"cancelled_unasked"})

    def test_a_delete_answered_cancelled_then_finished_is_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("CANCELLED"), "delete"),
                          op(2, 200, document("FINISHED", sum="17")), delete=True)
        self.assertIn("delete_finished", found(records))

    def test_a_delete_that_came_too_late_is_no_anomaly(self):
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(1, 200, document("FINISHED", sum="17"), "delete"),
                          op(2, 200, document("FINISHED", sum="17")), delete=True)
        self.assertEqual(found(records), set())

    def test_parts_counted_past_their_total_are_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(1, 200, document("IN_PROGRESS", total=3, finished=4)),
                          op(2, 200, document("FINISHED", total=3, finished=3, sum="17")))
        self.assertEqual(found(records), {"parts"})

    def test_a_split_job_finished_with_parts_unsettled_is_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(1, 200, document("FINISHED", total=3, finished=2, sum="17")))
        self.assertEqual(found(records), {"parts"})

    def test_a_500_and_a_504_are_anomalies(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 500), op(2, 504),
                          op(20, 200, document("FINISHED", sum="17")))
        self.assertEqual(found(records), {"http_500", "hung"})

    def test_a_504_while_a_replica_was_cut_off_from_the_balancer_is_counted_apart(self):
        cut = fault("partition-lb", 5, 15, 15.1)
        held = op(2, 504)
        held["received"] = 17
        records = history(op(0, 202, document("QUEUED"), "submit"), held,
                          op(20, 200, document("FINISHED", sum="17")), faults=[cut])
        anomalies, figures = check(records)
        self.assertEqual(anomalies, {})
        self.assertEqual(figures["cut_off"], 1)

    def test_a_fault_the_service_never_recovered_from_is_found(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(1, 200, document("FINISHED", sum="17")),
                          faults=[fault("kill", 0, 1, None)])
        self.assertEqual(found(records), {"not_recovered"})

    def test_recovery_and_takeover_times_are_measured(self):
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(20, 200, document("FINISHED", sum="17", attempts=2, startedAt=16.0)),
                          faults=[pause_losing_the_job()])
        anomalies, figures = check(records)
        self.assertEqual(anomalies, {})
        self.assertEqual(figures["recovery_seconds"], {"pause": 0.5})
        self.assertEqual(figures["takeover_seconds"], 6.0)
        self.assertEqual(figures["fenced"], 1)

    def test_the_first_start_seen_after_the_fault_is_its_takeover(self):
        kill = fault("kill", 18, 19, 19.5, target="replica-2")
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(16, 200, document("IN_PROGRESS", attempts=2, startedAt=15.0)),
                          op(30, 200, document("FINISHED", sum="17", attempts=3, startedAt=25.0)),
                          faults=[pause_losing_the_job(), kill])
        figures = check(records)[1]
        self.assertEqual(figures["takeover_seconds"], 5.0)
        self.assertEqual(figures["takeovers_hit_again"], 0)

    def test_a_job_hit_again_before_its_takeover_was_seen_is_counted_apart(self):
        restart = fault("store-restart", 14, 20, 21, target="store")
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(30, 200, document("FINISHED", sum="17", attempts=3, startedAt=25.0)),
                          faults=[pause_losing_the_job(), restart])
        anomalies, figures = check(records)
        self.assertEqual(anomalies, {})
        self.assertIsNone(figures["takeover_seconds"])
        self.assertEqual(figures["takeovers_hit_again"], 1)

    def test_a_slow_takeover_is_no_hit_again_for_a_fault_that_came_meanwhile(self):
        kill = fault("kill", 19, 20, 20.5, target="replica-2")
        records = history(op(0, 202, document("QUEUED"), "submit"),
                          op(30, 200, document("FINISHED", sum="17", attempts=2, startedAt=25.0)),
                          faults=[pause_losing_the_job(), kill])
        figures = check(records)[1]
        self.assertEqual(figures["takeover_seconds"], 15.0)
        self.assertEqual(figures["takeovers_hit_again"], 0)

    def test_a_job_the_client_cancelled_is_no_takeover(self):
        records = history(op(0, 202, document("QUEUED"), "submit"), op(11, 200, document("CANCELLED"), "delete"),
                          op(12, 200, document("CANCELLED", attempts=1, startedAt=9.0)), delete=True,
                          faults=[pause_losing_the_job()])
        self.assertIsNone(check(records)[1]["takeover_seconds"])


if __name__ == "__main__":
    unittest.main()
