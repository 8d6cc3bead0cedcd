"""Allocations before the shim's constructor runs (a .preinit_array function,
a library preloaded ahead of libmtrace.so), in other libraries' constructors
and destructors, and after main returns (atexit, static destructors)."""
import unittest

import mtt


class EarlyLate(unittest.TestCase):
    def test_every_phase_recorded(self):
        early = mtt.prog("libmt_early.so")
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("early_late")], d,
                                        extra_env={"LD_PRELOAD": f"{early} {mtt.LIB}"})
            self.assertEqual(len(traces), 1, traces)  # MTRACE_OUT honoured before libc init
            rep = mtt.report_json(traces[0])
        got = {}
        # every one is dropped by its allocator: definitely lost, as valgrind
        # says (the scan at exit runs after the destructors that made 2003
        # and 2005, and malloc's arena does not count as a root)
        lc = rep["leak_check"]
        self.assertTrue(lc["conclusive"], lc["inconclusive_reason"])
        for l in lc["classes"]["definitely_lost"]["stacks"]:
            fns = [f["function"] for f in l["frames"]]
            got[l["bytes"]] = (l["blocks"], fns)
        expected = {2000: "preinit_alloc", 2001: "early_ctor_alloc", 2002: "helper_ctor_alloc",
                    2003: "helper_dtor_alloc", 2004: "atexit_alloc", 2005: "dtor_alloc"}
        for size, fn in expected.items():
            self.assertIn(size, got, (size, fn, got))
            self.assertEqual(got[size][0], 1)
            self.assertIn(fn, got[size][1])
        self.assertEqual(rep["process"]["end_state"], "exit")


class LateDlopen(unittest.TestCase):
    def test_library_loaded_after_many_stacks_is_symbolised(self):
        # 256 stacks are known before dlopen: the shim checks the loader's
        # list only for a stack with code outside the modules it recorded
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("dlopen_late"), mtt.prog("libmt_helper.so")],
                                        d)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            rep = mtt.report_json(traces[0], "--top", "0")
        leaks = [(l["bytes"], [f["function"] for f in l["frames"]]) for l in rep["leaks"]]
        ctor = [fns for n, fns in leaks if n == 2002]
        self.assertEqual(len(ctor), 1, leaks)
        self.assertEqual(ctor[0][0], "helper_ctor_alloc", ctor)
        self.assertEqual(rep["summary"]["distinct_stacks"] >= 256, True)

if __name__ == "__main__":
    mtt.main()
