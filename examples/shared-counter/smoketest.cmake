# SPDX-License-Identifier: MIT
# Runs two shared-counter instances at the same time on one store; each increments 10 times
# and must see the other's increments live. The store must end at exactly 20.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(store "sqlite:${WORK_DIR}/shared.db")
# Two COMMANDs in one execute_process run at the same time (as a pipeline). The first one's
# output goes into the second one's (unread) stdin, so the second must outlive the first, or the
# first dies of SIGPIPE when it prints its last line: it lingers much longer.
execute_process(
    COMMAND "${SHARED_COUNTER}" "${store}" --increments 10 --interval 50 --linger 1000
    COMMAND "${SHARED_COUNTER}" "${store}" --increments 10 --interval 50 --linger 6000
    RESULTS_VARIABLE results
    OUTPUT_VARIABLE second_output
    ERROR_VARIABLE errors
    TIMEOUT 90)
foreach(result IN LISTS results)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "shared-counter failed (${results}): ${errors}")
    endif()
endforeach()
execute_process(COMMAND "${PERSISTVAR}" "${store}" get shared-counter
    OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT value STREQUAL "20")
    message(FATAL_ERROR "expected the shared counter to be 20, got '${value}' (${status})")
endif()
# The second instance printed the final value it saw, and it saw the other's increments.
if(NOT second_output MATCHES "counter = 20")
    message(FATAL_ERROR "the second instance never saw 20:\n${second_output}")
endif()
message(STATUS "shared counter: 20, seen live by the second instance")
