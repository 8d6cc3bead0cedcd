"""The HTML page (--html) in a real browser: headless Chromium loads the
page of samples/phases, the embedded script draws it (it marks <body
data-rendered="1"> and lists script errors in #script-errors), and the DOM
has the usage chart, the threshold line, the flame graphs and the sample's
function names.  Nothing is fetched: the page has no URL but its own.  And
a trace with 131,072 distinct stacks still gives a small page."""
import os
import re
import shutil
import subprocess
import unittest

import mtt

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(page, workdir):
    cp = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                         "--user-data-dir=" + os.path.join(workdir, "profile"),
                         "--dump-dom", "file://" + page],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr[-2000:]
    return cp.stdout


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        cls.dir = cls.work.__enter__()
        _, traces = mtt.run_traced([mtt.sample("phases"), "2"], cls.dir)
        cls.page = os.path.join(cls.dir, "report.html")
        cp = subprocess.run([mtt.REPORT, "--html", cls.page, traces[0]], capture_output=True,
                            text=True, timeout=120)
        assert cp.returncode == 0, cp.stderr
        with open(cls.page, encoding="utf-8") as f:
            cls.html = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_self_contained(self):
        # no resource from anywhere: no src=, no href= to a URL, no fetch
        self.assertIsNone(re.search(r'\s(src|href)=', self.html))
        self.assertNotIn("http://", self.html.replace("http://www.w3.org/2000/svg", ""))
        self.assertNotIn("https://", self.html)
        self.assertNotIn("fetch(", self.html)

    @unittest.skipUnless(CHROMIUM, "chromium is not installed (scripts/deps.sh test)")
    def test_renders_in_chromium(self):
        dom = dump_dom(self.page, self.dir)
        self.maxDiff = 2000
        body = re.search(r'<body[^>]*>', dom).group(0)
        self.assertIn('data-rendered="1"', body, re.findall(r'<pre id="script-errors".*?</pre>', dom))
        self.assertNotIn("data-errors", body)
        self.assertRegex(dom, r'<pre id="script-errors" hidden="">\s*</pre>')
        # the usage chart: areas by source, the live line, the peak
        self.assertRegex(dom, r'<svg[^>]*class="usage"')
        self.assertRegex(dom, r'<path[^>]*class="area-brk"')
        self.assertRegex(dom, r'<path d="M[^"]+"[^>]*class="live"')
        self.assertRegex(dom, r'<circle[^>]*class="peak"')
        self.assertRegex(dom, r'<path d="M[^"]+"[^>]*class="threshold-line"')
        # three flame graphs with rectangles and the sample's names
        self.assertEqual(len(re.findall(r'<svg[^>]*class="flame"', dom)), 3)
        # every frame has its tooltip; the wide ones a label too
        for name in ("hold_big_blocks", "churn", "fill_cache", "leak_extra"):
            self.assertIn("<title>" + name + ": ", dom)
        for name in ("hold_big_blocks", "churn", "leak_extra"):
            self.assertRegex(dom, r'<text[^>]*>' + name + '</text>', name)
        self.assertIn("1,024,000", dom)
        self.assertRegex(dom, r'<svg[^>]*class="regions"')
        self.assertIn("Temporary allocations", dom)

    def test_bounded_on_many_stacks(self):
        _, traces = mtt.run_traced([mtt.prog("stress_trace"), "stacks", "17"], self.dir)
        big = os.path.join(self.dir, "big.html")
        cp = subprocess.run([mtt.REPORT, "--html", big, traces[-1]], capture_output=True,
                            text=True, timeout=240)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertLess(os.path.getsize(big), 3 * 1024 * 1024)


if __name__ == "__main__":
    mtt.main()
