#!/bin/busybox sh
# shellcheck shell=dash
# /init of the guest built by scripts/build-guest.sh (busybox sh, PID 1). Everything it says that
# a test looks for is one line "IPMIKIT-GUEST: ..." on the console (ttyS0).
#
#  1. mounts proc, sysfs and devtmpfs; loads ipmi_msghandler, ipmi_devintf, ipmi_si (which finds
#     QEMU's isa-ipmi-kcs; guest_si_params= on the kernel command line overrides its parameters,
#     e.g. "type=kcs ports=0xca2") and waits for /dev/ipmi0;
#     with guest_interface=ssif it loads i2c_piix4 (the pc machine's SMBus) and ipmi_ssif instead
#     of ipmi_si (ipmi_ssif finds QEMU's smbus-ipmi through SMBIOS type 38; guest_ssif_params=
#     adds module parameters, e.g. "addr=0x10 trydmi=0"), prints the kernel's IPMI / SMBus lines
#     as "IPMIKIT-DMESG: ..." (not "IPMIKIT-GUEST:": a kernel line saying "failed" must not read
#     as this script's failure marker), then says "interface ssif: ..." with where /dev/ipmi0's
#     I2C device sits in sysfs, its driver, and which ipmi_* / i2c_* modules are loaded;
#  2. ipmitool mc info, ipmitool chassis status: "mc-info ok" / "mc-info failed rc=N", the same
#     for "chassis-status", each followed by ipmitool's output; with guest_inventory=1 the
#     inventory commands too ("inv NAME ok" / "inv NAME failed: why", then "inventory done");
#  3. reads the BMC watchdog (Get Watchdog Timer, raw): when its timer use expiration flags
#     already say SMS/OS, the watchdog expired before this boot: "watchdog expired before this
#     boot", and nothing is armed again (so a reset by the watchdog does not loop forever);
#  4. otherwise loads ipmi_watchdog with timeout=$guest_wd_timeout (5) action=$guest_wd_action
#     (reset), opens /dev/watchdog (which starts the timer), pets it $guest_wd_pets times (3) a
#     second apart, says "stopped petting" and keeps the device open without the magic close:
#     the BMC's countdown runs out and it carries out the action.
#     With guest_watchdog=0 steps 3 and 4 are left out ("watchdog skipped").
#  5. sleeps forever (PID 1 must not exit); with guest_console_shell=1 it runs an interactive
#     busybox shell on the console (ttyS0) instead, started again whenever it ends (a test drives
#     it over the serial line, e.g. through SOL). It says "console shell on ttyS0" before each
#     start; its prompt is "guest# " (PS1). The tty echoes what is typed, so a test expects a
#     command's output by something the command line itself does not contain (echo $((6*7)) → 42).
#     Every other way this script stops (a failure above) ends there too.
# guest_say_tty=NAME (e.g. ttyS1) writes every "IPMIKIT-GUEST:" line to /dev/NAME as well as to
# the console: a test that reads the markers from one serial port (the console, a file) and
# watches another (the SOL console) sees them on both.
# Kernel command line words with "=" and no dot (guest_wd_timeout=5 ...) reach this script as
# environment variables.
export PATH=/bin:/usr/bin
say() {
  line="IPMIKIT-GUEST: $* (t=$(cut -d' ' -f1 /proc/uptime)s)"
  echo "$line"
  # guest_say_tty=ttyS1: also on that port (a file for the test while the console is on SOL).
  [ -n "${guest_say_tty:-}" ] && { echo "$line" >"/dev/$guest_say_tty"; } 2>/dev/null
  return 0
}
console_shell() {
  # setsid -c: the shell's own session with ttyS0 as its controlling terminal, so ^C reaches
  # the command it runs rather than PID 1.
  while :; do
    say "console shell on ttyS0"
    HOME=/root PS1='guest# ' setsid -c /bin/sh -i </dev/ttyS0 >/dev/ttyS0 2>&1
    sleep 1
  done
}
hang() {
  [ "${guest_console_shell:-0}" = 1 ] && console_shell
  while :; do sleep 3600; done
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null | cut -c1-8)
say "boot kernel=$(uname -r) boot_id=$boot_id"

