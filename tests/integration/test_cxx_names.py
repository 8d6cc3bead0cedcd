"""C++ names people read: samples/cxx_registry leaks through operator new
from inside templates; the report shows demangled names, and
--short-templates renders Registry<...>::make<...>."""
import os
import re
import unittest

import mtt


class CxxNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        exe = mtt.sample("cxx_registry")
        if not os.path.exists(exe):
            raise unittest.SkipTest("no C++ compiler: samples/cxx_registry not built")
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        cls.cp, traces = mtt.run_traced([exe], cls.dir)
        assert len(traces) == 1, traces
        cls.trace = traces[0]
        cls.text = mtt.report(cls.trace, "--color", "never").stdout
        cls.short = mtt.report(cls.trace, "--color", "never", "--short-templates").stdout
        cls.json = mtt.report_json(cls.trace)

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def program_leaks(self, doc):
        out = []
        for leak in doc["leaks"]:
            fns = [f["function"] for f in leak["frames"]]
            if "main" in fns:
                out.append((leak["bytes"], leak["blocks"], fns))
        return sorted(out)

    def test_expected_figures(self):
        m = re.search(r"expected leaked_blocks=(\d+) leaked_bytes=(\d+)", self.cp.stderr)
        self.assertIsNotNone(m, self.cp.stderr)
        leaks = self.program_leaks(self.json)
        self.assertEqual(sum(b for _, b, _ in leaks), int(m.group(1)))
        self.assertEqual(sum(b for b, _, _ in leaks), int(m.group(2)))

    def test_demangled_in_json(self):
        leaks = self.program_leaks(self.json)
        self.assertEqual(len(leaks), 2, leaks)
        (small, _, make), (big, _, buf) = leaks
        self.assertEqual(small, 72)
        self.assertEqual(big, 1000)
        self.assertEqual(make[0], "operator new(unsigned long)")
        self.assertEqual(make[1],
                         "shapes::Widget* shapes::Registry<shapes::Widget>::make<int&>(int&)")
        self.assertEqual(make[2], "void shapes::fill<shapes::Widget>"
                                  "(shapes::Registry<shapes::Widget>&, int)")
        self.assertEqual(buf[1], "shapes::Registry<shapes::Widget>::buffer(unsigned long)")
        for leak in self.json["leaks"]:
            for f in leak["frames"]:
                self.assertFalse((f["function"] or "").startswith("_Z"), f)

    def test_text_has_no_mangled_names(self):
        self.assertNotRegex(self.text, r"\b_Z[A-Za-z0-9_]+")
        self.assertIn("shapes::Registry<shapes::Widget>::make<int&>(int&)", self.text)
        self.assertIn("operator new(unsigned long)", self.text)

    def test_short_templates(self):
        self.assertIn("shapes::Widget* shapes::Registry<...>::make<...>(int&)", self.short)
        self.assertIn("void shapes::fill<...>(shapes::Registry<...>&, int)", self.short)
        self.assertNotIn("<shapes::Widget>", self.short)
        self.assertIn("operator new(unsigned long)", self.short)


if __name__ == "__main__":
    mtt.main()
