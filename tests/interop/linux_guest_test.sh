#!/usr/bin/env bash
# shellcheck disable=SC2034  # the *_EXPIRED_<action>, *_POWER_<action> patterns are read as ${!v}
# tests/interop/linux_guest_test.sh — ipmikit-bmc as the BMC of a real Linux guest, end to end.
#
# The guest (scripts/build-guest.sh: Debian's generic kernel, its IPMI drivers, ipmitool, busybox)
# boots in QEMU (TCG, isa-ipmi-kcs + ipmi-bmc-extern connected to ipmikit-bmc). The test checks,
# in this order, with a deadline for each step:
#   1. the guest boots and its kernel's ipmi_si finds the KCS interface (/dev/ipmi0);
#   2. `ipmitool mc info` and `ipmitool chassis status` succeed in the guest;
#   3. the guest loads ipmi_watchdog (timeout 5 s, action reset), pets /dev/watchdog three times,
#      then stops petting; the watchdog must not expire while it is being petted;
#   4. ipmikit-bmc logs the watchdog's expiry with the action "reset" (and the reset it sends);
#   5. QEMU resets the machine: the guest boots a second time and `ipmitool mc info` works again.
#      (Whether the BMC still shows the SMS/OS expiration flag after the reset is reported, not
#      required: the second boot's /init does not arm the watchdog again when it does.)
#   With --inventory: after step 2 the guest also runs the inventory commands of issue 15
#   (scripts/guest-init.sh: mc selftest, mc guid, … channel info 1, sol info 1, channel getciphers
#   ipmi 1), each of which must succeed
#   and print what it should; after the watchdog's reset, `sel list` must show the expiry.
#   With --restart-bmc (needs --inventory): ipmikit-bmc keeps its state in a state directory; once
#   it has sent the watchdog's reset, it is killed (SIGKILL) and started again on the same
#   configuration before the guest's second boot, which must still see the expiry in `sel list`
#   and the persistent PXE boot device its first boot set, in `chassis bootparam get 5`.
#   With --action power_off: the guest's watchdog action is power_off, ipmikit-bmc logs that
#   action and powers the VM off, and QEMU exits by itself with status 0 (step 5 instead).
#   With --interface ssif: the guest's IPMI interface is SSIF instead of KCS (QEMU's smbus-ipmi
#   at I2C address 0x10 on the pc machine's PIIX4 SMBus; the guest loads i2c_piix4 and ipmi_ssif,
#   not ipmi_si). Step 1 then also requires that /dev/ipmi0 is ipmi_ssif's (the guest's
#   "interface ssif" line: driver ipmi_ssif bound to the I2C client at 0x10, ipmi_si not
#   loaded) and that the kernel log shows ipmi_ssif found the device through SMBIOS (type 38),
#   not through ACPI or module parameters. Every later step is the same, over SSIF, and the
#   watchdog's pets must reach ipmikit-bmc (its --verbose Reset Watchdog Timer lines). It needs
#   the config mode: the VM gets `command_gap = 0`. The guest works around QEMU 7.2
#   smbus-ipmi's stale responses by trying a failed command (or ipmi_ssif's probe) again, at
#   most 3 attempts, each retry a line "retry NAME attempt N"; the test lists them ("QEMU
#   smbus-ipmi stale responses worked around: N") and fails above MAX_SSIF_RETRIES in one run.
# Then QEMU and ipmikit-bmc get SIGTERM (SIGKILL after 5 s); ipmikit-bmc must exit 0.
#
# Usage: linux_guest_test.sh [--config-mode|--legacy-listen] [--action reset|power_off]
#                            [--interface kcs|ssif] [--inventory [--restart-bmc]]
#                            PATH/TO/ipmikit-bmc [GUEST_DIR]
#   --config-mode    ipmikit-bmc --config FILE --verbose, one [vm guest] on a UNIX socket
#                    (docs/ipmikit-bmc.md); the config is checked first with --config FILE --check
#   --legacy-listen  ipmikit-bmc --listen 127.0.0.1:0 --verbose: one VM named "vm" on TCP, no
#                    file (the program's single-VM mode); also IPMIKIT_BMC_LEGACY=1
#   neither          config mode if `ipmikit-bmc --help` mentions --config, else legacy mode
#                    (the line "mode: ..." says which and why)
#   GUEST_DIR        where scripts/build-guest.sh keeps the guest (default $IPMIKIT_GUEST_DIR,
#                    else build/linux-guest in the source tree); built once, then reused
# Environment: IPMIKIT_INTEROP_REQUIRED=1 turns a skip (no QEMU, no guest) into a failure;
#   IPMIKIT_INTEROP_KEEP=1 keeps the temporary directory (always kept on failure);
#   IPMIKIT_GUEST_TIMEOUT seconds for everything after the guest is built (default 120); each
#   step also has its own limit.
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped.
set -uo pipefail

