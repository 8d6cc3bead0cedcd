"""The CI formats: --junit FILE, --sarif FILE and --github-annotations of
mtrace-report and mtrace-run.  The SARIF is validated against a JSON schema
of the fields mtrace emits (the SARIF 2.1.0 rules for them) and checked for
content: the leaky sample's functions at its malloc lines.  The JUnit XML is
parsed and its structure and counts checked; the annotation lines are
checked against GitHub's workflow-command syntax."""
import os
import re
import subprocess
import unittest
import xml.etree.ElementTree as ET

import json
import jsonschema

import mtt

RUN = os.path.join(mtt.BUILD, "analyzer", "mtrace-run")
LEAKY_C = os.path.join(mtt.SOURCE, "samples", "leaky.c")

# SARIF 2.1.0, restricted to what mtrace writes: every property it emits
# with its type, the ones SARIF requires marked required.
LOCATION = {
    "type": "object",
    "properties": {
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {
                    "type": "object", "required": ["uri"],
                    "properties": {"uri": {"type": "string", "minLength": 1},
                                   "uriBaseId": {"const": "SRCROOT"}},
                    "additionalProperties": False},
                "region": {
                    "type": "object", "required": ["startLine"],
                    "properties": {"startLine": {"type": "integer", "minimum": 1}},
                    "additionalProperties": False},
            },
            "additionalProperties": False},
        "logicalLocations": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "required": ["fullyQualifiedName", "kind"],
                      "properties": {"fullyQualifiedName": {"type": "string"},
                                     "kind": {"const": "function"}},
                      "additionalProperties": False}},
    },
    "additionalProperties": False,
}
MESSAGE = {"type": "object", "required": ["text"],
           "properties": {"text": {"type": "string", "minLength": 1}},
           "additionalProperties": False}
LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_SCHEMA = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"type": "string", "pattern": "sarif-schema-2\\.1\\.0\\.json$"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name", "version", "rules"],
                               "properties": {
                                   "name": {"const": "mtrace"},
                                   "version": {"type": "string"},
                                   "informationUri": {"type": "string", "format": "uri"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object",
                                       "required": ["id", "name", "shortDescription",
                                                    "fullDescription", "defaultConfiguration"],
                                       "properties": {
                                           "id": {"type": "string", "pattern": "^mtrace/"},
                                           "name": {"type": "string"},
                                           "shortDescription": MESSAGE,
                                           "fullDescription": MESSAGE,
                                           "defaultConfiguration": {
                                               "type": "object", "required": ["level"],
                                               "properties": {"level": LEVEL},
                                               "additionalProperties": False}},
                                       "additionalProperties": False}}},
                               "additionalProperties": False}},
                    "additionalProperties": False},
                "originalUriBaseIds": {"type": "object", "properties": {
                    "SRCROOT": {"type": "object", "required": ["uri"], "properties": {
                        "uri": {"type": "string", "pattern": "^file:///.*/$"}}}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {
                        "executionSuccessful": {"type": "boolean"},
                        "toolExecutionNotifications": {"type": "array", "items": {
                            "type": "object", "required": ["message"],
                            "properties": {"level": LEVEL, "message": MESSAGE},
                            "additionalProperties": False}}},
                    "additionalProperties": False}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                    "properties": {
                        "ruleId": {"enum": ["mtrace/definite-leak", "mtrace/indirect-leak",
                                            "mtrace/possible-leak", "mtrace/still-reachable",
                                            "mtrace/unfreed", "mtrace/max-peak"]},
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": LEVEL,
                        "message": MESSAGE,
                        "locations": {"type": "array", "minItems": 1, "items": LOCATION},
                        "partialFingerprints": {"type": "object", "minProperties": 1,
                                                "additionalProperties": {"type": "string"}},
                        "stacks": {"type": "array", "items": {
                            "type": "object", "required": ["frames"],
                            "properties": {
                                "message": MESSAGE,
                                "frames": {"type": "array", "items": {
                                    "type": "object",
                                    "properties": {
                                        "location": LOCATION,
                                        "module": {"type": "string"},
                                        "address": {
                                            "type": "object",
                                            "properties": {"absoluteAddress": {
                                                "type": "integer", "minimum": -1}},
                                            "additionalProperties": False}},
                                    "additionalProperties": False}}},
                            "additionalProperties": False}},
                        "suppressions": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["kind"],
                            "properties": {"kind": {"enum": ["inSource", "external"]}}}},
                        "properties": {"type": "object"},
                    },
                    "additionalProperties": False}},
            },
            "additionalProperties": False}},
    },
    "additionalProperties": False,
}