interface=${guest_interface:-kcs}
case $interface in
  kcs | ssif) ;;
  *)
    say "guest_interface=$interface failed: not kcs or ssif"
    hang ;;
esac
# Over SSIF, QEMU 7.2's smbus-ipmi answers a read that comes before the BMC's response arrived
# with the previous response instead of a NAK (docs/ipmikit-bmc-guest.md, "SSIF"). The guest
# works around it, boundedly and visibly: a failed ipmitool command is run again, up to
# $attempts times in all, and a probe of ipmi_ssif that made no /dev/ipmi0 is repeated (unload,
# load) up to $attempts times in all; each retry says "retry NAME attempt N: why (kernel: K
# stale)", K being how many "BMC returned incorrect response" lines the kernel logged during
# the failed attempt (0 when the stale block matched what was asked or came in ipmi_ssif's own
# probe), and the test counts them. Over KCS there are no retries.
attempts=1
[ "$interface" = ssif ] && attempts=3
stale_lines() { dmesg | grep -c 'BMC returned incorrect response'; }

insmod_or_hang() {  # insmod_or_hang MODULE PARAMS...
  m=$1
  shift
  if ! insmod "/lib/modules/$m.ko" "$@"; then
    say "insmod $m failed"
    dmesg | tail -n 20
    hang
  fi
}
wait_ipmi0() {  # wait_ipmi0 TENTHS: until /dev/ipmi0 exists, at most TENTHS × 0.1 s
  i=0
  while [ ! -c /dev/ipmi0 ] && [ $i -lt "$1" ]; do
    sleep 0.1
    i=$((i + 1))
  done
}
for m in $(cat /lib/modules/load-order); do
  params=
  case $m in
    ipmi_watchdog) continue ;;
    ipmi_si)
      [ "$interface" = kcs ] || continue
      params=${guest_si_params:-} ;;
    ipmi_ssif)
      [ "$interface" = ssif ] || continue
      params=${guest_ssif_params:-} ;;
    i2c_*) [ "$interface" = ssif ] || continue ;;
  esac
  # shellcheck disable=SC2086
  insmod_or_hang "$m" $params
done
if [ "$interface" = ssif ]; then
  # ipmi_ssif probes while insmod runs (Get Device ID, then the message handler's own requests);
  # a stale response there leaves no /dev/ipmi0. guest_ssif_wait= tenths of a second per attempt.
  n=1
  before=0  # the probe ran inside insmod; nothing logged such a line before ipmi_ssif
  while :; do
    wait_ipmi0 "${guest_ssif_wait:-30}"
    [ -c /dev/ipmi0 ] && break
    [ $n -ge $attempts ] && break
    n=$((n + 1))
    say "retry ipmi_ssif attempt $n: no /dev/ipmi0 after $(( ${guest_ssif_wait:-30} / 10 )) s: $(dmesg | grep -i -E 'ssif|ipmi' | tail -n 1) (kernel: $(( $(stale_lines) - before )) stale)"
    before=$(stale_lines)
    rmmod ipmi_ssif
    # shellcheck disable=SC2086
    insmod_or_hang ipmi_ssif ${guest_ssif_params:-}
  done
else
  wait_ipmi0 100
fi
if [ ! -c /dev/ipmi0 ]; then
  say "no /dev/ipmi0"
  dmesg | grep -i ipmi
  hang