# ---- what the test looks for: log-line patterns (grep -E), in one place ---------------------
VM=guest  # the [vm NAME] of the config
# Fleet mode (SPEC.md): logfmt lines on stdout.
CONFIG_READY='event=ready'
CONFIG_CONNECTED="vm=$VM event=connected"
CONFIG_EXPIRED_reset="vm=$VM event=watchdog_expired action=reset"
CONFIG_POWER_reset="vm=$VM event=power action=reset"
CONFIG_EXPIRED_power_off="vm=$VM event=watchdog_expired action=power_off"
CONFIG_POWER_power_off="vm=$VM event=power action=power_off"
CONFIG_STATE_LOADED="vm=$VM event=state_loaded "  # a state file read at start (--restart-bmc)
BAD_STATE='event=state_(corrupt|write_failed)'
# Legacy mode (docs/ipmikit-bmc.md "The log").
LEGACY_READY='vm=vm event=listening address=127\.0\.0\.1:[0-9]+'
LEGACY_CONNECTED='vm=vm event=connected'
LEGACY_EXPIRED_reset='vm=vm event=watchdog_expired action=reset'
LEGACY_POWER_reset='vm=vm event=power action=reset'
LEGACY_EXPIRED_power_off='vm=vm event=watchdog_expired action=power_off'
LEGACY_POWER_power_off='vm=vm event=power action=power_off'
# The guest's console (scripts/guest-init.sh).
G_BOOT='IPMIKIT-GUEST: boot '
G_MODULES='IPMIKIT-GUEST: modules loaded'
G_MC_OK='IPMIKIT-GUEST: mc-info ok'
G_CHASSIS_OK='IPMIKIT-GUEST: chassis-status ok'
G_ARMED='IPMIKIT-GUEST: watchdog armed'
G_STOPPED='IPMIKIT-GUEST: stopped petting'
G_WDGET='IPMIKIT-GUEST: watchdog-get'
G_NOT_AGAIN='IPMIKIT-GUEST: watchdog expired before this boot'
G_INVENTORY_DONE='IPMIKIT-GUEST: inventory done'
G_INVENTORY_OK='IPMIKIT-GUEST: inv [a-z0-9-]+ ok'
G_SEL_WATCHDOG='Watchdog ?2'  # ipmitool's `sel list` name of the watchdog sensor type (23h): "Watchdog2 #0x01"
G_FAILED='IPMIKIT-GUEST: .*(failed|cannot|no /dev)|Kernel panic'
# --interface ssif: the guest's workaround for QEMU 7.2 smbus-ipmi's stale responses (a failed
# ipmitool command or ipmi_ssif probe tried again, guest-init.sh); its why may say "failed",
# so these lines are not G_FAILED. A command that still fails says "failed" as always.
G_RETRY='IPMIKIT-GUEST: retry [a-z0-9_-]+ attempt [0-9]+'
# ipmikit-bmc's --verbose line for a request: Reset Watchdog Timer (IPMI v2.0 §27.5), a pet.
CONFIG_PET="vm=$VM event=request id=0x[0-9A-F]+ netfn=0x06 cmd=0x22 "
# --interface ssif: the guest's proof that /dev/ipmi0 is SSIF, and the kernel lines it copies.
G_SSIF='IPMIKIT-GUEST: interface ssif: '
G_SSIF_DRIVER='driver=ipmi_ssif '  # the I2C client's driver (sysfs)
G_SSIF_DEVICE='device=/sys/devices/[^ ]*/i2c-[0-9]+/[0-9]+-0010 '  # the client at I2C address 0x10
G_SSIF_NO_SI='modules=(.* )?ipmi_si '  # must NOT match: ipmi_si loaded
G_DMESG='IPMIKIT-DMESG: '
# ipmi_ssif's probe names where the address came from: "Trying SMBIOS-specified SSIF interface
# at i2c address 0x10, adapter SMBus PIIX4 adapter at ..., slave address 0x20".
G_SSIF_SMBIOS='IPMIKIT-DMESG: .*Trying SMBIOS-specified SSIF interface at i2c address 0x10'
G_SSIF_STALE='IPMIKIT-DMESG: .*BMC returned incorrect response'
# The guest's watchdog (kernel command line, read by guest-init.sh).
WD_TIMEOUT=5
WD_ACTION=reset  # --action: reset or power_off
WD_PETS=3
INVENTORY=0  # --inventory
RESTART_BMC=0  # --restart-bmc
INTERFACE=kcs  # --interface: kcs or ssif
SSIF_ADDRESS=0x10  # smbus-ipmi's I2C address (0, QEMU's default, hides it from SMBIOS discovery)
# The most retries (G_RETRY lines) one --interface ssif run may need, both boots together. With
# command_gap = 0 only QEMU's byte-per-iteration reading of a slow answer is left: with
# --inventory (~46 ipmitool commands, ~500 requests) on the 2-core host at load 4-6, 0-3 per
# run and once 6 in a burst (docs/ipmikit-bmc-guest.md, "SSIF"). A BMC that is late or wrong
# every time makes dozens, or a command fails all 3 attempts: the test fails either way.
MAX_SSIF_RETRIES=8
FRU_PRODUCT=ipmikit-guest-test  # the product name the BMC is configured with, for `fru print 0`
# -----------------------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t_start=$(now_ms)
since() { local ms=$(( $(now_ms) - ${1:-$t_start} )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

legacy=auto
[ "${IPMIKIT_BMC_LEGACY:-0}" = 1 ] && legacy=1
usage="usage: $0 [--config-mode|--legacy-listen] [--action reset|power_off] [--interface kcs|ssif] [--inventory [--restart-bmc]] PATH/TO/ipmikit-bmc [GUEST_DIR]"
args=()
for a in "$@"; do
  case $a in
    --legacy-listen) legacy=1 ;;
    --config-mode) legacy=0 ;;
    --inventory) INVENTORY=1 ;;
    --restart-bmc) RESTART_BMC=1 ;;
    --action=*) WD_ACTION=${a#--action=} ;;
    --action) want=action ;;
    --interface=*) INTERFACE=${a#--interface=} ;;
    --interface) want=interface ;;
    -h | --help)
      sed -n '3,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0 ;;
    -*) say "$usage" >&2; exit 2 ;;
    *)
      case ${want:-} in
        action) WD_ACTION=$a ;;
        interface) INTERFACE=$a ;;
        *) args+=("$a") ;;
      esac
      want= ;;
  esac
