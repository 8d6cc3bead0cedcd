#!/usr/bin/env python3
"""Makes the fuzzers' seed corpus (tests/fuzz/corpus/) from real traces.

usage: make_corpus.py BUILD_DIR OUT_DIR

Runs the samples and test programs under libmtrace.so with 4 KiB chunks,
then shrinks each trace so the fuzzer mutates small inputs: /proc maps texts
are cut to their first lines and every chunk is re-packed into as few 4 KiB
pages as it needs.  The JSON corpus is the --export-json form of the same
traces.  Records are copied byte for byte otherwise, so the corpus covers
every record type a real trace holds."""
import glob
import os
import struct
import subprocess
import sys
import tempfile

HDR = 4096
CHUNK_HDR = struct.Struct("<IIQIIQ")  # magic size seq tid used ticks0
MAGIC = 0x4B43544D


def uv(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def put_uv(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def skip_record(rec, i):
    """Returns the end of the record starting at rec[i] (tag byte), and for
    MAPS records a shortened copy."""
    tag = rec[i]
    j = i + 1
    nfields = {2: 2, 3: 5, 6: 5, 9: 3}
    if tag == 1:
        _, j = uv(rec, j)
        n, j = uv(rec, j)
        for _ in range(n):
            _, j = uv(rec, j)
        return j, None
    if tag == 4:
        _, j = uv(rec, j)
        n, j = uv(rec, j)
        return j + n, None
    if tag == 5:
        for _ in range(3):
            _, j = uv(rec, j)
        n, j = uv(rec, j)
        j += n
        n, j = uv(rec, j)
        return j + n, None
    if tag == 7:
        for _ in range(10):
            _, j = uv(rec, j)
        n, j = uv(rec, j)
        return j + n, None
    if tag == 8:
        dt, j = uv(rec, j)
        reason, j = uv(rec, j)
        n, j = uv(rec, j)
        text = rec[j:j + n]
        short = b"\n".join(text.split(b"\n")[:6]) + b"\n"
        return j + n, bytes([8]) + put_uv(dt) + put_uv(reason) + put_uv(len(short)) + short
    if tag in nfields or 16 <= tag < 24:
        for _ in range(nfields.get(tag, 4)):
            _, j = uv(rec, j)
        return j, None
    raise ValueError(f"tag {tag}")


def shrink(data):
    out = bytearray(data[:HDR])
    off = struct.unpack_from("<I", data, 12)[0]
    end = min(struct.unpack_from("<Q", data, 0x50)[0], len(data))
    while off + CHUNK_HDR.size <= end:
        magic, size, seq, tid, used, ticks0 = CHUNK_HDR.unpack_from(data, off)
        if magic != MAGIC or size == 0:
            break
        rec = data[off + CHUNK_HDR.size:off + CHUNK_HDR.size + used]
        body = bytearray()
        i = 0
        while i < len(rec):
            j, repl = skip_record(rec, i)
            body += repl if repl is not None else rec[i:j]
            i = j
        nsize = (CHUNK_HDR.size + len(body) + 4095) // 4096 * 4096
        chunk = bytearray(CHUNK_HDR.pack(magic, nsize, seq, tid, len(body), ticks0)) + body
        chunk += bytes(nsize - len(chunk))
        out += chunk
        off += size
    struct.pack_into("<Q", out, 0x50, len(out))  # data_end
    return bytes(out)


def main():
    build, outdir = sys.argv[1], sys.argv[2]
    lib = os.path.join(build, "preload", "libmtrace.so")
    report = os.path.join(build, "analyzer", "mtrace-report")
    runs = [[os.path.join(build, "samples", s)] for s in
            ("leaky", "threshold", "thread_arena", "realloc_growth", "alloc_size", "va")]
    progs = os.path.join(build, "tests", "progs")
    runs += [[os.path.join(progs, "mt_pairs"), "2", "20"], [os.path.join(progs, "forker"), "1"],
             [os.path.join(progs, "exec_chain"), "1"]]
    os.makedirs(os.path.join(outdir, "trace"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "json"), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for argv in runs:
            name = os.path.basename(argv[0])
            env = dict(os.environ, LD_PRELOAD=lib, MTRACE_CHUNK="4096", MTRACE_QUIET="1",
                       MTRACE_OUT=os.path.join(tmp, name + ".%p.trace"))
            subprocess.run(argv, env=env, cwd=tmp, capture_output=True, timeout=60)
        for i, path in enumerate(sorted(glob.glob(os.path.join(tmp, "*.trace*")))):
            with open(path, "rb") as f:
                small = shrink(f.read())
            base = os.path.basename(path).split(".")[0] + f"-{i}"
            tpath = os.path.join(outdir, "trace", base + ".trace")
            with open(tpath, "wb") as f:
                f.write(small)
            js = subprocess.run([report, "--export-json", tpath], capture_output=True,
                                timeout=60)
            if js.returncode == 0:
                with open(os.path.join(outdir, "json", base + ".json"), "wb") as f:
                    f.write(js.stdout)


if __name__ == "__main__":
    main()
