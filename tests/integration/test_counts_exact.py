"""Never lose an event: the trace holds exactly the calls the program counted
itself, with threads and with a signal handler allocating at 10 kHz."""
import os
import re
import subprocess
import unittest

import mtt


def fn_names(site):
    return [f["function"] for f in site["frames"]]


class CountsExact(unittest.TestCase):
    def test_8_threads_x_200000_pairs(self):
        threads, pairs = 8, 200000
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("mt_pairs"), str(threads), str(pairs)], d,
                                        timeout=300)
            self.assertEqual(len(traces), 1, traces)
            self.assertIn(f"calls malloc={threads * pairs} free={threads * pairs}", cp.stderr)
            rep = mtt.report_json(traces[0], "--top", "0")
        s = rep["summary"]
        self.assertEqual(rep["process"]["lost_events"], 0)
        self.assertEqual(s["untracked_frees"], 0)
        # The program's own calls: every block allocated under thread_main.
        own = [x for x in rep["sites"] if "thread_main" in fn_names(x)]
        self.assertEqual(sum(x["allocations"] for x in own), threads * pairs)
        self.assertEqual(sum(x["frees"] for x in own), threads * pairs)
        self.assertEqual(sum(x["live_blocks"] for x in own), 0)
        # glibc's own: pthread_create callocs each new thread's DTV (one per
        # thread, from the main thread) and frees some of them when it drops
        # a cached stack.  Those are every other allocation in the trace.
        other = [x for x in rep["sites"] if "thread_main" not in fn_names(x)]
        for x in other:
            self.assertTrue(any("pthread_create" in f or "allocate_dtv" in f
                                for f in fn_names(x) if f), fn_names(x))
        self.assertEqual(sum(x["allocations"] for x in other), threads)
        self.assertEqual(s["allocations"], threads * pairs + threads)
        self.assertEqual(s["frees"], threads * pairs + sum(x["frees"] for x in other))

    def test_signal_handler_storm(self):
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("sigalrm_storm"), "400"], d, timeout=120)
            m = re.search(r"main_pairs=(\d+) handler_pairs=(\d+)", cp.stderr)
            self.assertIsNotNone(m, cp.stderr)
            main_pairs, handler_pairs = int(m.group(1)), int(m.group(2))
            self.assertGreater(handler_pairs, 100)  # the handler really ran
            rep = mtt.report_json(traces[0], "--top", "0")
        s = rep["summary"]
        expected = main_pairs + handler_pairs + 2  # + warm_handler_bin's pair
        self.assertEqual(rep["process"]["lost_events"], 0)
        self.assertEqual(s["allocations"], expected)
        self.assertEqual(s["frees"], expected)
        self.assertEqual(s["untracked_frees"], 0)
        self.assertEqual(s["leaked_blocks"], 0)
        handler = sum(x["allocations"] for x in rep["sites"] if "on_alarm" in fn_names(x))
        self.assertEqual(handler, handler_pairs)


    def test_blocks_freed_by_another_thread(self):
        # Two threads pass every block they allocate to the other, which
        # frees it; glibc hands the addresses back and forth between them.
        # Allocations carry coarse stamps with threads (MT_HDR_COARSE_TICKS),
        # so the merge meets some reuses before the free of the block that
        # was there; the analyzer must put every one back in order.
        blocks = 200000
        for run in range(2):
            with mtt.Workdir() as d:
                cp, traces = mtt.run_traced([mtt.prog("xthread_free"), str(blocks)], d,
                                            timeout=300)
                self.assertIn(f"calls malloc={2 * blocks} free={2 * blocks}", cp.stderr)
                rep = mtt.report_json(traces[0], "--top", "0")
                # the interchange form keeps the rule: the same figures from it
                js = os.path.join(d, "t.json")
                with open(js, "w") as f:
                    subprocess.run([mtt.REPORT, "--export-json", traces[0]], stdout=f,
                                   check=True)
                again = mtt.report_json(js, "--top", "0")
            self.assertEqual(again["summary"]["untracked_frees"], 0)
            self.assertEqual(again["anomalies"]["allocations_of_live_address"], 0)
            self.assertEqual(again["summary"]["frees"], rep["summary"]["frees"])
            s = rep["summary"]
            own = [x for x in rep["sites"] if "producer_consumer" in fn_names(x)]
            self.assertEqual(sum(x["allocations"] for x in own), 2 * blocks)
            self.assertEqual(sum(x["frees"] for x in own), 2 * blocks)
            self.assertEqual(sum(x["live_blocks"] for x in own), 0)
            self.assertEqual(s["untracked_frees"], 0)
            self.assertEqual(s["leaked_bytes"], 0)
            self.assertEqual(rep["anomalies"]["allocations_of_live_address"], 0)
            self.assertEqual(rep["anomalies"]["frees_of_unknown_address"], 0)

if __name__ == "__main__":
    mtt.main()
