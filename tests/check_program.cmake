# check_program.cmake — runs a program once and checks what it did: the command-line tests of
# ipmikit-dump (examples/CMakeLists.txt), ipmikit-bmc and ipmikit-load (apps/CMakeLists.txt).
#
#   cmake -DPROGRAM=path/to/ipmikit-dump -DWORK=scratch/dir -DARGS='--hex|file.hex'
#         [-DSTDIN=file] [-DTEXT=...] -DEXPECT_RC=n
#         [-DEXPECT_FILE=golden] [-DEXPECT_REGEX=re] [-DSAME_AS='other|args'] -P check_program.cmake
#
# ARGS and SAME_AS separate arguments with '|'. An argument @INPUT@ is replaced by a file in WORK
# holding TEXT. Output is stdout and stderr merged, in the order written. EXPECT_FILE compares it
# byte for byte (the actual output is left in WORK/actual.txt for `diff`); SAME_AS runs the
# program a second time with other arguments and wants the same exit code and output.

foreach(var PROGRAM WORK EXPECT_RC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_program.cmake: -D${var}=... is required")
  endif()
endforeach()
file(MAKE_DIRECTORY "${WORK}")

function(run_program arg_string out_var rc_var)
  string(REPLACE "|" ";" args "${arg_string}")
  if(DEFINED TEXT)
    file(WRITE "${WORK}/input.txt" "${TEXT}")
    list(TRANSFORM args REPLACE "^@INPUT@$" "${WORK}/input.txt")
  endif()
  set(stdin /dev/null)
  if(DEFINED STDIN)
    set(stdin "${STDIN}")
  endif()
  execute_process(COMMAND "${PROGRAM}" ${args} INPUT_FILE "${stdin}"
                  OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${rc_var} "${rc}" PARENT_SCOPE)
endfunction()

run_program("${ARGS}" output rc)
file(WRITE "${WORK}/actual.txt" "${output}")
get_filename_component(program_name "${PROGRAM}" NAME)
message(STATUS "${program_name} ${ARGS} -> exit ${rc}; output in ${WORK}/actual.txt")

if(NOT rc STREQUAL EXPECT_RC)
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT_RC}. Output:\n${output}")
endif()

if(DEFINED EXPECT_FILE)
  file(READ "${EXPECT_FILE}" expected)
  if(NOT output STREQUAL expected)
    message(FATAL_ERROR "output differs from the golden file; see\n"
                        "  diff -u ${EXPECT_FILE} ${WORK}/actual.txt")
  endif()
endif()

if(DEFINED EXPECT_REGEX AND NOT output MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}'. Output:\n${output}")
endif()

if(DEFINED SAME_AS)
  run_program("${SAME_AS}" other other_rc)
  file(WRITE "${WORK}/other.txt" "${other}")
  if(NOT other_rc STREQUAL rc OR NOT other STREQUAL output)
    message(FATAL_ERROR "'${ARGS}' (exit ${rc}) and '${SAME_AS}' (exit ${other_rc}) differ; see\n"
                        "  diff -u ${WORK}/actual.txt ${WORK}/other.txt")
  endif()
endif()
