# mtrace_add_test(NAME <name> COMMAND <program or executable target> [<arg>...]
#                 [FAIL_ON_LEAKS [<size>]] [LEAK_KINDS <kind>...] [MAX_PEAK <size>]
#                 [SUPPRESSIONS <file>...] [OPTIONS <mtrace-run option>...]
#                 [WORKING_DIRECTORY <dir>] [RUN_DIR <dir>] [REPORT_FILE <file>]
#                 [CONFIGURATIONS <config>...])
#
# add_test(NAME <name>) running the command under mtrace-run:
#   mtrace-run --clean-run-dir --run-dir <RUN_DIR> <gates> [--output <REPORT_FILE>]
#              <OPTIONS> -- <program> <args>
# FAIL_ON_LEAKS      --fail-on-leaks[=<size>]: exit 4 when lost bytes exceed size (0)
# LEAK_KINDS         --leak-kinds=<kind>,...: definite indirect possible reachable all
# MAX_PEAK           --max-peak=<size>: exit 4 when a process's peak heap exceeds size
# SUPPRESSIONS       --suppressions <file> each (relative to the current source dir)
# OPTIONS            any other mtrace-run options, passed as given (e.g. --top 5,
#                    or the report formats a newer mtrace-run offers)
# RUN_DIR            where the traces go: default <current binary dir>/mtrace/<name>;
#                    the traces of the test's previous run there are deleted first
# REPORT_FILE        write the report there; by default it goes to the test's
#                    stdout, which `ctest --output-on-failure` shows when it fails
# A COMMAND naming an executable target (defined before this call) runs that
# target's file.  The test fails with the program's own status when the
# program fails, 4 when a gate fails, 6 when the run is inconclusive (no
# trace, or an untraced exec).  The test gets the label "mtrace".
# The keywords above cannot appear among the program's arguments.
if(CMAKE_VERSION VERSION_LESS 3.15)
  message(FATAL_ERROR "mtrace_add_test() needs CMake 3.15 or newer")
endif()

function(mtrace_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg ""
    "NAME;MAX_PEAK;WORKING_DIRECTORY;RUN_DIR;REPORT_FILE"
    "COMMAND;FAIL_ON_LEAKS;LEAK_KINDS;SUPPRESSIONS;OPTIONS;CONFIGURATIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "mtrace_add_test: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "mtrace_add_test: NAME and COMMAND are required")
  endif()

  set(run --clean-run-dir)
  # FAIL_ON_LEAKS takes an optional size, so it is a list keyword
  if("FAIL_ON_LEAKS" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    list(APPEND run --fail-on-leaks)
  elseif(DEFINED arg_FAIL_ON_LEAKS)
    list(LENGTH arg_FAIL_ON_LEAKS n)
    if(NOT n EQUAL 1)
      message(FATAL_ERROR "mtrace_add_test(${arg_NAME}): FAIL_ON_LEAKS takes at most one size")
    endif()
    list(APPEND run "--fail-on-leaks=${arg_FAIL_ON_LEAKS}")
  endif()
  if(arg_LEAK_KINDS)
    list(JOIN arg_LEAK_KINDS "," kinds)
    list(APPEND run "--leak-kinds=${kinds}")
  endif()
  if(DEFINED arg_MAX_PEAK)
    list(APPEND run "--max-peak=${arg_MAX_PEAK}")
  endif()
  foreach(supp IN LISTS arg_SUPPRESSIONS)
    if(NOT supp MATCHES "^\\$<")
      get_filename_component(supp "${supp}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    endif()
    list(APPEND run --suppressions "${supp}")
  endforeach()

  if(arg_RUN_DIR)
    set(dir "${arg_RUN_DIR}")
  else()
    # one directory per test; a name's odd characters make no odd paths
    string(REGEX REPLACE "[^A-Za-z0-9_.+-]" "_" leaf "${arg_NAME}")
    set(dir "mtrace/${leaf}")
  endif()
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  # mtrace-run creates the run directory itself, but not its parents
  get_filename_component(parent "${dir}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  list(APPEND run --run-dir "${dir}")
  if(arg_REPORT_FILE)
    get_filename_component(report "${arg_REPORT_FILE}" ABSOLUTE
      BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    list(APPEND run --output "${report}")
  endif()
  list(APPEND run ${arg_OPTIONS})

  list(POP_FRONT arg_COMMAND prog)
  if(TARGET "${prog}")
    get_target_property(type "${prog}" TYPE)
    if(type STREQUAL "EXECUTABLE")
      set(prog "$<TARGET_FILE:${prog}>")
    endif()
  endif()

  set(extra)
  if(arg_WORKING_DIRECTORY)
    list(APPEND extra WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  if(arg_CONFIGURATIONS)
    list(APPEND extra CONFIGURATIONS ${arg_CONFIGURATIONS})
  endif()
  add_test(NAME "${arg_NAME}"
    COMMAND "$<TARGET_FILE:mtrace::mtrace-run>" ${run} -- "${prog}" ${arg_COMMAND}
    ${extra})
  set_property(TEST "${arg_NAME}" APPEND PROPERTY LABELS mtrace)
endfunction()