done
case $WD_ACTION in reset | power_off) ;; *) args=() ;; esac
case $INTERFACE in kcs | ssif) ;; *) args=() ;; esac
if [ -n "${want:-}" ] || [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then
  say "$usage" >&2
  exit 2
fi
bmc=${args[0]}
src_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest_dir=${args[1]:-${IPMIKIT_GUEST_DIR:-$src_root/build/linux-guest}}
total_timeout=${IPMIKIT_GUEST_TIMEOUT:-120}
required=${IPMIKIT_INTEROP_REQUIRED:-0}

skip() {
  if [ "$required" = 1 ]; then
    say "FAIL (IPMIKIT_INTEROP_REQUIRED=1, would skip): $*"
    exit 1
  fi
  say "SKIP $*"
  exit 77
}

[ -x "$bmc" ] || { say "FAIL no executable ipmikit-bmc at $bmc"; exit 1; }
[ "$INVENTORY" = 1 ] && [ "$legacy" = 1 ] && { say "usage: --inventory needs the config mode (FRU fields)" >&2; exit 2; }
[ "$INTERFACE" = ssif ] && [ "$legacy" = 1 ] && { say "usage: --interface ssif needs the config mode (command_gap = 0)" >&2; exit 2; }
[ "$RESTART_BMC" = 1 ] && [ "$INVENTORY" = 0 ] && { say "usage: --restart-bmc needs --inventory" >&2; exit 2; }
if [ "$legacy" = auto ]; then
  if "$bmc" --help 2>&1 | grep -q -- '--config'; then
    legacy=0
    say "mode: --config (ipmikit-bmc --help mentions --config)"
  else
    legacy=1
    say "mode: --listen, legacy (ipmikit-bmc --help does not mention --config)"
  fi
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not in PATH"

# ---- the guest ----------------------------------------------------------------------------------
t0=$(now_ms)
if ! "$src_root/scripts/build-guest.sh" "$guest_dir" </dev/null; then
  skip "scripts/build-guest.sh $guest_dir failed (no Debian package mirror?)"
fi
say "guest ready in $(since "$t0"): $guest_dir"
t_run=$(now_ms)  # the total limit counts from here: a first download may take a while

# ---- processes and cleanup ----------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipmikit-guest-test.XXXXXX")
bmc_log=$tmp/bmc.log
serial=$tmp/serial.log
qemu_log=$tmp/qemu.log
bmc_pid=
qemu_pid=
failed=0

stop_rc=0
stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 5 s; the exit status goes to $stop_rc
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null; say "(pid $pid needed SIGKILL)" >&2; }
  stop_rc=0
  wait "$pid" 2>/dev/null || stop_rc=$?
}
cleanup() {
  [ -n "$qemu_pid" ] && { stop_pid "$qemu_pid"; qemu_pid=; }
  [ -n "$bmc_pid" ] && { stop_pid "$bmc_pid"; bmc_pid=; }
  if [ "$failed" = 0 ] && [ "${IPMIKIT_INTEROP_KEEP:-0}" = 0 ]; then
    rm -rf "$tmp"
  else
    say "kept $tmp (bmc.log, serial.log, qemu.log, bmc.conf)"
  fi
}
trap cleanup EXIT
trap 'failed=1; exit 1' INT TERM

