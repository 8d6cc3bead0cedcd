"""strace as a witness of what malloc asked the kernel for.

Runs a program under `strace -f -k -e trace=brk,mmap,munmap,mremap` and
turns the output into classified calls.  `-k` prints the call stack of every
system call; the classification below rests on it, not on guessing from sizes:

  started  main() of the program is on the stack.  Everything before it (the
           loader mapping libraries, libc's start-up, mtrace's constructor,
           the initial brk(NULL) query) is start-up and is not compared.
  heap     made by glibc's malloc: a public malloc-family entry point of
           libc (malloc, free, realloc, calloc, the memalign family) is on
           the stack, or it is a brk that moved the break.
  own      mtrace's own mapping: a MAP_SHARED mapping of a file (the trace
           file), a PROT_NONE reservation, a raw syscall(2) (libc's generic
           `syscall` wrapper, or libmtrace.so's mt_raw_syscall, is the
           innermost frame: glibc's malloc never uses them, libmtrace.so does
           for all its memory), or a call made by
           libunwind (the tracer's unwinder) -- and in every case no malloc
           entry point on the stack, so a heap call made on the tracer's
           behalf could never hide here.
"""
import re
import subprocess

from mtt import have

LINE = re.compile(r"^(\d+)\s+(brk|mmap|munmap|mremap)\((.*)\)\s+=\s+(\S+)")
# Two threads in a call at once: strace splits one of them in two lines,
#   PID mmap(NULL, 134217728, PROT_NONE, ... <unfinished ...>
#   PID <... mmap resumed>) = 0x7f...
UNFINISHED = re.compile(r"^(\d+)\s+(brk|mmap|munmap|mremap)\((.*) <unfinished \.\.\.>$")
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (brk|mmap|munmap|mremap) resumed>(.*)$")
MALLOC_ENTRY = re.compile(r"/libc\.so\.6\((?:__libc_)?(?:malloc|calloc|realloc|free|memalign|"
                          r"posix_memalign|aligned_alloc|valloc|pvalloc|reallocarray)\+0x")


def strace_k_works():
    if not have("strace"):
        return False
    cp = subprocess.run(["strace", "-k", "-e", "trace=none", "true"], capture_output=True,
                        text=True)
    return cp.returncode == 0


class Call:
    def __init__(self, pid, name, args, ret):
        self.pid, self.name, self.args, self.ret = pid, name, args, ret
        self.frames = []
        self.moved = 0          # brk: bytes the break moved (signed)

    def arg(self, i):
        return self.args[i].strip()

    def num(self, i):
        a = self.arg(i)
        return 0 if a == "NULL" else int(a, 0)

    @property
    def ok(self):
        if self.ret.startswith("-"):
            return False
        return True

    @property
    def started(self):
        return any(re.search(r"\(main\+0x", f) for f in self.frames)

    @property
    def malloc_driven(self):
        return any(MALLOC_ENTRY.search(f) for f in self.frames)

    @property
    def heap(self):
        if self.name == "brk":
            return self.moved != 0
        return self.malloc_driven

    @property
    def own(self):
        if self.malloc_driven:
            return False
        if self.name == "mmap":
            flags, prot = self.arg(3), self.arg(2)
            if "MAP_SHARED" in flags and self.num(4) >= 0:
                return True
            if prot == "PROT_NONE":
                return True
        innermost = self.frames[0] if self.frames else ""
        if re.search(r"/libc\.so\.6\(syscall\+0x", innermost):
            return True
        if re.search(r"/libmtrace\.so\(mt_raw_syscall\+0x", innermost):
            return True  # the shim's own system calls (it interposes syscall())
        return any("/libunwind" in f for f in self.frames)

    def item(self):
        """(kind, bytes) as mtrace's sources.events[] states it."""
        if self.name == "brk":
            return ("brk", self.moved)
        if self.name == "mmap":
            return ("mmap", self.num(1))
        if self.name == "munmap":
            return ("munmap", self.num(1))
        return ("mremap", self.num(2))

    def addr(self):
        """The address mtrace's event names: the mapping (old one for
        mremap), or the new break."""
        if self.name == "mmap":
            return int(self.ret, 16)
        if self.name == "brk":
            return int(self.ret, 16)
        return self.num(0)

    def __repr__(self):
        return f"{self.name}({', '.join(self.args)}) = {self.ret}"


def split_args(s):
    return [a.strip() for a in s.split(",")]


def parse(path):
    """All calls of the file, in order, with stacks; brk calls get `moved`."""
    calls = []
    pending = {}
    brk_now = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(" > "):
                if calls:
                    calls[-1].frames.append(line[3:].strip())
                continue
            u = UNFINISHED.match(line.rstrip("\n"))
            if u:
                pending[(u.group(1), u.group(2))] = u.group(3)
                continue
            r = RESUMED.match(line)
            if r and (r.group(1), r.group(2)) in pending:
                line = "%s %s(%s%s\n" % (r.group(1), r.group(2),
                                         pending.pop((r.group(1), r.group(2))), r.group(3))
            m = LINE.match(line)
            if not m:
                continue
            c = Call(int(m.group(1)), m.group(2), split_args(m.group(3)), m.group(4))
            if c.name == "brk" and c.ok:
                new = int(c.ret, 16)
                if brk_now is not None and new != brk_now:
                    c.moved = new - brk_now
                brk_now = new
            calls.append(c)
    return calls


def run(argv, out_path, env_for_tracee=None, cwd=None, timeout=120):
    """Runs argv under strace -f -k; returns (completed process, calls)."""
    cmd = ["strace", "-f", "-k", "-e", "trace=brk,mmap,munmap,mremap", "-o", out_path]
    for k, v in (env_for_tracee or {}).items():
        cmd += ["-E", f"{k}={v}"]
    cp = subprocess.run(cmd + list(argv), capture_output=True, text=True, cwd=cwd,
                        timeout=timeout)
    return cp, parse(out_path)


def after_start(calls):
    """Successful calls made once main() runs."""
    return [c for c in calls if c.ok and c.started]
