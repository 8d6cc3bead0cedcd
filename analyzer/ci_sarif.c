/* SARIF 2.1.0 of the CI view: one run of the tool "mtrace", a rule per leak
 * class (and --max-peak), a result per finding: its level, the allocating
 * frame of the program's own code as the location, the whole stack in
 * `stacks`, a fingerprint of the stack's function names, and suppressed
 * findings marked with an external suppression (docs/ci-formats.md). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci_render.h"
#include "utf8.h"
#include "xalloc.h"

#ifndef MTRACE_URL
#define MTRACE_URL ""
#endif

#define SARIF_SCHEMA \
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static const struct {
    const char *name, *short_text, *full_text;
} rules[] = {
    {"DefiniteLeak", "Heap memory definitely lost",
     "A block unfreed at exit that no pointer in memory reachable from the program's roots "
     "(globals, stacks, registers, TLS) points to."},
    {"IndirectLeak", "Heap memory indirectly lost",
     "A block unfreed at exit that only lost blocks point to: freeing the definitely lost "
     "block that holds it would have reached it."},
    {"PossibleLeak", "Heap memory possibly lost",
     "A block unfreed at exit reached only through pointers into its interior."},
    {"StillReachable", "Heap memory still reachable at exit",
     "A block unfreed at exit that a chain of pointers from a root still reaches."},
    {"Unfreed", "Heap memory unfreed, no leak verdict",
     "A block unfreed when the trace ends, in a process whose memory was not scanned at "
     "exit (a crash, a signal, _exit, MTRACE_LEAK_CHECK=off): lost or reachable is unknown."},
    {"MaxPeak", "Peak live heap above --max-peak",
     "The process's live heap at its peak exceeded the --max-peak limit."},
};
#define N_RULES (sizeof rules / sizeof rules[0])

/* A path as a URI reference: RFC 3986 unreserved characters and '/' kept,
 * every other byte percent-encoded. */
static char *uri_encode(const char *prefix, const char *path)
{
    size_t n = strlen(prefix), len = strlen(path);
    char *out = mta_xmalloc(n + 3 * len + 1);
    memcpy(out, prefix, n);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)sprintf(out + n, "%%%02X", *p);
    }
    out[n] = '\0';
    return out;
}

/* A JSON string of text we formatted: snprintf may have cut a multibyte
 * character in two, which jansson refuses. */
static json_t *text(const char *s)
{
    json_t *j = json_string(s);
    if (!j) {
        char *c = mta_utf8_clean(s);
        j = json_string(c);
        free(c);
    }
    return j;
}

/* artifactLocation of a file: relative to SRCROOT (the current directory)
 * when under it, else a file:// URI (absolute) or the relative name. */
static json_t *artifact(const char *file)
{
    int rel;
    const char *shown = mta_ci_rel_path(file, &rel);
    char *uri = uri_encode(!rel && file[0] == '/' ? "file://" : "", shown);
    json_t *a = json_pack("{s:s}", "uri", uri);
    if (rel)
        json_object_set_new(a, "uriBaseId", json_string("SRCROOT"));
    free(uri);
    return a;
}

static json_t *location(const struct mta_ci_frame *f)
{
    json_t *loc = json_object();
    if (f->file) {
        json_t *phys = json_pack("{s:o}", "artifactLocation", artifact(f->file));
        if (f->line > 0)
            json_object_set_new(phys, "region", json_pack("{s:i}", "startLine", f->line));
        json_object_set_new(loc, "physicalLocation", phys);
    } else if (f->module) {
        json_object_set_new(loc, "physicalLocation",
                            json_pack("{s:o}", "artifactLocation", artifact(f->module)));
    }
    if (f->function)
        json_object_set_new(loc, "logicalLocations",
                            json_pack("[{s:s,s:s}]", "fullyQualifiedName", f->function,
                                      "kind", "function"));
    return loc;
}

static json_t *stack(const struct mta_ci_finding *f)
{
    json_t *frames = json_array();
    for (unsigned i = 0; i < f->nframes; i++) {
        const struct mta_ci_frame *fr = &f->frames[i];
        json_t *sf = json_pack("{s:o}", "location", location(fr));
        if (fr->module)
            json_object_set_new(sf, "module", json_string(fr->module));
        json_object_set_new(sf, "address", json_pack("{s:I}", "absoluteAddress",
                                                     (json_int_t)(fr->address & INT64_MAX)));
        json_array_append_new(frames, sf);
    }
    return json_pack("[{s:{s:s},s:o}]", "message", "text",
                     f->more_frames ? "allocating call stack (cut by --frames)"
                                    : "allocating call stack", "frames", frames);
}

static const char *level_of(const struct mta_ci_finding *f)
{
    return f->error ? "error" : f->suppressed ? "note" : "warning";
}

