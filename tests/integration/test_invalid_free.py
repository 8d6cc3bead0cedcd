"""free(&stack_var) and free(&global) are invalid frees, not frees of blocks
allocated before tracing began: counted and shown as such (text, JSON)."""
import re
import unittest

import mtt


class InvalidFree(unittest.TestCase):
    def run_case(self, mode):
        with mtt.Workdir() as d:
            cp, traces = mtt.run_traced([mtt.prog("bad_free"), mode], d, check=False)
            self.assertNotEqual(cp.returncode, 0)  # glibc aborts
            addr = re.search(r"freeing (0x[0-9a-f]+)", cp.stderr).group(1)
            self.assertEqual(len(traces), 1, traces)
            doc = mtt.report_json(traces[0])
            text = mtt.report(traces[0], "--color", "never").stdout
        s = doc["summary"]
        self.assertEqual(s["invalid_frees"], 1)
        self.assertEqual(s["invalid_free_addresses"], [addr])
        self.assertEqual(s["untracked_frees"], 0)
        self.assertEqual(s["frees"], 1)
        self.assertRegex(text, r"invalid frees\s+1\s.*never heap blocks.*" + addr)
        self.assertNotIn("frees of blocks allocated before", text)

    def test_stack_variable(self):
        self.run_case("stack")

    def test_global(self):
        self.run_case("global")


if __name__ == "__main__":
    mtt.main()
