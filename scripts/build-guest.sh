#!/usr/bin/env bash
# scripts/build-guest.sh OUTDIR — a small Linux guest for QEMU with the kernel's IPMI drivers and
# ipmitool, booted by tests/interop/linux_guest_test.sh against ipmikit-bmc.
#
# Writes, in OUTDIR:
#   vmlinuz          Debian's generic amd64 kernel as packaged (a bzImage; the cloud kernel has no
#                    IPMI drivers);
#   vmlinux          the same kernel uncompressed: an ELF with a PVH entry point, which QEMU's
#                    -kernel boots directly. Under TCG the bzImage's own xz decompression takes
#                    about 8 s, so this is what the test boots (missing if it cannot be extracted);
#   initramfs.cpio   busybox-static, the modules ipmi_msghandler, ipmi_devintf, ipmi_si,
#                    ipmi_watchdog, and for SSIF i2c_piix4 and ipmi_ssif (with what they depend on),
#                    ipmitool with its shared libraries and the dynamic loader, and
#                    scripts/guest-init.sh as /init. Uncompressed (18 MiB): the kernel unpacks it
#                    faster than a gzip'd one under TCG.
# The kernel package is fetched with `apt-get download` and only the kernel image, its config and
# the IPMI and I2C driver directories are unpacked, into OUTDIR/deb; it is never installed.
#
# Cache: OUTDIR/inputs records what the guest was built from (kernel, busybox and ipmitool package
# versions, the checksums of this script and of the init). When it matches and both files exist,
# nothing is done. Concurrent runs on the same OUTDIR wait for each other (flock).
# Exit: 0 built or up to date, 1 failure, 2 usage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
start_ns=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - start_ns) / 1000000 )) ms"; }

# One builder per OUTDIR at a time (two ctest runs, or test.sh's two build stages).
exec 9>"$out/.lock"
flock 9

ensure_packages busybox-static ipmitool cpio kmod xz-utils

# The concrete kernel package behind linux-image-amd64 (e.g. linux-image-6.1.0-56-amd64).
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
  # No package lists yet (a fresh machine whose lists were cleaned): fetch them once.
  echo "== apt-get update (to resolve linux-image-amd64)"
  [ "$(id -u)" -eq 0 ] && sudo=() || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq </dev/null
  kpkg=$(kernel_package)
fi
if [ -z "$kpkg" ]; then
  echo "build-guest: cannot resolve linux-image-amd64 to a kernel package" >&2
  exit 1
fi
kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
init_src="$root/scripts/guest-init.sh"
inputs="kernel=$kpkg $kver
busybox-static=$(dpkg-query -W -f='${Version}' busybox-static)
ipmitool=$(dpkg-query -W -f='${Version}' ipmitool)
build-guest.sh=$(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)
guest-init.sh=$(sha256sum <"$init_src" | cut -d' ' -f1)"

if [ -s "$out/vmlinuz" ] && [ -s "$out/initramfs.cpio" ] && [ -f "$out/inputs" ] &&
  [ "$(cat "$out/inputs")" = "$inputs" ]; then
  echo "build-guest: $out is up to date ($kpkg $kver) ($(elapsed))"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The unpacked kernel pieces are kept in OUTDIR/deb (about 10 MiB) so that a change of the
# init or of this script does not download the 70 MiB package again. OUTDIR/deb/package names
# the package and what was unpacked from it: a cache from before a directory was added to the
# list (e.g. one with drivers/char/ipmi only, no drivers/i2c) is unpacked again.
unpack=('./boot/vmlinuz-*' './boot/config-*' './lib/modules/*/kernel/drivers/char/ipmi/*'
  './lib/modules/*/kernel/drivers/i2c/*')
