"""A signal ends a traced program exactly as it ends the untraced one, and
the program sees its own signal dispositions (issue 8 item 3).

Every case runs tests/progs/sigprobe twice, untraced and under libmtrace.so,
and compares the raw wait status (signal and core-dump bit), stdout and
stderr; then checks what the trace says of the end."""
import os
import resource
import signal
import subprocess
import time
import unittest

import mtt

PROBE = mtt.prog("sigprobe")
DEFAULT_TERMINATING = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM]


class Run:
    def __init__(self, status, out, err, traces):
        self.status, self.out, self.err, self.traces = status, out, err, traces

    def __repr__(self):
        return f"status={self.status:#x} out={self.out!r} err={self.err[-500:]!r}"


def run(args, workdir, traced, send=None, after=0.0, core=False):
    """Runs sigprobe ARGS in its own directory under workdir.  With send, waits
    for its "ready" line, sleeps `after` seconds and sends that signal.  Core
    dumps are allowed only with core (they land in that directory)."""
    cwd = os.path.join(workdir, ("traced" if traced else "plain") + str(len(os.listdir(workdir))))
    os.mkdir(cwd)
    if traced:
        env = mtt.traced_env(os.path.join(cwd, "t.%p.trace"))
    else:
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

    def child_setup():
        # the test runner may have been started with some signals ignored
        for s in DEFAULT_TERMINATING + [signal.SIGPIPE]:
            signal.signal(s, signal.SIG_DFL)
        lim = resource.RLIM_INFINITY if core else 0
        resource.setrlimit(resource.RLIMIT_CORE, (lim, lim))

    p = subprocess.Popen([PROBE, *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=child_setup)
    out = b""
    if send is not None:
        out = p.stdout.readline()
        if out != b"ready\n":
            p.kill()
            raise AssertionError(f"{args}: no ready line: {out!r}")
        time.sleep(after)
        os.kill(p.pid, send)
    out += p.stdout.read()
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    _, status = os.waitpid(p.pid, 0)
    p.returncode = status  # reaped here, for the raw status
    traces = sorted(os.path.join(cwd, f) for f in os.listdir(cwd) if ".trace" in f)
    return Run(status, out.decode(), err.decode(), traces)


class Signals(unittest.TestCase):
    def setUp(self):
        self.dir = mtt.Workdir()
        self.work = self.dir.__enter__()

    def tearDown(self):
        self.dir.__exit__(None, None, None)

    def both(self, args, send=None, after=0.0, core=False):
        """The untraced and the traced run; asserts they look the same."""
        plain = run(args, self.work, False, send, after, core)
        traced = run(args, self.work, True, send, after, core)
        self.assertEqual(traced.status, plain.status, (args, plain, traced))
        self.assertEqual(traced.out, plain.out, args)
        self.assertEqual(traced.err, plain.err, args)
        self.assertTrue(traced.traces, args)
        return plain, traced

    def assert_killed(self, r, sig):
        self.assertTrue(os.WIFSIGNALED(r.status), r)
        self.assertEqual(os.WTERMSIG(r.status), sig, r)

    def assert_end(self, trace, state, code, name=None):
        rep = mtt.report_json(trace)
        self.assertEqual(rep["process"]["end_state"], state, trace)
        self.assertEqual(rep["process"]["end_code"], code, trace)
        self.assertEqual(rep["process"]["end_signal"], name)
        return mtt.report(trace, "--color", "never").stdout

    def test_kill_sleeping(self):
        """kill -SIG while the program sleeps: it dies of SIG at once (no
        "woke"), and the trace says so."""
        sigs = [signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
                signal.SIGABRT] + DEFAULT_TERMINATING
        for sig in sigs:
            with self.subTest(sig=sig.name):
                plain, traced = self.both(["sleep", "5000"], send=sig)
                self.assert_killed(plain, sig)
                self.assertEqual(traced.out, "ready\n")
                self.assertEqual(len(traced.traces), 1)
                text = self.assert_end(traced.traces[0], "signal", sig, sig.name)
                self.assertIn(f"killed by {sig.name} (signal {int(sig)})", text)

    def test_kill_spinning(self):
        """kill -SEGV / -TERM while the program allocates in a loop: nothing
        runs after the signal (the loop would go on for 5 s and print)."""
        for sig in (signal.SIGSEGV, signal.SIGTERM):
            with self.subTest(sig=sig.name):
                plain, traced = self.both(["spin", "5000"], send=sig, after=0.3)
                self.assert_killed(traced, sig)
                self.assertEqual(traced.out, "ready\n")
                self.assert_end(traced.traces[0], "signal", sig, sig.name)
                rep = mtt.report_json(traced.traces[0])
                self.assertLess(rep["process"]["duration_ns"], 2e9)
                self.assertGreater(rep["summary"]["allocations"], 1000)

    def test_kill_threads(self):
        """Four threads allocating when kill -TERM / -SEGV / -INT arrives."""
        for sig in (signal.SIGTERM, signal.SIGSEGV, signal.SIGINT):
            with self.subTest(sig=sig.name):
                plain, traced = self.both(["threads", "4", "5000"], send=sig, after=0.3)
                self.assert_killed(traced, sig)
                self.assertEqual(traced.out, "ready\n")
                self.assert_end(traced.traces[0], "signal", sig, sig.name)
                rep = mtt.report_json(traced.traces[0])
                self.assertLess(rep["process"]["duration_ns"], 2e9)

    def test_kill_during_exit(self):
        """main returned and a destructor hangs: the SIGTERM that ends it
        is the end, not an exit."""
        plain, traced = self.both(["exit-hang"], send=signal.SIGTERM)
        self.assert_killed(traced, signal.SIGTERM)
        self.assertEqual(traced.out, "ready\n")
        self.assert_end(traced.traces[0], "signal", signal.SIGTERM, "SIGTERM")

    def test_core_dump_bit(self):
        """Same core-dump bit as untraced: a fault, kill -SEGV, raise(SIGQUIT)."""
        for args, send, sig in ((["null"], None, signal.SIGSEGV),
                                (["sleep", "5000"], signal.SIGSEGV, signal.SIGSEGV),
                                (["raise", str(int(signal.SIGQUIT))], None, signal.SIGQUIT)):
            with self.subTest(args=args):
                plain, traced = self.both(args, send=send, core=True)
                self.assert_killed(traced, sig)
                self.assertEqual(os.WCOREDUMP(traced.status), os.WCOREDUMP(plain.status))
                self.assert_end(traced.traces[0], "signal", sig, sig.name)

    def test_null_dereference(self):
        plain, traced = self.both(["null"])
        self.assert_killed(traced, signal.SIGSEGV)
        self.assertEqual(traced.out, "")
        text = self.assert_end(traced.traces[0], "signal", signal.SIGSEGV, "SIGSEGV")
        self.assertIn("killed by SIGSEGV (signal 11)", text)

    def test_double_free_is_an_abort(self):
        """glibc's malloc_printerr calls abort() inside free, not through the
        PLT: still an abort, status 134, glibc's message unchanged."""
        plain, traced = self.both(["double-free"])
        self.assert_killed(traced, signal.SIGABRT)
        self.assertIn("double free", traced.err)
        text = self.assert_end(traced.traces[0], "abort", signal.SIGABRT, "SIGABRT")
        self.assertIn("aborted (SIGABRT)", text)

    def test_failed_assert_is_an_abort(self):
        plain, traced = self.both(["assert"])
        self.assert_killed(traced, signal.SIGABRT)
        self.assertIn("Assertion", traced.err)
        self.assert_end(traced.traces[0], "abort", signal.SIGABRT, "SIGABRT")

    def test_raise(self):
        """raise(SIGABRT) is a signal, not abort(); so is raise(SIGTERM); and
        the same sent with sigqueue (SI_QUEUE rather than SI_TKILL)."""
        for how, sig in (("raise", signal.SIGABRT), ("raise", signal.SIGTERM),
                         ("raise", signal.SIGHUP), ("sigqueue", signal.SIGABRT),
                         ("sigqueue", signal.SIGSEGV), ("sigqueue", signal.SIGFPE)):
            with self.subTest(how=how, sig=sig.name):
                plain, traced = self.both([how, str(int(sig))])
                self.assert_killed(traced, sig)
                self.assertEqual(traced.out, "")
                self.assert_end(traced.traces[0], "signal", sig, sig.name)

    def test_program_sees_its_own_disposition(self):
        """sigaction(SIGSEGV, NULL, &old) before and after the program's own
        handler, and after signal(SIGSEGV, SIG_DFL), as untraced; then a
        kill(getpid(), SIGSEGV) is recorded (ours went back in)."""
        plain, traced = self.both(["view"])
        self.assertIn("start: sig 11: SIG_DFL flags=0 mask=0\n", traced.out)
        self.assertIn("old handler was SIG_DFL\n", traced.out)
        self.assertIn("handler: sig 11: on_any", traced.out)
        self.assertIn("signal() returned on_any\n", traced.out)
        self.assertIn("default again: sig 11: SIG_DFL", traced.out)
        self.assertNotIn("survived", traced.out)
        self.assert_killed(traced, signal.SIGSEGV)
        self.assert_end(traced.traces[0], "signal", signal.SIGSEGV, "SIGSEGV")

    def test_viewall(self):
        plain, traced = self.both(["viewall"])
        self.assertEqual(traced.out.count("SIG_DFL flags=0 mask=0\n"), 9, traced.out)
        self.assert_end(traced.traces[0], "exit", 0)

    def test_exec_keeps_ignored(self):
        """SIG_IGN survives exec, handlers do not; the new image sees that,
        and the kernel ignores the same signals (SigIgn)."""
        plain, traced = self.both(["ign-exec"])
        self.assertIn("viewall: sig 15: SIG_IGN", traced.out)
        self.assertIn("viewall: sig 2: SIG_IGN", traced.out)
        self.assertIn("viewall: sig 1: SIG_DFL", traced.out)
        self.assertIn("viewall: SigIgn:", traced.out)
        self.assertEqual(traced.status, 0)

    def test_ignored_stays_ignored(self):
        plain, traced = self.both(["ign-kill"])
        self.assertEqual(traced.out, "alive\n")
        self.assert_end(traced.traces[0], "exit", 0)

    def test_fork_child(self):
        """A fork child inherits the dispositions, sees them as the program
        set them, dies of SIGTERM like the untraced one, and its own trace
        says so."""
        plain, traced = self.both(["fork"])
        self.assertIn("child: killed by signal 15\n", traced.out)
        self.assertEqual(len(traced.traces), 2)
        ends = sorted((mtt.report_json(t)["process"]["end_state"],
                       mtt.report_json(t)["process"]["end_code"]) for t in traced.traces)
        self.assertEqual(ends, [("exit", 0), ("signal", signal.SIGTERM)])

    def test_program_handler_wins(self):
        plain, traced = self.both(["handled"], send=signal.SIGTERM)
        self.assertEqual(traced.out, "ready\nhandled 15\n")
        self.assertEqual(os.WEXITSTATUS(traced.status), 3)
        self.assert_end(traced.traces[0], "_exit", 3)

    def test_blocked_stays_blocked(self):
        plain, traced = self.both(["blocked"])
        self.assertEqual(traced.out, "got 15\n")
        self.assert_end(traced.traces[0], "exit", 0)


if __name__ == "__main__":
    mtt.main()
