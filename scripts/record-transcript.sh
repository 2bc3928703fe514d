#!/usr/bin/env bash
# Re-records a differential test's QEMU transcript: what QEMU's isa-ipmi-kcs, isa-ipmi-bt or smbus-ipmi
# returns for every access of every sequence in tests/interop/<kcs|bt|ssif>_differential_test.cpp
# (a fresh QEMU per sequence; needs qemu-system-x86_64), into
# tests/interop/data/<kcs|bt|ssif>_qemu_transcript.txt. Builds the test with the gcc-debug preset, runs
# it with --record (which also compares QEMU with the device model against the test's difference
# table), and replaces the checked-in transcript only if that run passed. Run it after adding or
# changing a sequence, or to follow a new QEMU; review the diff of the transcript before committing.
#   usage: scripts/record-transcript.sh kcs|bt|ssif
#   BUILD_DIR=build/x  use another configured build tree (default build/gcc-debug)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)
cd "$root"

iface=${1:-}
case "$iface" in
  kcs|bt|ssif) ;;
  *) echo "usage: $0 kcs|bt|ssif" >&2; exit 2 ;;
esac
build=${BUILD_DIR:-build/gcc-debug}
target=ipmikit_interop_${iface}_differential_test
out=tests/interop/data/${iface}_qemu_transcript.txt

command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not in PATH (Debian: qemu-system-x86)" >&2; exit 1; }
[ -f "$build/CMakeCache.txt" ] || cmake --preset gcc-debug
stage "build $target"
cmake --build "$build" --target "$target" -j2

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
stage "record (QEMU vs the $iface device model)"
"$build/tests/interop/$target" --record "$tmp"
mkdir -p "$(dirname "$out")"
cp "$tmp" "$out"
stage "replay the new transcript"
"$build/tests/interop/$target" --transcript "$out"
echo "wrote $out"
