"""Settings: a bad MTRACE_* value gets one warning line and the default;
MTRACE_QUIET=1 silences the shim.  Security: the trace never follows or
overwrites a planted symlink; a secure-execution process is never traced."""
import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import mtt


def run(argv, env_extra, cwd):
    env = mtt.traced_env(os.path.join(cwd, "t.%p.trace"), env_extra)
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)



def set_runpath(exe, new):
    """Points an executable's DT_RUNPATH at `new` by rewriting the string in
    its .dynstr in place (`new` must not be longer than the old value)."""
    out = subprocess.run(["readelf", "-W", "-d", exe], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"\(RUNPATH\)\s+Library runpath: \[(.*)\]", out)
    if not m:
        raise AssertionError("%s has no RUNPATH:\n%s" % (exe, out))
    old = m.group(1).encode()
    if len(new.encode()) > len(old):
        raise unittest.SkipTest("temporary path %s longer than RUNPATH %s" % (new, old))
    secs = subprocess.run(["readelf", "-W", "-S", exe], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r"\]\s+\.dynstr\s+STRTAB\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", secs)
    off, size = int(m.group(1), 16), int(m.group(2), 16)
    data = bytearray(open(exe, "rb").read())
    at = data.find(old + b"\0", off, off + size)
    if at < 0:
        raise AssertionError("RUNPATH string not found in .dynstr of " + exe)
    data[at:at + len(old)] = new.encode().ljust(len(old), b"\0")
    with open(exe, "wb") as f:
        f.write(data)


class Settings(unittest.TestCase):
    def test_bad_values_warn_once_each_and_use_defaults(self):
        with mtt.Workdir() as d:
            cp = run([mtt.sample("leaky")], {"MTRACE_DEPTH": "9999", "MTRACE_CHUNK": "lots",
                                             "MTRACE_QUIET": "maybe",
                                             "MTRACE_MAPS_ON_MMAP": "2\nx"}, d)
            lines = [l for l in cp.stderr.splitlines() if l.startswith("mtrace[")]
            self.assertEqual(len(lines), 4, cp.stderr)
            for name in ("MTRACE_DEPTH", "MTRACE_CHUNK", "MTRACE_QUIET", "MTRACE_MAPS_ON_MMAP"):
                self.assertEqual(sum(name in l for l in lines), 1, (name, lines))
            traces = glob.glob(os.path.join(d, "t.*.trace"))
            rep = mtt.report_json(traces[0])
            self.assertEqual(rep["summary"]["leaked_bytes"], 200448)  # traced as usual

    def test_quiet_silences_the_shim(self):
        with mtt.Workdir() as d:
            cp = run([mtt.sample("leaky")], {"MTRACE_QUIET": "1", "MTRACE_DEPTH": "0",
                                             "MTRACE_OUT": "/nonexistent/dir/x.trace"}, d)
            self.assertNotIn("mtrace[", cp.stderr)


class Security(unittest.TestCase):
    def test_planted_symlink_is_never_followed(self):
        with mtt.Workdir() as d:
            target = os.path.join(d, "victim")
            with open(target, "w") as f:
                f.write("precious\n")
            out = os.path.join(d, "x.trace")
            os.symlink(target, out)
            env = mtt.traced_env(out)
            cp = subprocess.run([mtt.sample("leaky")], env=env, cwd=d, capture_output=True,
                                text=True, timeout=60)
            self.assertEqual(cp.returncode, 0)
            with open(target) as f:
                self.assertEqual(f.read(), "precious\n")
            self.assertTrue(os.path.islink(out))
            sibling = out + ".1"
            st = os.lstat(sibling)
            self.assertTrue(stat.S_ISREG(st.st_mode))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            self.assertIn(sibling, cp.stderr)  # says where the trace went
            self.assertEqual(mtt.report_json(sibling)["summary"]["leaked_bytes"], 200448)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to make a setuid-nobody binary")
    def test_secure_execution_is_never_traced(self):
        import pwd
        nobody = pwd.getpwnam("nobody").pw_uid
        # A short, world-traversable directory: the setuid-nobody copy must be
        # able to load the shim even when the checkout lives under a home
        # directory that nobody else may enter (/root is 0700).
        d = tempfile.mkdtemp(prefix="m", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        libdir = os.path.join(d, "lib")
        os.mkdir(libdir, 0o755)
        shutil.copy(mtt.LIB, libdir)
        for name in ("secure_probe", "secure_probe_linked"):
            exe = os.path.join(d, name)
            shutil.copy(mtt.prog(name), exe)
            if name == "secure_probe_linked":
                set_runpath(exe, libdir)
            # control: not setuid -> traced (the linked copy loads the shim itself)
            env = mtt.traced_env(os.path.join(d, name + ".ctl.%p.trace"))
            cp = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
            self.assertIn("AT_SECURE=0", cp.stderr)
            self.assertEqual(len(glob.glob(os.path.join(d, name + ".ctl.*"))), 1)
            os.chown(exe, nobody, -1)
            os.chmod(exe, 0o4755)
            env = mtt.traced_env(os.path.join(d, name + ".sec.%p.trace"))
            cp = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            if "AT_SECURE=1" not in cp.stderr:
                self.skipTest("setuid bit not honoured here (nosuid mount?)")
            self.assertEqual(glob.glob(os.path.join(d, name + ".sec.*")), [])
            self.assertNotIn("mtrace[", cp.stderr)


if __name__ == "__main__":
    mtt.main()
