"""Packed traces (mtrace-report --pack, mtrace-run --pack): at most 4 bytes
per event on the churn benchmark, unpacked byte for byte, read directly by
every report with the same result, and a damaged packed file is refused
with exit 3 and its name."""
import glob
import json
import os
import subprocess
import time
import unittest

import mtt

RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")


def rep(*args):
    return subprocess.run([mtt.REPORT, *args], capture_output=True, text=True, timeout=300)


def without_paths(text):
    """The JSON report with the input's name left out (x.trace vs x.trace.zst)."""
    doc = json.loads(text)
    for p in [doc.get("trace"), doc.get("process")] + doc.get("processes", []):
        if p:
            p.pop("path", None)
            p.pop("trace", None)
    return doc


class Pack(unittest.TestCase):
    def pack_checked(self, trace):
        """Packs trace, checks the round trip and the reports; returns
        (packed size, events)."""
        packed = trace + ".zst"
        cp = rep("--pack", trace)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("bytes per event", cp.stderr)
        self.assertEqual(os.stat(packed).st_mode & 0o777, 0o600)
        back = trace + ".back"
        cp = rep("--unpack", packed, "--output", back)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(trace, "rb") as a, open(back, "rb") as b:
            self.assertTrue(a.read() == b.read(), "unpacking did not give the trace back")
        raw_json, packed_json = rep("--json", trace), rep("--json", packed)
        self.assertEqual(raw_json.returncode, 0, raw_json.stderr)
        self.assertEqual(packed_json.returncode, 0, packed_json.stderr)
        self.assertEqual(without_paths(raw_json.stdout), without_paths(packed_json.stdout))
        events = json.loads(raw_json.stdout)["summary"]["events"]
        return os.path.getsize(packed), events

    def test_churn_at_most_4_bytes_per_event(self):
        with mtt.Workdir() as d:
            trace = os.path.join(d, "churn.trace")
            subprocess.run([mtt.bench("churn"), "500000"], env=mtt.traced_env(trace),
                           check=True, capture_output=True, timeout=120)
            size, events = self.pack_checked(trace)
            per_event = size / events
            print(f"\nchurn 500000: {os.path.getsize(trace)} -> {size} bytes, {events} events, "
                  f"{per_event:.2f} bytes per event packed "
                  f"({os.path.getsize(trace) / events:.2f} unpacked)")
            self.assertLessEqual(per_event, 4.0)
            # never over an existing file
            cp = rep("--pack", trace)
            self.assertEqual(cp.returncode, 2)
            self.assertIn("the file exists", cp.stderr)
            self.assertEqual(os.path.getsize(trace + ".zst"), size)
            # only binary traces are packed
            cp = rep("--pack", trace + ".zst", "--output", os.path.join(d, "x"))
            self.assertEqual(cp.returncode, 3)
            self.assertIn("already packed", cp.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "x")))

    def test_churn_2m_pack_and_report_times(self):
        with mtt.Workdir() as d:
            trace = os.path.join(d, "churn.trace")
            subprocess.run([mtt.bench("churn"), "2000000"], env=mtt.traced_env(trace),
                           check=True, capture_output=True, timeout=120)
            t0 = time.monotonic()
            cp = rep("--pack", trace)
            t1 = time.monotonic()
            self.assertEqual(cp.returncode, 0, cp.stderr)
            raw = rep("--json", trace)
            t2 = time.monotonic()
            packed = rep("--json", trace + ".zst")
            t3 = time.monotonic()
            self.assertEqual(without_paths(raw.stdout), without_paths(packed.stdout))
            events = json.loads(raw.stdout)["summary"]["events"]
            print(f"\nchurn 2000000 ({events} events, analyzer as built: sanitizers if "
                  f"MTRACE_SANITIZE): {os.path.getsize(trace)} -> "
                  f"{os.path.getsize(trace + '.zst')} bytes "
                  f"({os.path.getsize(trace + '.zst') / events:.2f} B/event); pack "
                  f"{t1 - t0:.2f} s; report {t2 - t1:.2f} s unpacked, {t3 - t2:.2f} s packed "
                  f"(unpack + report)")

    def test_threads(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("mt_pairs"), "4", "20000"], d)
            self.assertEqual(len(traces), 1)
            size, events = self.pack_checked(traces[0])
            self.assertGreaterEqual(events, 160000)

    def test_ring(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.prog("ring_phases"), "300000", "10", "20000"], d,
                                       extra_env={"MTRACE_RING": "1M"})
            self.assertEqual(len(traces), 1)
            self.pack_checked(traces[0])

    def test_other_program(self):
        """Not a benchmark: a real program (perl building and dropping a hash),
        whose trace also holds the fixed costs: maps texts, modules, stacks and
        the scan at exit, which here is most of the packed file."""
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced(["perl", "-e", 'my %h; $h{$_} = [$_, "x" x ($_ % 100)] '
                                        'for 1..50000; delete $h{$_} for 1..25000;'], d)
            self.assertEqual(len(traces), 1)
            size, events = self.pack_checked(traces[0])
            print(f"\nperl hash 50000: {os.path.getsize(traces[0])} -> {size} bytes, "
                  f"{events} events, {size / events:.2f} bytes per event packed")

    def test_damaged_packed_files_are_refused(self):
        with mtt.Workdir() as d:
            _, traces = mtt.run_traced([mtt.sample("leaky")], d)
            cp = rep("--pack", traces[0])
            self.assertEqual(cp.returncode, 0, cp.stderr)
            with open(traces[0] + ".zst", "rb") as f:
                good = f.read()
            bad = os.path.join(d, "bad.trace.zst")
            cases = {
                "truncated": good[:len(good) * 2 // 3],
                "cut in the table": good[:40],
                "one byte more": good + b"\0",
                "stream byte flipped": good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 0x55])
                + good[len(good) // 2 + 1:],
                "original size": good[:16] + (len(good) * 1000).to_bytes(8, "little") + good[24:],
                "version": good[:8] + b"\x09" + good[9:],
            }
            for what, data in cases.items():
                with open(bad, "wb") as f:
                    f.write(data)
                for args in ([], ["--json"], ["--unpack", "--output", os.path.join(d, "u")]):
                    cp = rep(*args, bad)
                    self.assertEqual(cp.returncode, 3, f"{what} {args}: {cp.stderr}")
                    self.assertIn(bad, cp.stderr, what)
                    self.assertNotIn("AddressSanitizer", cp.stderr)
                    self.assertNotIn("runtime error", cp.stderr)
                    self.assertFalse(os.path.exists(os.path.join(d, "u")))

    def test_mtrace_run_pack(self):
        with mtt.Workdir() as d:
            rd = os.path.join(d, "run")
            cp = subprocess.run([RUN, "--pack", "--json", "--run-dir", rd, "--",
                                 mtt.prog("exec_chain"), "2"], capture_output=True, text=True,
                                cwd=d, timeout=120)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            names = sorted(os.listdir(rd))
            self.assertEqual(len(names), 3, names)  # three images of one pid
            self.assertTrue(all(n.endswith(".trace.zst") or n.endswith(".zst") for n in names),
                            names)
            self.assertEqual(len(glob.glob(os.path.join(rd, "*.trace"))), 0)
            again = rep("--json", rd)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(json.loads(cp.stdout), json.loads(again.stdout))
            procs = json.loads(again.stdout)["processes"]
            self.assertEqual([p["end_state"] for p in procs], ["exec", "exec", "exit"])
            # unpacked, the run reports the same (but for the names)
            for n in names:
                cp = rep("--unpack", os.path.join(rd, n))
                self.assertEqual(cp.returncode, 0, cp.stderr)
                os.unlink(os.path.join(rd, n))
            unpacked = rep("--json", rd)
            self.assertEqual(without_paths(unpacked.stdout), without_paths(again.stdout))


if __name__ == "__main__":
    mtt.main()