# ::error file=F,line=N,title=T::MESSAGE; property values have % : , CR LF
# escaped, the message % CR LF.
ANNOTATION = re.compile(r"^::(error|warning|notice) "
                        r"(?:file=[^,:\r\n]+,(?:line=[1-9]\d*,)?)?title=[^,:\r\n]*::"
                        r"[^\r\n]*$")


def marker_line(path, marker):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"{marker} not in {path}")


def mtrace_run(cwd, *args, env=None):
    return subprocess.run([RUN, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


def report(cwd, *args):
    return subprocess.run([mtt.REPORT, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def load_sarif(path):
    with open(path) as f:
        doc = json.load(f)
    jsonschema.validate(doc, SARIF_SCHEMA)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        # ruleIndex points at the rule of ruleId
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"], r
    return doc


def load_junit(path):
    """The testsuite, checked: counts agree with the testcases."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites", root.tag
    suites = root.findall("testsuite")
    assert len(suites) == 1, suites
    suite = suites[0]
    assert suite.get("name") == "mtrace"
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    for attrs in (suite.attrib, root.attrib):
        assert int(attrs["tests"]) == len(cases), (attrs, len(cases))
        assert int(attrs["failures"]) == len(failures), attrs
        assert int(attrs["errors"]) == len(errors), attrs
    for c in cases:
        assert c.get("name") and c.get("classname"), c.attrib
        assert len(c.findall("failure")) + len(c.findall("error")) <= 1, c.attrib
    return suite


def annotations(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith("::")]
    for l in lines:
        assert ANNOTATION.match(l), l
    return lines


class Leaky(unittest.TestCase):
    """samples/leaky reported from the source directory: SARIF's uris are
    relative to it (samples/leaky.c)."""

    @classmethod
    def setUpClass(cls):
        cls.work = mtt.Workdir()
        d = cls.dir = cls.work.__enter__()
        cp = mtrace_run(d, "--run-dir", "r", "--no-report", "--", mtt.sample("leaky"))
        assert cp.returncode == 0, cp.stderr
        cls.junit = os.path.join(d, "leaky.xml")
        cls.sarif = os.path.join(d, "leaky.sarif")
        cls.cp = report(mtt.SOURCE, "--junit", cls.junit, "--sarif", cls.sarif,
                        "--github-annotations", "--fail-on-leaks", os.path.join(d, "r"))

    @classmethod
    def tearDownClass(cls):
        cls.work.__exit__(None, None, None)

    def test_exit_and_report(self):
        self.assertEqual(self.cp.returncode, 4, self.cp.stderr)
        self.assertIn("mtrace report", self.cp.stdout)  # the report is still printed

    def test_sarif_content(self):
        run = load_sarif(self.sarif)["runs"][0]
        self.assertEqual(run["tool"]["driver"]["name"], "mtrace")
        self.assertEqual(run["originalUriBaseIds"]["SRCROOT"]["uri"],
                         "file://" + os.path.realpath(mtt.SOURCE) + "/")
        got = sorted((r["ruleId"], r["level"],
                      r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                      r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                      r["locations"][0]["physicalLocation"]["region"]["startLine"],
                      r["properties"]["bytes"], r["properties"]["blocks"])
                     for r in run["results"])
        line = {n: marker_line(LEAKY_C, "leak site %d" % n) for n in (1, 2, 3)}
        want = sorted([
            ("mtrace/definite-leak", "error", "leak_small_strings", "samples/leaky.c",
             line[1], 256, 8),
            ("mtrace/definite-leak", "error", "leak_records", "samples/leaky.c",
             line[2], 48, 1),
            ("mtrace/indirect-leak", "error", "leak_records", "samples/leaky.c",
             line[2], 144, 3),
            ("mtrace/definite-leak", "error", "leak_big_buffer", "samples/leaky.c",
             line[3], 200000, 1),
        ])
        self.assertEqual(got, want)
        for r in run["results"]:
            loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
            self.assertEqual(loc["uriBaseId"], "SRCROOT")
            frames = r["stacks"][0]["frames"]
            names = [f["location"]["logicalLocations"][0]["fullyQualifiedName"] for f in frames]
            self.assertEqual(names[-1], "main", names)
            self.assertIn("bytes in", r["message"]["text"])
            self.assertIn("pid", r["message"]["text"])

    def test_fingerprints_stable(self):
        """Another run of the same program: the same fingerprints."""
        first = load_sarif(self.sarif)["runs"][0]["results"]
        cp = mtrace_run(self.dir, "--run-dir", "again", "--output", "rep.txt",
                        "--sarif", "again.sarif", "--", mtt.sample("leaky"))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        second = load_sarif(os.path.join(self.dir, "again.sarif"))["runs"][0]["results"]

        def prints(results):
            return sorted((r["ruleId"], r["partialFingerprints"]["mtraceStack/v1"])
                          for r in results)

        self.assertEqual(prints(first), prints(second))
        self.assertEqual(len(set(fp for _, fp in prints(first))), 4)
        # reported from elsewhere: absolute file:// uris, no base
        for r in second:
            loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
            self.assertNotIn("uriBaseId", loc)
            self.assertTrue(loc["uri"].startswith("file:///"), loc)
            self.assertTrue(loc["uri"].endswith("/samples/leaky.c"), loc)

    def test_junit(self):
        suite = load_junit(self.junit)
        cases = suite.findall("testcase")
        self.assertEqual(len(cases), 1)
        case = cases[0]
        self.assertEqual(case.get("classname"), "leaky")
        self.assertRegex(case.get("name"), r"^leaky \(pid \d+\)$")
        fail = case.find("failure")
        self.assertEqual(fail.get("type"), "leak")
        self.assertIn("200,448 bytes", fail.get("message"))
        for fn in ("leak_small_strings", "leak_records", "leak_big_buffer", "main"):
            self.assertIn(fn, fail.text)
        self.assertIn("samples/leaky.c:%d" % marker_line(LEAKY_C, "leak site 3"), fail.text)
        self.assertIn("indirectly lost", fail.text)
        self.assertIn("peak live heap", case.find("system-out").text)

    def test_annotations(self):
        lines = annotations(self.cp.stdout)
        self.assertEqual(len(lines), 4, lines)
        line3 = marker_line(LEAKY_C, "leak site 3")
        big = [l for l in lines if "leak_big_buffer" in l.split("::")[2]]
        self.assertEqual(len(big), 1, lines)
        self.assertTrue(big[0].startswith("::error file=samples/leaky.c,line=%d,title=mtrace%%3A "
                                          % line3), big[0])
        self.assertIn("%0A    main samples/leaky.c:", big[0])


class Run(unittest.TestCase):
    def test_forker_run(self):
        """A run of 3 processes: a test case each, the two leaking children
        fail, the parent passes; the files are named relative to the cwd."""
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--junit", "out/j.xml", "--sarif", "s.sarif",
                            "--github-annotations", "--", mtt.prog("forker"), "2")
            self.assertEqual(cp.returncode, 1, cp.stderr)  # out/ does not exist
            self.assertIn("cannot write the JUnit report to out/j.xml", cp.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "r")), "ran the program")
            os.mkdir(os.path.join(d, "out"))
            cp = mtrace_run(d, "--run-dir", "r", "--junit", "out/j.xml", "--sarif", "s.sarif",
                            "--github-annotations", "--", mtt.prog("forker"), "2")
            self.assertEqual(cp.returncode, 0, cp.stderr)  # no gate given: the report's 0
            suite = load_junit(os.path.join(d, "out", "j.xml"))
            cases = suite.findall("testcase")
            self.assertEqual(len(cases), 3)
            failed = [c for c in cases if c.find("failure") is not None]
            self.assertEqual(len(failed), 2)
            for c in failed:
                self.assertIn("leak_in_child", c.find("failure").text)
                self.assertRegex(c.find("failure").get("message"), r"^[12],000 bytes of leaks")
            results = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]["results"]
            self.assertEqual(sorted(r["properties"]["bytes"] for r in results), [1000, 2000])
            self.assertEqual(len({r["properties"]["pid"] for r in results}), 2)
            lines = annotations(cp.stdout)
            self.assertEqual(len(lines), 2, lines)
            self.assertTrue(all(l.startswith("::error ") for l in lines), lines)

    def test_gate_limit(self):
        """Under the --fail-on-leaks limit nothing fails: findings are warnings."""
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--sarif", "s.sarif", "--github-annotations",
                            "--fail-on-leaks=1M", "--", mtt.prog("forker"), "2")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            suite = load_junit(os.path.join(d, "j.xml"))
            self.assertEqual(suite.get("failures"), "0")
            results = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]["results"]
            self.assertEqual({r["level"] for r in results}, {"warning"})
            lines = annotations(cp.stdout)
            self.assertTrue(lines and all(l.startswith("::warning ") for l in lines), lines)

    def test_passing_program(self):
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--junit", "j.xml", "--sarif", "s.sarif",
                            "--github-annotations", "--fail-on-leaks", "--", "/bin/true")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            suite = load_junit(os.path.join(d, "j.xml"))
            self.assertEqual(len(suite.findall("testcase")), 1)
            self.assertEqual(suite.get("failures"), "0")
            self.assertEqual(suite.get("errors"), "0")
            doc = load_sarif(os.path.join(d, "s.sarif"))
            self.assertEqual(doc["runs"][0]["results"], [])
            self.assertEqual(annotations(cp.stdout), [])

    def test_max_peak(self):
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--sarif", "s.sarif", "--github-annotations", "--max-peak=400K",
                            "--fail-on-leaks=1M", "--", mtt.sample("leaky"))
            self.assertEqual(cp.returncode, 4, cp.stderr)
            fail = load_junit(os.path.join(d, "j.xml")).find("testcase/failure")
            self.assertEqual(fail.get("type"), "max-peak")
            self.assertIn("above --max-peak 409,600", fail.get("message"))
            results = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]["results"]
            peak = [r for r in results if r["ruleId"] == "mtrace/max-peak"]
            self.assertEqual(len(peak), 1)
            self.assertEqual(peak[0]["level"], "error")
            self.assertEqual(peak[0]["properties"]["peak_bytes"], 500448)
            self.assertTrue(any("--max-peak" in l for l in annotations(cp.stdout)))

    def test_inconclusive(self):
        """No scan at exit: an <error> test case, a SARIF notification, the
        unfreed stacks as warnings."""
        with mtt.Workdir() as d:
            env = dict(os.environ, MTRACE_LEAK_CHECK="off")
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--sarif", "s.sarif", "--fail-on-leaks", "--",
                            mtt.sample("leaky"), env=env)
            self.assertEqual(cp.returncode, 6, cp.stderr)
            suite = load_junit(os.path.join(d, "j.xml"))
            err = suite.find("testcase/error")
            self.assertEqual(err.get("type"), "inconclusive")
            self.assertIn("leak check inconclusive", err.get("message"))
            self.assertIn("leak_big_buffer", err.text)
            run = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]
            self.assertEqual({r["ruleId"] for r in run["results"]}, {"mtrace/unfreed"})
            self.assertEqual({r["level"] for r in run["results"]}, {"warning"})
            notes = run["invocations"][0]["toolExecutionNotifications"]
            self.assertEqual(len(notes), 1)
            self.assertIn("inconclusive", notes[0]["message"]["text"])

    def test_unreadable_trace(self):
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--no-report", "--", "/bin/true")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            with open(os.path.join(d, "r", "bad.trace"), "wb") as f:
                f.write(b"not a trace <&>\x01")
            rep = report(d, "--junit", "j.xml", "--sarif", "s.sarif", "r")
            self.assertEqual(rep.returncode, 3, rep.stderr)
            suite = load_junit(os.path.join(d, "j.xml"))
            errs = suite.findall("testcase/error")
            self.assertEqual([e.get("type") for e in errs], ["unreadable"])
            doc = load_sarif(os.path.join(d, "s.sarif"))
            self.assertFalse(doc["runs"][0]["invocations"][0]["executionSuccessful"])


class Suppressions(unittest.TestCase):
    def test_suppressed_leaks(self):
        with mtt.Workdir() as d:
            supp = os.path.join(d, "supp.txt")
            with open(supp, "w") as f:
                f.write("leak:leak_big_buffer\n")
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--sarif", "s.sarif", "--github-annotations", "--suppressions",
                            supp, "--fail-on-leaks", "--", mtt.sample("leaky"))
            self.assertEqual(cp.returncode, 4, cp.stderr)
            results = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]["results"]
            big = [r for r in results if "leak_big_buffer" in r["message"]["text"]]
            self.assertEqual(len(big), 1)
            self.assertEqual(big[0]["suppressions"], [{"kind": "external"}])
            self.assertEqual(big[0]["level"], "note")
            for r in results:
                if r is not big[0]:
                    self.assertNotIn("suppressions", r)
                    self.assertEqual(r["level"], "error")
            fail = load_junit(os.path.join(d, "j.xml")).find("testcase/failure")
            self.assertIn("448 bytes of leaks", fail.get("message"))
            self.assertNotIn("leak_big_buffer", fail.text)
            lines = annotations(cp.stdout)
            self.assertEqual(len(lines), 3)
            self.assertFalse(any("leak_big_buffer" in l for l in lines))
            # everything suppressed: the test case passes
            with open(supp, "w") as f:
                f.write("leak:leak_\n")
            cp = mtrace_run(d, "--run-dir", "r2", "--output", "rep2.txt", "--junit", "j2.xml",
                            "--suppressions", supp, "--fail-on-leaks", "--",
                            mtt.sample("leaky"))
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(load_junit(os.path.join(d, "j2.xml")).get("failures"), "0")


class Escaping(unittest.TestCase):
    def test_cxx_names(self):
        exe = mtt.sample("cxx_registry")
        if not os.path.exists(exe):
            self.skipTest("no C++ compiler: samples/cxx_registry not built")
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--sarif", "s.sarif", "--github-annotations", "--", exe)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            with open(os.path.join(d, "j.xml"), encoding="utf-8") as f:
                raw = f.read()
            self.assertIn("shapes::Registry&lt;shapes::Widget&gt;::make&lt;int&amp;&gt;"
                          "(int&amp;)", raw)
            fail = load_junit(os.path.join(d, "j.xml")).find("testcase/failure")
            self.assertIn("shapes::Registry<shapes::Widget>::make<int&>(int&)", fail.text)
            results = load_sarif(os.path.join(d, "s.sarif"))["runs"][0]["results"]
            where = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                     for r in results}
            # the location is the program's frame, not libstdc++'s operator new
            self.assertIn("shapes::Widget* shapes::Registry<shapes::Widget>::make<int&>(int&)",
                          where)
            for r in results:
                uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                self.assertTrue(uri.endswith("samples/cxx_registry.cpp"), uri)
            annotations(cp.stdout)

    def test_control_characters(self):
        """A command line with control characters and markup: the JUnit file
        stays well-formed XML, the annotations stay one line each."""
        with mtt.Workdir() as d:
            arg = "a\x01b\x1b[31m<&>\"'%,:\r\nz"
            cp = mtrace_run(d, "--run-dir", "r", "--output", "rep.txt", "--junit", "j.xml",
                            "--github-annotations", "--", mtt.sample("leaky"), arg)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            suite = load_junit(os.path.join(d, "j.xml"))
            out = suite.find("testcase/system-out").text
            self.assertIn("<&>", out)
            self.assertNotIn("\x01", out)
            self.assertNotIn("\x1b", out)
            self.assertEqual(len(annotations(cp.stdout)), 4)


class Usage(unittest.TestCase):
    def test_refusals(self):
        with mtt.Workdir() as d:
            cp = mtrace_run(d, "--run-dir", "r", "--no-report", "--", "/bin/true")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            rep = report(d, "--json", "--github-annotations", "r")
            self.assertEqual(rep.returncode, 1)
            self.assertIn("--output FILE", rep.stderr)
            rep = report(d, "--json", "--output", "r.json", "--github-annotations", "r")
            self.assertEqual(rep.returncode, 0, rep.stderr)
            rep = report(d, "--export-json", "--junit", "j.xml", "r")
            self.assertEqual(rep.returncode, 1)
            rep = report(d, "--junit", "x.xml", "--sarif", "x.xml", "r")
            self.assertEqual(rep.returncode, 1)
            rep = report(d, "--junit", "nodir/j.xml", "r")
            self.assertEqual(rep.returncode, 2)
            self.assertIn("nodir/j.xml", rep.stderr)
            cp = mtrace_run(d, "--json", "--github-annotations", "--", "/bin/true")
            self.assertEqual(cp.returncode, 1)
            cp = mtrace_run(d, "--no-report", "--sarif", "s.sarif", "--", "/bin/true")
            self.assertEqual(cp.returncode, 1)
            cp = mtrace_run(d, "--sarif", "r", "--", "/bin/true")
            self.assertEqual(cp.returncode, 1)
            self.assertIn("is a directory", cp.stderr)


if __name__ == "__main__":
    mtt.main()