deb_key="$kpkg $kver: ${unpack[*]}"
if [ "$(cat "$out/deb/package" 2>/dev/null)" != "$deb_key" ]; then
  echo "== build-guest: downloading $kpkg $kver"
  rm -rf "$out/deb"
  mkdir "$work/dl"
  # apt-get download writes into the current directory; _apt cannot write into root's mktemp
  # directory, so it downloads as root instead (a harmless warning, filtered out).
  (cd "$work/dl" && apt-get download "$kpkg=$kver" </dev/null 2>&1 | grep -v 'unsandboxed' || true)
  deb=$(ls "$work"/dl/"$kpkg"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    if [ -z "${IPMIKIT_BUILD_GUEST_RETRY:-}" ]; then
      # Stale package lists name a version the mirror no longer has: update them, start over.
      echo "build-guest: apt-get download $kpkg=$kver failed; apt-get update and once more" >&2
      [ "$(id -u)" -eq 0 ] && sudo=() || sudo=(sudo)
      "${sudo[@]}" apt-get update -qq </dev/null || true
      rm -rf "$work"
      IPMIKIT_BUILD_GUEST_RETRY=1 exec "${BASH_SOURCE[0]}" "$out"
    fi
    echo "build-guest: apt-get download $kpkg failed" >&2
    exit 1
  fi
  echo "   $(basename "$deb") ($(( $(stat -c %s "$deb") / 1048576 )) MiB, $(elapsed))"
  # Only the kernel image, its config and the IPMI and I2C drivers: the package is ~400 MiB
  # unpacked.
  mkdir "$work/kernel"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/kernel" --wildcards "${unpack[@]}"
  rm -f "$deb"
  echo "$deb_key" >"$work/kernel/package"
  mv "$work/kernel" "$out/deb"
fi
moddir=$(ls -d "$out"/deb/lib/modules/*/kernel/drivers/char/ipmi)
uname_r=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$moddir")")")")")

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,sbin,dev,proc,sys,tmp,lib/modules,etc,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done

# SSIF needs the I2C core, which Debian builds into the kernel (CONFIG_I2C=y): i2c_piix4, the
# PIIX4 SMBus host of QEMU's pc machine, is then a module like the IPMI drivers.
set -- "$out"/deb/boot/config-*
kconfig=$1
if ! grep -q '^CONFIG_I2C=y$' "$kconfig"; then
  echo "build-guest: $kpkg does not have the I2C core built in ($(grep '^CONFIG_I2C=' "$kconfig" || echo 'no CONFIG_I2C'));" \
    "the guest's i2c_piix4 would need it as a module" >&2
  exit 1
fi

# The modules and, recursively, what they depend on (modinfo's depends field). They are named
# with underscores in the guest (the kernel's module names): i2c-piix4.ko becomes i2c_piix4.ko.
# guest-init.sh loads them in this order, ipmi_si for KCS or i2c_* and ipmi_ssif for SSIF.
want=(ipmi_msghandler ipmi_devintf ipmi_si ipmi_watchdog i2c_piix4 ipmi_ssif)
declare -A have=()
order=()
add_module() {
  local name=${1//-/_} file dep
  [ -n "${have[$name]:-}" ] && return 0
  file=$(find "$out/deb/lib/modules" \( -name "$name.ko" -o -name "$name.ko.xz" \
    -o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.xz" \) | head -n 1)
  if [ -z "$file" ]; then
    echo "build-guest: module $name not found in $kpkg (only drivers/char/ipmi and drivers/i2c are unpacked)" >&2
    exit 1
  fi
  have[$name]=1
  for dep in $(modinfo -F depends "$file" | tr ',' ' '); do add_module "$dep"; done
  case $file in
    *.xz) xz -dc "$file" >"$rootfs/lib/modules/$name.ko" ;;  # busybox insmod: no xz
    *) cp "$file" "$rootfs/lib/modules/$name.ko" ;;
  esac
  order+=("$name")
}
for m in "${want[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$rootfs/lib/modules/load-order"

# ipmitool, the libraries it loads and the dynamic loader, at the paths ldd reports.
copy_with_path() { mkdir -p "$rootfs$(dirname "$1")" && cp -L "$1" "$rootfs$1"; }
mkdir -p "$rootfs/usr/bin"
cp /usr/bin/ipmitool "$rootfs/usr/bin/ipmitool"
for lib in $(ldd /usr/bin/ipmitool | grep -o '/[^ ]*'); do copy_with_path "$lib"; done

# ipmitool looks up manufacturer names in IANA's enterprise numbers and complains when the file
# is missing; the guest gets a one-entry file in the same format (the real one is 4 MiB).
mkdir -p "$rootfs/usr/share/misc"
printf '0\n  Reserved\n    Internet Assigned Numbers Authority\n      iana&iana.org\n' \
  >"$rootfs/usr/share/misc/enterprise-numbers.txt"

cp "$init_src" "$rootfs/init"
chmod 755 "$rootfs/init"
echo "$uname_r" >"$rootfs/etc/kernel-release"

cp "$(ls "$out"/deb/boot/vmlinuz-*)" "$work/vmlinuz"
# The bzImage's payload is the xz-compressed vmlinux (Debian: CONFIG_KERNEL_XZ); xz stops at the
# end of its stream and complains about the rest of the file, which is expected.
offset=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$work/vmlinuz" | head -n 1 | cut -d: -f1 || true)
if [ -n "$offset" ]; then
  tail -c +$((offset + 1)) "$work/vmlinuz" | xz -dc >"$work/vmlinux" 2>/dev/null || true
fi
if [ -s "$work/vmlinux" ] && [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
  mv "$work/vmlinux" "$out/vmlinux"
else
  echo "build-guest: no xz-compressed vmlinux inside the bzImage; the test boots vmlinuz (slower)" >&2
  rm -f "$work/vmlinux" "$out/vmlinux"
fi
(cd "$rootfs" && find . -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --owner=0:0 --quiet) >"$work/initramfs.cpio"
mv "$work/vmlinuz" "$out/vmlinuz"
mv "$work/initramfs.cpio" "$out/initramfs.cpio"
rm -f "$out/initramfs.cpio.gz"
printf '%s\n' "$inputs" >"$out/inputs"
echo "build-guest: $out: vmlinuz $(( $(stat -c %s "$out/vmlinuz") / 1024 )) KiB ($uname_r)," \
  "vmlinux $(( $(stat -c %s "$out/vmlinux" 2>/dev/null || echo 0) / 1024 )) KiB," \
  "initramfs.cpio $(( $(stat -c %s "$out/initramfs.cpio") / 1024 )) KiB" \
  "(modules: ${order[*]}) ($(elapsed))"
