# SPDX-License-Identifier: MIT
# cmake -DPREFERENCES=... -DPERSISTVAR=... -DWORK_DIR=... -P smoketest.cmake
# Runs the preferences example with --smoke-test on a fresh SQLite store (it types "Smoke" as the
# name and clicks OK), then reads the store back with the persistvar tool.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(store "sqlite:${WORK_DIR}/p.db")

execute_process(COMMAND "${PREFERENCES}" --smoke-test "${store}"
    RESULT_VARIABLE result TIMEOUT 60)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "preferences --smoke-test ${store}: ${result}")
endif()

execute_process(COMMAND "${PERSISTVAR}" "${store}" get name
    OUTPUT_VARIABLE name ERROR_VARIABLE error RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT name STREQUAL "\"Smoke\"\n")
    message(FATAL_ERROR "expected \"Smoke\" under name, got (${result}) ${name}${error}")
endif()
# OK writes the window geometry too; values left at their defaults are not stored.
execute_process(COMMAND "${PERSISTVAR}" "${store}" list
    OUTPUT_VARIABLE list RESULT_VARIABLE result)
if(NOT result EQUAL 0 OR NOT list MATCHES "window/geometry\t")
    message(FATAL_ERROR "expected window/geometry in the store, got (${result}) ${list}")
endif()
message(STATUS "preferences wrote: ${list}")