fi
say "modules loaded"
dmesg | grep -i ipmi
if [ "$interface" = ssif ]; then
  # Proof that /dev/ipmi0 is the SSIF device: its sysfs device is an I2C client, the driver is
  # ipmi_ssif and ipmi_si is not loaded; and how ipmi_ssif found it (the kernel's own lines).
  dev=$(readlink -f /sys/class/ipmi/ipmi0/device 2>/dev/null)
  driver=$(basename "$(readlink -f "$dev/driver" 2>/dev/null)")
  mods=$(grep -o -E '^(ipmi|i2c)_[a-z0-9_]+' /proc/modules | sort | tr '\n' ' ')
  dmesg | grep -i -E 'ipmi|ssif|smbus|piix4' | grep -v -E 'command line|guest_' | while read -r line; do
    echo "IPMIKIT-DMESG: $line"
  done
  # After the kernel lines: a test that sees this line has them all.
  say "interface ssif: device=$dev driver=$driver modules=$mods"
fi

# tries NAME JUDGE COMMAND...: runs COMMAND ($out: its output and errors, $rc: its status) and
# then JUDGE, which sets $why to why the attempt failed (empty: it did not); again after a
# failure, up to $attempts times in all, each retry said. Returns 1 when the last attempt failed.
tries() {
  name=$1
  judge=$2
  shift 2
  n=1
  while :; do
    [ "$attempts" -gt 1 ] && before=$(stale_lines)
    out=$("$@" 2>&1)
    rc=$?
    why=
    $judge
    [ -z "$why" ] && return 0
    [ $n -ge "$attempts" ] && return 1
    n=$((n + 1))
    say "retry $name attempt $n: $why (kernel: $(( $(stale_lines) - before )) stale)"
    sleep 0.5  # stale responses come in bursts, when the host is busiest
  done
}
judge_rc() { [ "$rc" -ne 0 ] && why="rc=$rc: $(echo "$out" | head -n 1)"; }
ipmi() {  # ipmi NAME ARGS...: runs ipmitool, prints the marker and the output
  name=$1
  shift
  if tries "$name" judge_rc ipmitool "$@"; then
    say "$name ok"
  else
    say "$name failed rc=$rc"
  fi
  echo "$out"
}
ipmi mc-info mc info
ipmi chassis-status chassis status

# With guest_inventory=1 (linux_guest_test.sh --inventory): what inventory agents, installers and
# operators run in a guest (issue 15's list). ipmitool often exits 0 after printing that a
# command failed, so each one must exit 0, print nothing that says it failed, and print what
# it is expected to ("inv NAME ok" / "inv NAME failed: why"); its output follows the marker.
# (After the watchdog's reset, the test looks for the expiry in the second boot's `sel list`.)
# What ipmitool prints when a command failed (not "Boot Flag Invalid", a field of bootparam 5).
inv_fail='[Ff]ailed|[Ii]nvalid (command|data|channel|user|parameter|length|request)|[Uu]nable|[Ee]rror|[Nn]ot supported|[Nn]ot present|[Ii]nsufficient|[Cc]ould not|[Tt]imeout|[Uu]nrecognized'
judge_inv() {
  if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(echo "$out" | head -n 1)"
  elif echo "$out" | grep -q -E "$inv_fail"; then
    why=$(echo "$out" | grep -m1 -E "$inv_fail")
  elif [ -n "$expect" ] && ! echo "$out" | grep -q -E "$expect"; then
    why="no match for /$expect/"
  fi
}
inv() {  # inv NAME EXPECT ARGS...: EXPECT an extended regexp the output must match ('' for none)
  expect=$2
  iname=$1
  shift 2
  if tries "$iname" judge_inv ipmitool "$@"; then
    say "inv $iname ok"
  else
    say "inv $iname failed: $why"
  fi
  echo "$out"
}
if [ "${guest_inventory:-0}" = 1 ]; then
  inv mc-selftest 'passed' mc selftest
  inv mc-guid 'GUID' mc guid
  inv mc-getenables 'Event Message Buffer' mc getenables
  inv bootparam-get-5 'Boot Flags' chassis bootparam get 5
  # Persistent, so that it outlives a restart of ipmikit-bmc (linux_guest_test.sh --restart-bmc
  # checks the second boot's bootparam-get-5 above shows it before this sets it again).
  inv bootdev-pxe 'Set Boot Device to pxe' chassis bootdev pxe options=persistent
  inv bootparam-pxe 'Force PXE' chassis bootparam get 5
  inv restart-cause 'System restart cause' chassis restart_cause
  inv poh 'POH Counter' chassis poh
  inv sel-info 'Entries' sel info
  inv sel-list '' sel list
  inv sel-time-get '[0-9][0-9]/[0-9][0-9]/[0-9][0-9]' sel time get
  inv sdr-info 'SDR Version' sdr info
  inv sdr-list-all '' sdr list all
  inv sensor-list '' sensor list
  inv fru-print-0 "${guest_fru_product:-Product Name}" fru print 0
  inv lan-print-1 'IP Address' lan print 1
  inv user-list-1 'ADMINISTRATOR|ID' user list 1
  inv channel-info-1 'Channel 0x1 info' channel info 1
  # Serial over LAN as the guest sees it: ipmitool's "Enabled : true" (SOL parameter 1; false
  # with guest_sol_enabled=false, for a BMC whose VM has no serial console configured), and
  # the LAN channel's cipher suite table with suite 17 (Get Channel Cipher Suites).
  inv sol-info-1 "Enabled +: ${guest_sol_enabled:-true}" sol info 1
  inv channel-getciphers-1 '^17 +N/A +hmac_sha256 +sha256_128 +aes_cbc_128' channel getciphers ipmi 1
  say "inventory done"
