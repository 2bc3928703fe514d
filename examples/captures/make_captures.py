#!/usr/bin/env python3
"""Generates the sample captures for ipmikit-dump.

    python3 examples/captures/make_captures.py

writes, next to this script:

  qemu-ipmi_sim-session.hex  a QEMU <-> ipmi_sim conversation as hex text with '#' comments,
                             ending with deliberately malformed frames (ipmikit-dump exits 1)
  qemu-ipmi_sim-session.bin  the same bytes, raw
  qemu-ipmi_sim-clean.hex    the conversation without the malformed frames (exits 0)

Every checksum is computed here (8-bit two's complement over msg_id .. last data byte) and every
frame is escaped here (0xA0, 0xA1, 0xAA inside a frame -> 0xAA, byte | 0x10), never by hand.
Frames quoted from real traffic are asserted byte for byte against the references:
shared/reference/openipmi.md §2 and qemu-live.md (the project's steering notes).

The golden output examples/captures/qemu-ipmi_sim-session.expected is ipmikit-dump's output for
the session capture; regenerate it with
    ipmikit-dump --hex qemu-ipmi_sim-session.hex > qemu-ipmi_sim-session.expected 2>&1
and review the diff line by line when this script changes.
"""

import pathlib
import textwrap

MSG, CMD, ESC = 0xA0, 0xA1, 0xAA

# netfn values (requests; the response is netfn | 1)
CHASSIS, APP, STORAGE, OEM = 0x00, 0x06, 0x0A, 0x30
BMC_TO_VM, VM_TO_BMC = "ipmi_sim -> QEMU", "QEMU -> ipmi_sim"


def escape(content):
    out = []
    for b in content:
        if b in (MSG, CMD, ESC):
            out += [ESC, b | 0x10]
        else:
            out.append(b)
    return out


def checksum(content):
    return (-sum(content)) & 0xFF


def message(msg_id, netfn, cmd, data=(), lun=0):
    """A message frame: msg_id, netfn<<2|lun, cmd, data, checksum, escaped, then 0xA0."""
    content = [msg_id, (netfn << 2) | lun, cmd, *data]
    return escape(content + [checksum(content)]) + [MSG]


def command(code, *args):
    """A VM command frame: code [argument], escaped, then 0xA1."""
    return escape([code, *args]) + [CMD]


def h(text):
    return list(bytes.fromhex(text))


# ipmi_sim's Get Device ID answer (openipmi.md §2, [live]): cc 00, device id 00, revision 03,
# firmware 9.08, IPMI 2.0, support 9F, manufacturer 0x001291, product 0x0F02, aux 00 00 00 00.
DEVICE_ID = h("00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00")

# Frames quoted from real traffic must come out of the generator unchanged.
assert message(0x01, APP, 0x01) == h("01 18 01 E6 A0")  # openipmi.md §2
assert message(0x01, APP | 1, 0x01, DEVICE_ID) == h(
    "01 1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00 79 A0")  # openipmi.md §2
assert message(0x00, APP, 0x01) == h("00 18 01 E7 A0")  # qemu-live.md, qemu.md §1.5
assert command(0xFF, 0x01) + command(0x08, 0x3F) == h("FF 01 A1 08 3F A1")  # qemu-live.md
assert command(0xFF, 0x01) + command(0x00) == h("FF 01 A1 00 A1")  # openipmi.md §4
assert message(0x01, APP, 0x2E, [0x0F]) == h("01 18 2E 0F AA BA A0")  # qemu.md §1.5

# A platform event as Read Event Message Buffer returns it (IPMI v2.0 §22.8, SEL record layout):
# record id 0x0001, type 02, timestamp 0x654E5FAA (its low byte AA goes out escaped), generator
# 0x0020 (the BMC), EvM rev 04, sensor type 01 (temperature), sensor 02, threshold assertion 01,
# event data 59 (upper critical going high; reading and threshold follow) 5A 55.
EVENT = h("01 00 02 AA 5F 4E 65 20 00 04 01 02 01 59 5A 55")

