#!/usr/bin/env bash
# Re-records tests/interop/data/ssif_qemu_transcript.txt (QEMU's smbus-ipmi values for
# tests/interop/ssif_differential_test.cpp): scripts/record-transcript.sh ssif, which see.
#   BUILD_DIR=build/x  use another configured build tree (default build/gcc-debug)
exec "$(dirname "${BASH_SOURCE[0]}")/record-transcript.sh" ssif "$@"
