#!/usr/bin/env bash
# Re-records tests/interop/data/kcs_qemu_transcript.txt (QEMU's isa-ipmi-kcs values for
# tests/interop/kcs_differential_test.cpp): scripts/record-transcript.sh kcs, which see.
#   BUILD_DIR=build/x  use another configured build tree (default build/gcc-debug)
exec "$(dirname "${BASH_SOURCE[0]}")/record-transcript.sh" kcs "$@"