# (direction, comment, frame). The clean conversation first.
SESSION = [
    (BMC_TO_VM, "VERSION 1: ipmi_sim greets a new connection (vm_connected)", command(0xFF, 0x01)),
    (BMC_TO_VM, "NOATTN: is_resend_atn replays the attention state, nothing pending", command(0x00)),
    (VM_TO_BMC, "VERSION 1: QEMU's greeting (chr_event, CHR_EVENT_OPENED)", command(0xFF, 0x01)),
    (VM_TO_BMC, "CAPABILITIES 0x3F: POWER RESET IRQ NMI ATTN GRACEFUL_SHUTDOWN (QEMU >= 2.x)",
     command(0x08, 0x3F)),
    (VM_TO_BMC, "Get Device ID (App 0x06, cmd 0x01), msg_id 0x00: the guest driver probes the BMC",
     message(0x00, APP, 0x01)),
    (BMC_TO_VM, "Get Device ID response, msg_id 0x00: cc 00, 15 data bytes",
     message(0x00, APP | 1, 0x01, DEVICE_ID)),
    (VM_TO_BMC, "Get Device ID again, msg_id 0x01 (the IPMI message handler registers the BMC);"
     " real bytes from ipmi_sim, openipmi.md §2", message(0x01, APP, 0x01)),
    (BMC_TO_VM, "Get Device ID response, msg_id 0x01, real bytes (checksum 79)",
     message(0x01, APP | 1, 0x01, DEVICE_ID)),
    (VM_TO_BMC, "Get BMC Global Enables (0x2F), msg_id 0x02", message(0x02, APP, 0x2F)),
    (BMC_TO_VM, "response: cc 00, enables 0x08 (system event logging only)",
     message(0x02, APP | 1, 0x2F, [0x00, 0x08])),
    (VM_TO_BMC, "Set BMC Global Enables (0x2E) 0x0D, msg_id 0x03: receive-queue interrupt,"
     " event buffer, SEL. The checksum is 0xAA, sent escaped as AA BA",
     message(0x03, APP, 0x2E, [0x0D])),
    (BMC_TO_VM, "ENABLE_IRQ: the receive-queue interrupt bit went 0 -> 1; sent before the response",
     command(0x05)),
    (BMC_TO_VM, "Set BMC Global Enables response, msg_id 0x03: cc 00",
     message(0x03, APP | 1, 0x2E, [0x00])),
    (VM_TO_BMC, "Get Self Test Results (0x04), msg_id 0x04", message(0x04, APP, 0x04)),
    (BMC_TO_VM, "response: cc 00, 55 00 (no error)", message(0x04, APP | 1, 0x04, [0x00, 0x55, 0x00])),
    (VM_TO_BMC, "Get Watchdog Timer (0x25), msg_id 0x05", message(0x05, APP, 0x25)),
    (BMC_TO_VM, "response: cc 00, watchdog never set: use, actions, pre-timeout, flags, initial"
     " and present countdown all 0", message(0x05, APP | 1, 0x25, [0x00] * 9)),
    (VM_TO_BMC, "Set Watchdog Timer (0x24), msg_id 0x06: use SMS/OS (04), action hard reset (01),"
     " no pre-timeout, countdown 0x0064 = 10 s", message(0x06, APP, 0x24, h("04 01 00 00 64 00"))),
    (BMC_TO_VM, "response: cc 00 plus 35 bytes: ipmi_sim's Set Watchdog handler never sets the"
     " response length, so the whole 36-byte buffer goes out (openipmi.md §4; contents vary,"
     " zeros here)", message(0x06, APP | 1, 0x24, [0x00] * 36)),
    (VM_TO_BMC, "Reset Watchdog Timer (0x22), msg_id 0x07: start the countdown",
     message(0x07, APP, 0x22)),
    (BMC_TO_VM, "response: cc 00", message(0x07, APP | 1, 0x22, [0x00])),
    (VM_TO_BMC, "Get Message Flags (0x31), msg_id 0x08", message(0x08, APP, 0x31)),
    (BMC_TO_VM, "response: cc 00, flags 00 (nothing pending)", message(0x08, APP | 1, 0x31, [0x00, 0x00])),
    (BMC_TO_VM, "ATTN_IRQ: a sensor event landed in the event message buffer and its interrupt"
     " is enabled", command(0x02)),
    (VM_TO_BMC, "Get Message Flags, msg_id 0x09", message(0x09, APP, 0x31)),
    (BMC_TO_VM, "response: cc 00, flags 02 (event message buffer full)",
     message(0x09, APP | 1, 0x31, [0x00, 0x02])),
    (VM_TO_BMC, "Read Event Message Buffer (0x35), msg_id 0x0A", message(0x0A, APP, 0x35)),
    (BMC_TO_VM, "NOATTN: the buffer is empty again; sent before the response", command(0x00)),
    (BMC_TO_VM, "response: cc 00, 16-byte event: temperature sensor 02 upper critical going high;"
     " its timestamp byte AA goes out as AA BA", message(0x0A, APP | 1, 0x35, [0x00] + EVENT)),
    (VM_TO_BMC, "OEM netfn 0x30 cmd 0x01, msg_id 0x0B (ipmitool raw 0x30 0x01 in the guest)",
     message(0x0B, OEM, 0x01)),
    (BMC_TO_VM, "response: cc C1 invalid command", message(0x0B, OEM | 1, 0x01, [0xC1])),
    (VM_TO_BMC, "Chassis Control (Chassis 0x00, cmd 0x02) 00 = power down, msg_id 0x0C",
     message(0x0C, CHASSIS, 0x02, [0x00])),
    (BMC_TO_VM, "POWEROFF: ipmi_sim powers the VM off before answering", command(0x03)),
    (BMC_TO_VM, "Chassis Control response, msg_id 0x0C: cc 00", message(0x0C, CHASSIS | 1, 0x02, [0x00])),
]