fail() {
  failed=1
  say "FAIL $* (after $(since))"
  [ "$INTERFACE" = ssif ] && ssif_retries_summary
  say "---- guest console (serial.log) ----"
  tr -d '\r' <"$serial" 2>/dev/null | tail -n 60
  say "---- ipmikit-bmc log (without byte lines) ----"
  grep -v -E '^ *[0-9.]+  (<-|->) |(^| )event=(rx|tx) ' "$bmc_log" 2>/dev/null | tail -n 60
  say "---- qemu stderr ----"
  tail -n 20 "$qemu_log" 2>/dev/null
  exit 1
}

count() {  # count PATTERN FILE: matching lines (0 when FILE does not exist yet)
  local c
  c=$(grep -c -E "$1" "$2" 2>/dev/null)
  echo "${c:-0}"
}
failures() {  # the guest's failure lines so far (not its announced SSIF retries)
  local c
  c=$(grep -E "$G_FAILED" "$serial" 2>/dev/null | grep -c -v -E "$G_RETRY")
  echo "${c:-0}"
}
ssif_retries_summary() {  # says how many stale responses the guest worked around, and where
  say "QEMU smbus-ipmi stale responses worked around: $(count "$G_RETRY" "$serial") (at most $MAX_SSIF_RETRIES)"
  grep -E "$G_RETRY" "$serial" 2>/dev/null | tr -d '\r' | sed 's/^/     /'
}
# wait_for WHAT PATTERN FILE N SECONDS: until FILE has N lines matching PATTERN; fails at the
# deadline (or earlier when the guest reports a failure or a process has exited).
wait_for() {
  local what=$1 pattern=$2 file=$3 n=$4 secs=$5
  local deadline=$(( $(now_ms) + secs * 1000 ))
  local hard=$(( t_run + total_timeout * 1000 ))
  [ "$deadline" -gt "$hard" ] && deadline=$hard
  while :; do
    [ "$(count "$pattern" "$file")" -ge "$n" ] && return 0
    [ "$(failures)" -gt 0 ] && fail "the guest reported a failure while waiting for $what"
    [ -n "$bmc_pid" ] && ! kill -0 "$bmc_pid" 2>/dev/null && fail "ipmikit-bmc exited while waiting for $what"
    [ -n "$qemu_pid" ] && ! kill -0 "$qemu_pid" 2>/dev/null && fail "QEMU exited while waiting for $what"
    [ "$(now_ms)" -ge "$deadline" ] &&
      fail "timed out waiting for $what (limits: $secs s for this step, $total_timeout s in all)"
    sleep 0.1
  done
}

