# tests/make_dispatcher_compile_fail.cmake — run by ctest (cmake -P): SOURCE compiles as it is,
# and does not compile with -DIPMIKIT_DUPLICATE_TABLE or -DIPMIKIT_TOO_SMALL, each failure
# naming bmc::detail::a_command_table_could_not_be_registered. One -fsyntax-only compile each.
#
# Inputs (-D): CXX (compiler), INCLUDE_DIR, SOURCE.
cmake_minimum_required(VERSION 3.21)

function(compile define out_rc out_err)
  set(flags -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror "-I${INCLUDE_DIR}")
  if(define)
    list(APPEND flags "-D${define}")
  endif()
  execute_process(COMMAND "${CXX}" ${flags} "${SOURCE}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${out_rc} "${rc}" PARENT_SCOPE)
  set(${out_err} "${out}${err}" PARENT_SCOPE)
endfunction()

compile("" rc err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the control (no bad table) does not compile:\n${err}")
endif()
message(STATUS "ok: the control compiles")

foreach(define IN ITEMS IPMIKIT_DUPLICATE_TABLE IPMIKIT_TOO_SMALL)
  compile(${define} rc err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "${define}: compiled, but make_dispatcher must refuse it")
  endif()
  if(NOT err MATCHES "a_command_table_could_not_be_registered")
    message(FATAL_ERROR "${define}: failed, but not naming a_command_table_could_not_be_registered:\n${err}")
  endif()
  message(STATUS "ok: ${define} does not compile, and says why")
endforeach()