# What a decoder must catch. Each is followed by nothing else in its frame.
long_data = [0x00, 0xFF] + [(i * 7) & 0xFF for i in range(318)]  # cc, count, 318 bytes
MALFORMED = [
    ("malformed", "checksum_mismatch: a Get Device ID request with its checksum off by one",
     message(0x0D, APP, 0x01)[:-2] + [(message(0x0D, APP, 0x01)[-2] + 1) & 0xFF, MSG]),
    ("malformed", "message_too_short: msg_id, netfn/LUN, cmd and nothing else (3 bytes)",
     h("0E 18 01") + [MSG]),
    ("malformed", "a 4-byte response (msg_id, netfn/LUN, cmd, checksum) with no completion code:"
     " OpenIPMI's minimum, so ipmikit-dump shows it; QEMU drops it (use --min-message 5)",
     message(0x0F, APP | 1, 0x01)),
    ("malformed", "invalid_escape: AA 02 is not one of AA B0, AA B1, AA BA",
     h("10 18 AA 02 01") + [MSG]),
    ("malformed", "escape_before_terminator: the frame ends in AA A0", h("11 18 01 D6 AA") + [MSG]),
    ("malformed", "unknown_command: VM command 0x0A does not exist", h("0A") + [CMD]),
    ("malformed", "empty_command: a lone A1", [CMD]),
    ("malformed", "wrong_argument_count: CAPABILITIES without its argument byte", h("08") + [CMD]),
    ("malformed", "frame_too_long: a runaway Read FRU Data response (Storage 0x0B, cmd 0x11),"
     " 324 bytes unescaped, over QEMU's 302-byte receive buffer",
     message(0x12, STORAGE | 1, 0x11, long_data)),
]


def write_hex(path, title, frames):
    lines = [
        f"# {title}",
        "# Generated by make_captures.py (do not edit by hand: checksums and escapes are computed).",
        "#",
        "# A capture of the VM protocol stream between QEMU's ipmi-bmc-extern device (with a KCS",
        "# interface) and OpenIPMI's ipmi_sim, both directions interleaved in the order the bytes",
        "# were seen. Hex pairs separated by whitespace; '#' starts a comment. Decode with",
        f"#   ipmikit-dump --hex {path.name}",
        "# Each frame is preceded by its stream offset (as ipmikit-dump prints it), its direction",
        "# and what it is.",
    ]
    offset = 0
    for direction, comment, frame in frames:
        lines.append("")
        lines += textwrap.wrap(f"@{offset:08X} {direction}: {comment}", width=98,
                               initial_indent="# ", subsequent_indent="#   ")
        for i in range(0, len(frame), 16):
            lines.append(" ".join(f"{b:02X}" for b in frame[i:i + 16]))
        offset += len(frame)
    path.write_text("\n".join(lines) + "\n")
    return offset


def main():
    here = pathlib.Path(__file__).resolve().parent
    whole = SESSION + MALFORMED
    write_hex(here / "qemu-ipmi_sim-session.hex",
              "QEMU 7.2 <-> ipmi_sim: boot-time probing, watchdog, an event, power down, then"
              " malformed frames", whole)
    (here / "qemu-ipmi_sim-session.bin").write_bytes(bytes(b for _, _, f in whole for b in f))
    write_hex(here / "qemu-ipmi_sim-clean.hex",
              "QEMU 7.2 <-> ipmi_sim: boot-time probing, watchdog, an event, power down", SESSION)


if __name__ == "__main__":
    main()