# ---- ipmikit-bmc --------------------------------------------------------------------------------
if [ "$legacy" = 1 ]; then
  READY=$LEGACY_READY CONNECTED=$LEGACY_CONNECTED
  v=LEGACY_EXPIRED_$WD_ACTION EXPIRED=${!v}
  v=LEGACY_POWER_$WD_ACTION POWER=${!v}
  say "ipmikit-bmc (legacy): $bmc --listen 127.0.0.1:0 --verbose"
  "$bmc" --listen 127.0.0.1:0 --verbose </dev/null >"$bmc_log" 2>&1 &
  bmc_pid=$!
  wait_for "ipmikit-bmc to listen" "$READY" "$bmc_log" 1 10
  port=$(grep -o -E "$READY" "$bmc_log" | head -n 1 | sed 's/.*://')
  chardev="socket,id=ipmi0,host=127.0.0.1,port=$port,reconnect=1"
else
  READY=$CONFIG_READY CONNECTED=$CONFIG_CONNECTED
  v=CONFIG_EXPIRED_$WD_ACTION EXPIRED=${!v}
  v=CONFIG_POWER_$WD_ACTION POWER=${!v}
  cat >"$tmp/bmc.conf" <<EOF
# linux_guest_test.sh: one VM, the guest, on a UNIX socket
[vm $VM]
listen = unix:$tmp/vm.sock
fru_product_name = $FRU_PRODUCT
fru_board_manufacturer = ipmikit
state_dir = $tmp/state
EOF
  # SSIF: no hold-back after a VM command (QEMU 7.2 does not need it, docs/ipmikit-bmc.md
  # footnote 1); the guest reads a response within a jiffy and gets a stale one when it is late.
  [ "$INTERFACE" = ssif ] && echo "command_gap = 0" >>"$tmp/bmc.conf"
  check_rc=0
  "$bmc" --config "$tmp/bmc.conf" --check </dev/null >"$tmp/check.log" 2>&1 || check_rc=$?
  [ "$check_rc" = 0 ] ||
    fail "ipmikit-bmc --config $tmp/bmc.conf --check exited $check_rc: $(cat "$tmp/check.log")"
  say "ipmikit-bmc: $bmc --config $tmp/bmc.conf --verbose"
  "$bmc" --config "$tmp/bmc.conf" --verbose </dev/null >"$bmc_log" 2>&1 &
  bmc_pid=$!
  wait_for "ipmikit-bmc to be ready" "$READY" "$bmc_log" 1 10
  chardev="socket,id=ipmi0,path=$tmp/vm.sock,reconnect=1"
fi

# ---- QEMU ---------------------------------------------------------------------------------------
# The uncompressed vmlinux (PVH entry) boots ~8 s faster under TCG than the bzImage.
kernel=$guest_dir/vmlinux
[ -s "$kernel" ] || kernel=$guest_dir/vmlinuz
# guest_sol_enabled=false: this VM has no `serial`, so SOL parameter 1 reads false in `sol info 1`.
# No -no-reboot: the watchdog's reset reaches QEMU as a system reset request, which -no-reboot
# would turn into an exit. A guest panic is left hanging (panic=0) and shows on the console.
# The interface: QEMU's KCS at the ISA ports ipmi_si probes, or its SSIF device on the PIIX4
# SMBus, which QEMU describes in SMBIOS type 38 (with its address; there is no ACPI entry on pc).
# shellcheck disable=SC2054  # the commas are inside -device/-chardev values
case $INTERFACE in
  kcs) interface_device=(-device isa-ipmi-kcs,bmc=bmc0) ;;
  ssif) interface_device=(-device "smbus-ipmi,bmc=bmc0,address=$SSIF_ADDRESS") ;;
