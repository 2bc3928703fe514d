# tests/header_test.cmake — run by ctest (cmake -P): every public header compiles on its own,
# and the headers of namespace ipmikit::vm compile in every include order, with the project's
# warnings as errors. Checked at test time rather than build time so that a broken include order
# fails this one test instead of the whole build.
#
# Inputs (-D): CXX (compiler), INCLUDE_DIR, WORK_DIR, FLAGS (;-list of extra flags),
# HAS_OPENSSL (1 when the ipmikit::openssl target exists) and OPENSSL_INCLUDE_DIR (its headers).
cmake_minimum_required(VERSION 3.21)

# Every header under include/, found anew at each run so a new header is covered at once.
file(GLOB_RECURSE single RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/ipmikit/*.hpp")
list(SORT single)
# The OpenSSL adapter needs OpenSSL's headers: checked only where its target was built.
if(HAS_OPENSSL)
  if(OPENSSL_INCLUDE_DIR)
    list(APPEND FLAGS "-I${OPENSSL_INCLUDE_DIR}")
  endif()
else()
  list(REMOVE_ITEM single "ipmikit/lan/openssl.hpp")
  message(STATUS "skipped: ipmikit/lan/openssl.hpp (no ipmikit::openssl target)")
endif()
# Every order of the three vm headers, and each of them after the umbrella's other parts.
set(orders
  "ipmikit/vm/protocol.hpp,ipmikit/vm/encoder.hpp,ipmikit/vm/decoder.hpp"
  "ipmikit/vm/protocol.hpp,ipmikit/vm/decoder.hpp,ipmikit/vm/encoder.hpp"
  "ipmikit/vm/encoder.hpp,ipmikit/vm/protocol.hpp,ipmikit/vm/decoder.hpp"
  "ipmikit/vm/encoder.hpp,ipmikit/vm/decoder.hpp,ipmikit/vm/protocol.hpp"
  "ipmikit/vm/decoder.hpp,ipmikit/vm/protocol.hpp,ipmikit/vm/encoder.hpp"
  "ipmikit/vm/decoder.hpp,ipmikit/vm/encoder.hpp,ipmikit/vm/protocol.hpp"
  "ipmikit/vm/encoder.hpp,ipmikit/ipmikit.hpp"
  "ipmikit/vm/session.hpp,ipmikit/vm/decoder.hpp,ipmikit/vm/encoder.hpp"
  "ipmikit/vm/decoder.hpp,ipmikit/ipmikit.hpp")

file(MAKE_DIRECTORY "${WORK_DIR}")
set(failures 0)
set(index 0)

function(try_headers)
  set(source "")
  foreach(h IN LISTS ARGN)
    string(APPEND source "#include <${h}>\n")
  endforeach()
  string(APPEND source "int main() { return 0; }\n")
  math(EXPR n "${index} + 1")
  set(index ${n} PARENT_SCOPE)
  set(file "${WORK_DIR}/headers_${n}.cpp")
  file(WRITE "${file}" "${source}")
  execute_process(
    COMMAND "${CXX}" -std=c++20 -fsyntax-only ${FLAGS} "-I${INCLUDE_DIR}" "${file}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " then " order "${ARGN}")
  if(rc EQUAL 0)
    message(STATUS "ok: ${order}")
  else()
    string(REGEX MATCH "[^\n]*error[^\n]*" first_error "${err}")
    message(STATUS "FAILED: ${order}\n    ${first_error}")
    math(EXPR f "${failures} + 1")
    set(failures ${f} PARENT_SCOPE)
  endif()
endfunction()

foreach(h IN LISTS single)
  try_headers(${h})
endforeach()
foreach(o IN LISTS orders)
  string(REPLACE "," ";" headers "${o}")
  try_headers(${headers})
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} header combination(s) do not compile")
endif()
