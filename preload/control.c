/* Tracing windows: a dormant start (MTRACE_START=off) and the control
 * signal that opens and closes windows from outside (mtrace-run --start PID,
 * --stop PID), and ends the trace of an attached process (mtrace-run --pid).
 *
 * Why a signal and not a control file: a file must be polled, by a thread
 * of ours (a thread the program never made, in its process) or from the
 * hooks (a system call or a clock read on the hot path); a signal costs
 * nothing until it comes.  The signal is a real-time one (SIGRTMAX-2 unless
 * MTRACE_SIGNAL says otherwise), never one of glibc's internal ones (32, 33),
 * and its handler is installed only for a dormant start or an attach, and
 * only where the program left it at SIG_DFL.  Commands come with sigqueue:
 * the value carries a magic number and the command, so a stray kill of the
 * same number is ignored (si_code is not SI_QUEUE), never taken for one.
 *
 * While paused (MT_PAUSED) the hooks pass straight through: the test of
 * mt_state they already make sends them to the pass-through path.  A window
 * begins and ends with a maps record (MT_MAPS_WINDOW_ON/OFF): the analyzer
 * counts each window's events and knows that blocks live at a window's end
 * have an unknown fate.  The record opening a window is written before
 * recording starts, the one closing it after it stopped, so every event of
 * the window lies between them (with threads, to a coarse-clock tick).
 *
 * Everything here runs in a signal handler: raw system calls, atomics, and
 * the shim's records, which are written for handlers anyway (levels). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "shim.h"

/* sigqueue value: MT_CONTROL_MAGIC | command (analyzer/mtrace_run.c). */
#define MT_CONTROL_MAGIC 0x6d740000
enum { CMD_OFF = 0, CMD_ON = 1, CMD_DETACH = 2 };

int mt_trace_open(void)
{
    int s = mt_state;
    return (s == MT_ON || s == MT_PAUSED) && mt_header &&
           mt_header->pid == (uint64_t)syscall(SYS_getpid);
}

int mt_control_signal(void)
{
    int sig = (int)mt_opt.signal;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        return sig;
    return SIGRTMAX - 2;
}

/* The window's edge record; stamped now. */
static void window_edge(unsigned reason)
{
    if (mt_tls_internal)
        return; /* cannot happen: sections hold our signal */
    struct mt_thread *t = mt_hook_enter_any();
    if (!t)
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    mt_write_maps(t, reason);
    mt_internal_end(&in);
    mt_hook_leave(t);
}

int mt_window_switch(int on)
{
    if (!mt_trace_open())
        return 0;
    if (on) {
        if (mt_state != MT_PAUSED)
            return 0;
        window_edge(MT_MAPS_WINDOW_ON);
        int expected = MT_PAUSED;
        return __atomic_compare_exchange_n(&mt_state, &expected, MT_ON, 0, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    }
    int expected = MT_ON;
    if (!__atomic_compare_exchange_n(&mt_state, &expected, MT_PAUSED, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return 0;
    window_edge(MT_MAPS_WINDOW_OFF);
    return 1;
}

void mt_detach(void)
{
    if (!mt_trace_open())
        return;
    mt_window_switch(0);
    int expected = MT_PAUSED;
    if (!__atomic_compare_exchange_n(&mt_state, &expected, MT_INERT, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    if (mt_opt.attached)
        mt_attach_restore();
    uint32_t was = MT_END_RUNNING;
    if (__atomic_compare_exchange_n(&mt_header->end_state, &was, MT_END_DETACHED, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        mt_header->end_code = 0;
        mt_writer_finish();
    }
}

static void on_control(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code != SI_QUEUE ||
        ((unsigned)si->si_value.sival_int & 0xffff0000u) != MT_CONTROL_MAGIC)
        return;
    int saved = errno;
    switch (si->si_value.sival_int & 0xffff) {
    case CMD_ON: mt_window_switch(1); break;
    case CMD_OFF: mt_window_switch(0); break;
    case CMD_DETACH: mt_detach(); break;
    default: break;
    }
    errno = saved;
}

int mt_control_install(void)
{
    int sig = mt_control_signal();
    struct sigaction old;
    if (mt_signals_real_action(sig, NULL, &old) != 0)
        return -1;
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL) {
        mt_warn("signal %d, which mtrace-run --start/--stop would send, has a handler of the "
                "program's: tracing cannot be switched on (choose another with MTRACE_SIGNAL)",
                sig);
        return -1;
    }
    if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != on_control) {
        mt_warn("signal %d, which mtrace-run --start/--stop would send, has a handler of the "
                "program's: tracing cannot be switched on (choose another with MTRACE_SIGNAL)",
                sig);
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_control;
    sigfillset(&sa.sa_mask); /* one command at a time, never inside another */
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    return mt_signals_real_action(sig, &sa, NULL);
}
