# SPDX-License-Identifier: MIT
# Runs qml-app --smoke-test on a fresh SQLite store and checks the values it wrote.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(store "sqlite:${WORK_DIR}/qml-app.db")
execute_process(COMMAND "${QML_APP}" --smoke-test "${store}"
    RESULT_VARIABLE status ERROR_VARIABLE errors TIMEOUT 60)
if(NOT status EQUAL 0)
    message(FATAL_ERROR "qml-app --smoke-test failed (${status}): ${errors}")
endif()
# Item.width is a real in QML, so the width may print as 640 or 640.0.
foreach(check "user/name=^Smoke$" "volume=^0.25$" "window/width=^640(.0)?$")
    string(REPLACE "=" ";" parts "${check}")
    list(GET parts 0 key)
    list(GET parts 1 expected)
    execute_process(COMMAND "${PERSISTVAR}" "${store}" get -r "${key}"
        OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE status)
    if(NOT status EQUAL 0 OR NOT value MATCHES "${expected}")
        message(FATAL_ERROR "${key}: expected '${expected}', got '${value}' (${status})")
    endif()
endforeach()
execute_process(COMMAND "${PERSISTVAR}" "${store}" get notes
    OUTPUT_VARIABLE notes OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT notes MATCHES "first.*second")
    message(FATAL_ERROR "notes: expected [\"first\",\"second\"], got '${notes}'")
endif()
message(STATUS "qml-app stored everything it set")