esac
# shellcheck disable=SC2054  # the commas are inside -device/-chardev values
qemu=(qemu-system-x86_64 -machine pc -accel tcg -m 256 -nodefaults -no-user-config
  -display none -monitor none
  -kernel "$kernel" -initrd "$guest_dir/initramfs.cpio"
  -append "console=ttyS0 quiet panic=0 guest_wd_timeout=$WD_TIMEOUT guest_wd_action=$WD_ACTION guest_wd_pets=$WD_PETS guest_inventory=$INVENTORY guest_fru_product=$FRU_PRODUCT guest_sol_enabled=false guest_interface=$INTERFACE"
  -chardev "$chardev" -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 "${interface_device[@]}"
  -serial "file:$serial")
say "qemu: ${qemu[*]}"
t_qemu=$(now_ms)
"${qemu[@]}" </dev/null >"$qemu_log" 2>&1 &
qemu_pid=$!

wait_for "QEMU to connect to ipmikit-bmc" "$CONNECTED" "$bmc_log" 1 15
wait_for "the guest's first boot" "$G_BOOT" "$serial" 1 60
boot1=$(since "$t_qemu")
say "boot 1: /init started $boot1 after QEMU ($(grep -m1 -E "$G_BOOT" "$serial" | tr -d '\r'))"
wait_for "the IPMI drivers (/dev/ipmi0)" "$G_MODULES" "$serial" 1 20
if [ "$INTERFACE" = ssif ]; then
  wait_for "the guest's SSIF interface line" "$G_SSIF" "$serial" 1 10
  ssif_line=$(grep -m1 -E "$G_SSIF" "$serial" | tr -d '\r')
  echo "$ssif_line" | grep -q -E "$G_SSIF_DRIVER" || fail "/dev/ipmi0 is not ipmi_ssif's: $ssif_line"
  echo "$ssif_line" | grep -q -E "$G_SSIF_DEVICE" ||
    fail "ipmi_ssif's device is not the I2C client at $SSIF_ADDRESS: $ssif_line"
  echo "$ssif_line" | grep -q -E "$G_SSIF_NO_SI" && fail "ipmi_si is loaded in the SSIF guest: $ssif_line"
  say "ok   the guest's /dev/ipmi0 is SSIF: ${ssif_line#*interface ssif: }"
  grep -E "$G_DMESG" "$serial" | tr -d '\r' | sed 's/^/     /'
  [ "$(count "$G_SSIF_SMBIOS" "$serial")" -ge 1 ] ||
    fail "the guest's kernel log does not show ipmi_ssif finding the device through SMBIOS"
  say "ok   ipmi_ssif found it through SMBIOS: $(grep -m1 -E "$G_SSIF_SMBIOS" "$serial" | tr -d '\r')"
  # Informational: QEMU 7.2's smbus-ipmi hands a guest that reads before the BMC answered the
  # previous response again (docs/ipmikit-bmc-guest.md, "SSIF"); the kernel names the mismatch.
  if [ "$(count "$G_SSIF_STALE" "$serial")" -ge 1 ]; then
    say "info the guest's kernel saw a stale response: $(grep -m1 -E "$G_SSIF_STALE" "$serial" | tr -d '\r' | sed 's/.*: //')"
  fi
fi
wait_for "ipmitool mc info" "$G_MC_OK" "$serial" 1 20
say "ok   ipmitool mc info ($(since "$t_qemu"))"
wait_for "ipmitool chassis status" "$G_CHASSIS_OK" "$serial" 1 20
say "ok   ipmitool chassis status ($(since "$t_qemu"))"
if [ "$INVENTORY" = 1 ]; then
  # A failed command ends wait_for at once: "inv NAME failed" matches G_FAILED.
  wait_for "the inventory commands" "$G_INVENTORY_DONE" "$serial" 1 60
  say "ok   $(count "$G_INVENTORY_OK" "$serial") inventory commands ($(since "$t_qemu")):" \
    "$(grep -o -E "$G_INVENTORY_OK" "$serial" | sed 's/.*inv \([a-z0-9-]*\) ok/\1/' | tr '\n' ' ')"
