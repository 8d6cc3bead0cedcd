# find_package(mtrace) — run a project's tests under the mtrace heap tracer.
#
# Imported targets (paths relative to this file, so the install can move):
#   mtrace::mtrace-run     the launcher: runs a program under the tracer, gates
#   mtrace::mtrace-report  the analyzer
#   mtrace::preload        libmtrace.so, to LD_PRELOAD (never to link against)
# Variables: MTRACE_RUN_EXECUTABLE, MTRACE_REPORT_EXECUTABLE,
#   MTRACE_PRELOAD_LIBRARY (absolute paths), mtrace_VERSION.
# Function: mtrace_add_test() (mtraceAddTest.cmake).
include("${CMAKE_CURRENT_LIST_DIR}/mtraceTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/mtraceAddTest.cmake")

# LOCATION of an imported target: its file for the installed configuration.
get_target_property(MTRACE_RUN_EXECUTABLE mtrace::mtrace-run LOCATION)
get_target_property(MTRACE_REPORT_EXECUTABLE mtrace::mtrace-report LOCATION)
get_target_property(MTRACE_PRELOAD_LIBRARY mtrace::preload LOCATION)
