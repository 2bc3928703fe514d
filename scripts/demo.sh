#!/usr/bin/env bash
# The demo: a KCS host driver reaching a BMC through every ipmikit layer in one process
# (kcs-loopback), both ends of the VM protocol talking in memory (loopback), then ipmikit-dump
# decoding a captured QEMU ⇄ ipmi_sim conversation.
# Installs g++, cmake and ninja from Debian's packages when they are missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(repo_root)"

ensure_packages g++ cmake ninja-build
stage "building the examples"
cmake --preset demo >/dev/null
cmake --build --preset demo

stage "kcs-loopback: kcs::host ⇄ kcs::device ⇄ emulator session ⇄ wire ⇄ BMC session, in memory"
build/demo/examples/kcs-loopback

stage "loopback: an emulator session and a BMC session joined in memory"
build/demo/examples/loopback

capture=examples/captures/qemu-ipmi_sim-session.hex
stage "ipmikit-dump --hex $capture"
set +e
build/demo/examples/ipmikit-dump --hex "$capture"
rc=$?
set -e
# Exit status 1 means "the stream had malformed frames": this capture ends with a few on purpose.
if [ "$rc" -gt 1 ]; then
  echo "demo failed: ipmikit-dump exited with $rc" >&2
  exit "$rc"
fi
echo
echo "(the capture ends with deliberately malformed frames, so ipmikit-dump exited with status $rc)"