fi
wait_for "ipmi_watchdog armed" "$G_ARMED" "$serial" 1 20
wait_for "the guest to stop petting" "$G_STOPPED" "$serial" 1 $((WD_PETS * 2 + 15))
t_stopped=$(now_ms)
say "ok   watchdog armed (timeout $WD_TIMEOUT s, action $WD_ACTION), petted $WD_PETS times, stopped petting ($(since "$t_qemu"))"
[ "$(count "$EXPIRED" "$bmc_log")" -eq 0 ] ||
  fail "the watchdog expired while the guest was still petting it"
if [ "$INTERFACE" = ssif ]; then
  # The pets reached the BMC over SSIF: ipmi_watchdog's Reset Watchdog Timer requests, in
  # ipmikit-bmc's --verbose log, one per pet.
  pets_seen=$(count "$CONFIG_PET" "$bmc_log")
  [ "$pets_seen" -ge "$WD_PETS" ] ||
    fail "ipmikit-bmc saw $pets_seen Reset Watchdog Timer requests over SSIF, expected at least $WD_PETS"
  say "ok   ipmi_watchdog over SSIF: $pets_seen Reset Watchdog Timer requests reached ipmikit-bmc, no expiry while petted"
fi
if [ "$WD_ACTION" = power_off ]; then
  # QEMU exits on the power off: wait_for must not count that as a failure.
  t_expiry_wait=$(now_ms)
  while [ "$(count "$EXPIRED" "$bmc_log")" -lt 1 ] && [ $(( $(now_ms) - t_expiry_wait )) -lt $(( (WD_TIMEOUT + 15) * 1000 )) ]; do
    kill -0 "$bmc_pid" 2>/dev/null || fail "ipmikit-bmc exited while waiting for the watchdog's expiry"
    sleep 0.1
  done
  [ "$(count "$EXPIRED" "$bmc_log")" -ge 1 ] ||
    fail "timed out waiting for ipmikit-bmc's watchdog expiry (action $WD_ACTION)"
  say "ok   ipmikit-bmc: watchdog expired $(since "$t_stopped") after the last pet: $(grep -m1 -E "$EXPIRED" "$bmc_log")"
  end=$(( $(now_ms) + 5000 ))
  while [ "$(count "$POWER" "$bmc_log")" -lt 1 ] && [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done
  [ "$(count "$POWER" "$bmc_log")" -ge 1 ] || fail "ipmikit-bmc did not log the power off ($POWER)"
  end=$(( $(now_ms) + 10000 ))
  while kill -0 "$qemu_pid" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done
  kill -0 "$qemu_pid" 2>/dev/null && fail "QEMU still runs 10 s after the power off"
  qemu_rc=0
  wait "$qemu_pid" || qemu_rc=$?
  qemu_pid=
  [ "$qemu_rc" = 0 ] || fail "QEMU exited with status $qemu_rc after the power off (expected 0)"
  say "ok   QEMU exited (status 0) after the power off ($(since "$t_qemu"))"
  stop_pid "$bmc_pid"
  bmc_pid=
  [ "$stop_rc" = 0 ] || fail "ipmikit-bmc exited with status $stop_rc on SIGTERM (expected 0)"
  say "PASS boot $boot1, total $(since) (guest build/check included)"
  exit 0
fi
wait_for "ipmikit-bmc's watchdog expiry (action reset)" "$EXPIRED" "$bmc_log" 1 $((WD_TIMEOUT + 15))
say "ok   ipmikit-bmc: watchdog expired $(since "$t_stopped") after the last pet: $(grep -m1 -E "$EXPIRED" "$bmc_log")"
wait_for "ipmikit-bmc to send the reset" "$POWER" "$bmc_log" 1 5
if [ "$RESTART_BMC" = 1 ]; then
  # A crash, not a clean stop: what the guest was told is saved must be on disk already. The new
  # process appends to the same log, so the patterns below count both runs.
  kill -KILL "$bmc_pid" 2>/dev/null
  wait "$bmc_pid" 2>/dev/null
  bmc_pid=
  "$bmc" --config "$tmp/bmc.conf" --verbose </dev/null >>"$bmc_log" 2>&1 &
  bmc_pid=$!
  wait_for "the restarted ipmikit-bmc to be ready" "$READY" "$bmc_log" 2 10
  [ "$(count "$CONFIG_STATE_LOADED" "$bmc_log")" -ge 1 ] || fail "the restarted ipmikit-bmc loaded no state file"
  grep -q -E "$BAD_STATE" "$bmc_log" && fail "the restarted ipmikit-bmc reported bad state: $(grep -m1 -E "$BAD_STATE" "$bmc_log")"
  wait_for "QEMU to reconnect to the restarted ipmikit-bmc" "$CONNECTED" "$bmc_log" 2 15
  say "ok   ipmikit-bmc killed (SIGKILL) and restarted on its state directory; QEMU reconnected ($(since "$t_qemu"))"
fi
wait_for "the guest's second boot" "$G_BOOT" "$serial" 2 60
say "ok   boot 2 after the reset ($(since "$t_qemu"))"
wait_for "ipmitool mc info on the second boot" "$G_MC_OK" "$serial" 2 30
say "ok   ipmitool mc info on the second boot ($(since "$t_qemu"))"
if [ "$INVENTORY" = 1 ]; then
  wait_for "the inventory commands on the second boot" "$G_INVENTORY_DONE" "$serial" 2 60
  # The second boot's `sel list` output: after its "inv sel-list ok" marker, up to the next marker.
  boot2_sel=$(awk -v boot="$G_BOOT" '$0 ~ boot { n++ } n >= 2' "$serial" |
    sed -n '/IPMIKIT-GUEST: inv sel-list ok/,/IPMIKIT-GUEST: inv sel-time-get/p')
  echo "$boot2_sel" | grep -q -E "$G_SEL_WATCHDOG" ||
    fail "the second boot's sel list does not show the watchdog's expiry: $boot2_sel"
  say "ok   the second boot sees the expiry in sel list: $(echo "$boot2_sel" | grep -m1 -E "$G_SEL_WATCHDOG" | tr -d '\r')"
  # The second boot's first `chassis bootparam get 5`, before it sets the boot device itself.
  boot2_boot=$(awk -v boot="$G_BOOT" '$0 ~ boot { n++ } n >= 2' "$serial" |
    sed -n '/IPMIKIT-GUEST: inv bootparam-get-5 ok/,/IPMIKIT-GUEST: inv bootdev-pxe/p')
  if [ "$RESTART_BMC" = 1 ]; then
    { echo "$boot2_boot" | grep -q 'Force PXE' && echo "$boot2_boot" | grep -q 'all future boots'; } ||
      fail "the second boot does not see the persistent PXE boot device of the first: $boot2_boot"
    say "ok   the second boot sees the first boot's persistent boot device: $(echo "$boot2_boot" | grep -m1 'Force PXE' | tr -d '\r')"
  fi
fi
# Informational: does the BMC still report the SMS/OS expiration flag after the reset?
# The second boot's /init decides right after its Get Watchdog Timer: "not arming again", or it
# arms the watchdog a second time.
end=$(( $(now_ms) + 10000 ))
while [ "$(count "$G_NOT_AGAIN" "$serial")" -lt 1 ] && [ "$(count "$G_ARMED" "$serial")" -lt 2 ] &&
  [ "$(now_ms)" -lt "$end" ]; do
  sleep 0.1
done
if [ "$(count "$G_NOT_AGAIN" "$serial")" -ge 1 ]; then
  say "info boot 2 saw the watchdog's SMS/OS expiration flag and did not arm it again"
else
  say "info boot 2 did not see an SMS/OS expiration flag: $(grep -E "$G_WDGET" "$serial" | tail -n 1 | tr -d '\r')"
fi

if [ "$INTERFACE" = ssif ]; then
  ssif_retries_summary
  [ "$(count "$G_RETRY" "$serial")" -le "$MAX_SSIF_RETRIES" ] ||
    fail "more than $MAX_SSIF_RETRIES retries over SSIF in one run: more than QEMU's occasional stale response"
fi

# ---- stop ---------------------------------------------------------------------------------------
stop_pid "$qemu_pid"
qemu_pid=
stop_pid "$bmc_pid"
bmc_pid=
[ "$stop_rc" = 0 ] || fail "ipmikit-bmc exited with status $stop_rc on SIGTERM (expected 0)"
say "PASS boot $boot1, total $(since) (guest build/check included)"
exit 0
