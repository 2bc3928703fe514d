#!/usr/bin/env bash
# Re-records tests/interop/data/bt_qemu_transcript.txt (QEMU's isa-ipmi-bt values for
# tests/interop/bt_differential_test.cpp): scripts/record-transcript.sh bt, which see.
#   BUILD_DIR=build/x  use another configured build tree (default build/gcc-debug)
exec "$(dirname "${BASH_SOURCE[0]}")/record-transcript.sh" bt "$@"