static json_t *finding_result(const struct mta_ci_proc *p, const struct mta_ci_finding *f)
{
    char msg[2048], fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)f->fingerprint);
    json_t *loc;
    if (f->loc >= 0)
        loc = location(&f->where);
    else if (f->nframes && f->frames[0].module)
        loc = location(&(struct mta_ci_frame){.module = f->frames[0].module});
    else
        loc = location(&(struct mta_ci_frame){.module = p->exe});
    json_t *r = json_pack("{s:s,s:i,s:s,s:{s:o},s:[o],s:{s:s},s:o}",
        "ruleId", mta_ci_rule_id(f->cls), "ruleIndex", (int)f->cls, "level", level_of(f),
        "message", "text", text(mta_ci_finding_text(msg, sizeof msg, p, f)),
        "locations", loc, "partialFingerprints", "mtraceStack/v1", fp, "stacks", stack(f));
    if (!r)
        return NULL;
    json_object_set_new(r, "properties", json_pack("{s:I,s:s,s:s,s:I,s:I,s:b}",
        "pid", (json_int_t)p->pid, "image", p->image, "trace", p->trace,
        "bytes", (json_int_t)f->bytes, "blocks", (json_int_t)f->blocks,
        "counted", f->counted));
    if (f->suppressed)
        json_object_set_new(r, "suppressions", json_pack("[{s:s}]", "kind", "external"));
    return r;
}

static json_t *peak_result(const struct mta_ci_run *ci, const struct mta_ci_proc *p)
{
    char msg[512], fp[32];
    snprintf(msg, sizeof msg, "peak live heap %llu bytes is above --max-peak %lld, process %s "
             "pid %llu", (unsigned long long)p->peak_bytes, ci->max_peak, p->image,
             (unsigned long long)p->pid);
    snprintf(fp, sizeof fp, "%s", p->image);
    return json_pack("{s:s,s:i,s:s,s:{s:o},s:[o],s:{s:o},s:{s:I,s:s,s:I}}",
        "ruleId", mta_ci_rule_id(MTA_CI_RULE_MAX_PEAK), "ruleIndex", MTA_CI_RULE_MAX_PEAK,
        "level", "error", "message", "text", text(msg),
        "locations", location(&(struct mta_ci_frame){.module = p->exe}),
        "partialFingerprints", "mtraceImage/v1", text(fp),
        "properties", "pid", (json_int_t)p->pid, "image", p->image,
        "peak_bytes", (json_int_t)p->peak_bytes);
}

static json_t *driver(const struct mta_ci_run *ci)
{
    json_t *rs = json_array();
    for (unsigned i = 0; i < N_RULES; i++)
        json_array_append_new(rs, json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:{s:s}}",
            "id", mta_ci_rule_id(i), "name", rules[i].name,
            "shortDescription", "text", rules[i].short_text,
            "fullDescription", "text", rules[i].full_text,
            "defaultConfiguration", "level",
            i == MTA_LEAK_DEFINITE || i == MTA_LEAK_INDIRECT || i == MTA_CI_RULE_MAX_PEAK
                ? "error" : "warning"));
    json_t *d = json_pack("{s:s,s:s,s:o}", "name", "mtrace", "version",
                          ci->tool_version ? ci->tool_version : "0", "rules", rs);
    if (d && *MTRACE_URL)
        json_object_set_new(d, "informationUri", json_string(MTRACE_URL));
    return d;
}

/* Traces not read and verdicts not reached: the run's notifications. */
static json_t *invocation(const struct mta_ci_run *ci)
{
    json_t *notes = json_array();
    char msg[1024];
    for (size_t i = 0; i < ci->n; i++) {
        const struct mta_ci_proc *p = &ci->procs[i];
        if (p->error)
            snprintf(msg, sizeof msg, "trace not read: %s", p->error);
        else if (p->verdict == MTA_CI_INCONCLUSIVE)
            snprintf(msg, sizeof msg, "process %s pid %llu: leak check inconclusive: %s",
                     p->image, (unsigned long long)p->pid, p->why_inconclusive);
        else
            continue;
        json_array_append_new(notes, json_pack("{s:s,s:{s:o}}", "level",
                                               p->error ? "error" : "warning",
                                               "message", "text", text(msg)));
    }
    return json_pack("{s:b,s:o}", "executionSuccessful", ci->unreadable == 0,
                     "toolExecutionNotifications", notes);
}

int mta_ci_sarif(FILE *out, const struct mta_ci_run *ci)
{
    json_t *results = json_array();
    for (size_t i = 0; i < ci->n; i++) {
        const struct mta_ci_proc *p = &ci->procs[i];
        for (size_t j = 0; j < p->nfindings; j++)
            json_array_append_new(results, finding_result(p, &p->findings[j]));
        if (p->peak_fail)
            json_array_append_new(results, peak_result(ci, p));
    }
    json_t *run = json_pack("{s:{s:o},s:[o],s:o}", "tool", "driver", driver(ci),
                            "invocations", invocation(ci), "results", results);
    char cwd[4096];
    if (run && getcwd(cwd, sizeof cwd)) {
        char *uri = uri_encode("file://", cwd);
        json_t *root_uri = json_sprintf("%s%s", uri, uri[strlen(uri) - 1] == '/' ? "" : "/");
        json_object_set_new(run, "originalUriBaseIds",
                            json_pack("{s:{s:o}}", "SRCROOT", "uri", root_uri));
        free(uri);
    }
    json_t *doc = json_pack("{s:s,s:s,s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
                            "runs", run);
    if (!doc)
        return -1;
    int rc = json_dumpf(doc, out, JSON_INDENT(2)) ? -1 : 0;
    fputc('\n', out);
    json_decref(doc);
    return rc || ferror(out) ? -1 : 0;
}
