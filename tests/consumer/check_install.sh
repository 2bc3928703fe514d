#!/usr/bin/env bash
# tests/consumer/check_install.sh — what `cmake --install` lays out for the programs
# (apps/CMakeLists.txt), checked in an installed prefix:
#
#   * bin/ipmikit-bmc, bin/ipmikit-load and bin/ipmikit-load-lan are there and run (--help);
#   * the sample configuration (DOCDIR/ipmikit-bmc.conf.example) passes
#     `ipmikit-bmc --config SAMPLE --check`, and every socket it names is in the unit's
#     RuntimeDirectory (/run/NAME/), the one place the unit lets the service write;
#   * the systemd unit's ExecStart= is the installed ipmikit-bmc with --config CONFIG_FILE, no
#     @placeholder@ is left, Documentation= names the installed guide; `systemd-analyze verify`
#     accepts the unit when systemd-analyze is there;
#   * the sysusers.d file declares the user the unit runs as;
#   * the library's headers and CMake package are installed beside them.
#
# usage: check_install.sh [--install-from BUILD_DIR] [--bindir DIR] [--docdir DIR]
#                         [--unitdir DIR] [--sysusersdir DIR] [--config-file FILE] PREFIX
#   --install-from   first empty PREFIX and run `cmake --install BUILD_DIR --prefix PREFIX`
#   the directories are relative to PREFIX (or absolute), as given to CMake; the defaults are
#   GNUInstallDirs' and apps/CMakeLists.txt's defaults.
# Exit status: 0 all checks passed, 1 a check failed, 2 usage error.
set -euo pipefail

build=
bindir=bin
docdir=share/doc/ipmikit
unitdir=lib/systemd/system
sysusersdir=lib/sysusers.d
config_file=/etc/ipmikit/ipmikit-bmc.conf
usage() { echo "usage: $0 [--install-from BUILD_DIR] [--bindir DIR] [--docdir DIR] [--unitdir DIR] [--sysusersdir DIR] [--config-file FILE] PREFIX" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --install-from) build=${2:?}; shift 2 ;;
    --bindir) bindir=${2:?}; shift 2 ;;
    --docdir) docdir=${2:?}; shift 2 ;;
    --unitdir) unitdir=${2:?}; shift 2 ;;
    --sysusersdir) sysusersdir=${2:?}; shift 2 ;;
    --config-file) config_file=${2:?}; shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
prefix=$1
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
under() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }

failures=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check "what" command...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

if [ -n "$build" ]; then
  rm -rf "$prefix"
  if ! out=$(cmake --install "$build" --prefix "$prefix" 2>&1); then
    echo "$out"
    bad "cmake --install $build --prefix $prefix"
    exit 1
  fi
  ok "cmake --install $build --prefix $prefix"
fi

bmc=$(under "$bindir")/ipmikit-bmc
load=$(under "$bindir")/ipmikit-load
load_lan=$(under "$bindir")/ipmikit-load-lan
sample=$(under "$docdir")/ipmikit-bmc.conf.example
guide=$(under "$docdir")/ipmikit-bmc.md
unit=$(under "$unitdir")/ipmikit-bmc.service
sysusers=$(under "$sysusersdir")/ipmikit-bmc.conf

# The layout.
check "program $bmc" test -x "$bmc"
check "program $load" test -x "$load"
check "program $load_lan" test -x "$load_lan"
for f in "$sample" "$guide" "$unit" "$sysusers" \
         "$prefix/include/ipmikit/ipmikit.hpp" "$prefix/share/cmake/ipmikit/ipmikitConfig.cmake" \
         "$prefix/share/pkgconfig/ipmikit.pc"; do
  check "file $f" test -f "$f"
done
[ "$failures" -eq 0 ] || { echo "check_install: $failures failed (the layout is incomplete)"; exit 1; }

# The programs run.
out=$("$bmc" --help 2>&1) && rc=0 || rc=$?
check "ipmikit-bmc --help exits 0 with its usage (exit $rc)" \
  test "$rc" -eq 0 -a "${out%%$'\n'*}" = "usage: ipmikit-bmc --config FILE [--control PATH] [--verbose] [--check]"
out=$("$load" --help 2>&1) && rc=0 || rc=$?
check "ipmikit-load --help exits 0 with its usage (exit $rc)" test "$rc" -eq 0 -a "${out:0:19}" = "usage: ipmikit-load"
out=$("$load_lan" --help 2>&1) && rc=0 || rc=$?
check "ipmikit-load-lan --help exits 0 with its usage (exit $rc)" test "$rc" -eq 0 -a "${out:0:23}" = "usage: ipmikit-load-lan"

# The sample configuration is valid. --check only reads the file: the sockets it names (under
# /run, which need not exist here) are not opened.
out=$("$bmc" --config "$sample" --check 2>&1) && rc=0 || rc=$?
check "ipmikit-bmc --config SAMPLE --check exits 0 (exit $rc: $out)" test "$rc" -eq 0
check "--check reports the sample's VMs ($out)" grep -Eq ': ok, [1-9][0-9]* VMs$' <<<"$out"

# The unit.
execstart=$(sed -n 's/^ExecStart=//p' "$unit")
check "one ExecStart= in the unit ($execstart)" test "$(grep -c '^ExecStart=' "$unit")" -eq 1
read -r exec_program exec_rest <<<"$execstart"
check "ExecStart= runs the installed program ($exec_program = $bmc)" test "$exec_program" = "$bmc"
check "ExecStart= passes --config $config_file ($exec_rest)" test "$exec_rest" = "--config $config_file"
check "no @placeholder@ left in the unit" bash -c '! grep -n "@[A-Z_]*@" "$1"' - "$unit"
documentation=$(sed -n 's/^Documentation=file://p' "$unit")
check "Documentation= is the installed guide ($documentation)" test "$documentation" = "$guide"
check "no ExecReload= (ipmikit-bmc has no reload signal)" bash -c '! grep -q "^ExecReload=" "$1"' - "$unit"
runtime_dir=$(sed -n 's/^RuntimeDirectory=//p' "$unit")
check "the unit has a RuntimeDirectory= ($runtime_dir)" test -n "$runtime_dir"
# Every socket of the sample is in the runtime directory (ProtectSystem=strict: nowhere else
# is writable), and the control socket is set.
sockets=$(sed -e 's/#.*//' "$sample" | sed -n -E 's/^[[:space:]]*(control|listen)[[:space:]]*=[[:space:]]*(unix:)?(\/[^[:space:]]*).*/\3/p')
check "the sample names a control socket" grep -Eq '^[[:space:]]*control[[:space:]]*=' "$sample"
for s in $sockets; do
  check "sample socket $s is in /run/$runtime_dir/" test "${s#/run/"$runtime_dir"/}" != "$s"
done
user=$(sed -n 's/^User=//p' "$unit")
check "the sysusers.d file declares the unit's user ($user)" grep -Eq "^u[[:space:]]+$user[[:space:]]" "$sysusers"

# systemd's own check of the unit, where systemd-analyze is installed and can run here (it
# loads the unit offline; it needs no running systemd).
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify --man=no "$unit" 2>&1) && rc=0 || rc=$?
  check "systemd-analyze verify accepts the unit (exit $rc${out:+: $out})" test "$rc" -eq 0 -a -z "$out"
else
  echo "skip systemd-analyze verify: no systemd-analyze"
fi

if [ "$failures" -ne 0 ]; then
  echo "check_install: $failures check(s) failed"
  exit 1
fi
echo "check_install: all checks passed ($prefix)"