fi

if [ "${guest_watchdog:-1}" = 0 ]; then
  say "watchdog skipped"
  hang
fi

# Get Watchdog Timer: byte 4 of the response data is the timer use expiration flags; bit 4 is
# SMS/OS, the timer use Linux's ipmi_watchdog sets.
# Only its output is the answer: ipmitool's errors go to /tmp/wd.err. Over SSIF, an error there
# also fails the attempt (exit 0 with "Get Device ID command failed": a stale response within).
wd_get() { ipmitool raw 0x06 0x25 2>/tmp/wd.err; }
judge_wd() {
  judge_rc
  [ -z "$why" ] && [ "$attempts" -gt 1 ] && [ -s /tmp/wd.err ] && why="exit 0: $(head -n 1 /tmp/wd.err)"
}
if tries watchdog-get judge_wd wd_get; then
  wd=$out
  # shellcheck disable=SC2086
  say "watchdog-get ok:" $wd
  # shellcheck disable=SC2086
  set -- $wd
  flags=${4:-00}
  case $flags in [0-9a-fA-F][0-9a-fA-F]) ;; *) flags=00 ;; esac
  if [ $((0x$flags & 0x10)) -ne 0 ]; then
    say "watchdog expired before this boot (expiration flags 0x$flags), not arming again"
    hang
  fi
else
  say "watchdog-get failed rc=$rc"
fi

timeout=${guest_wd_timeout:-5}
action=${guest_wd_action:-reset}
pets=${guest_wd_pets:-3}
if ! insmod /lib/modules/ipmi_watchdog.ko timeout="$timeout" action="$action"; then
  say "insmod ipmi_watchdog failed"
  dmesg | tail -n 20
  hang
fi
dmesg | grep -i watchdog | tail -n 3
i=0
while [ ! -c /dev/watchdog ] && [ $i -lt 50 ]; do
  sleep 0.1
  i=$((i + 1))
done
if ! exec 3>/dev/watchdog; then
  say "cannot open /dev/watchdog"
  hang
fi
say "watchdog armed timeout=$timeout action=$action"
n=1
while [ $n -le "$pets" ]; do
  sleep 1
  echo p >&3
  say "pet $n"
  n=$((n + 1))
done
say "stopped petting"
hang
