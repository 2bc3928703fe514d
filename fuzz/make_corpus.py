#!/usr/bin/env python3
"""Generates the seed corpora under fuzz/corpus/<target>/ (checked in; rerun after changing an
input format). Deterministic: the same files every run. Standard library only.

    python3 fuzz/make_corpus.py            # rewrites fuzz/corpus/
    python3 fuzz/make_corpus.py --check    # exits 1 if the checked-in corpus differs

Input formats are documented at the top of each fuzz_<target>.cpp; in short:
  fuzz_decoder:   [config] [min_message] [n] [n chunk sizes] data
  fuzz_roundtrip: [split lo] [split hi] records (message: t id L body.. buf; command: t c args.. buf)
  fuzz_checksum:  [split] data
  fuzz_kcs_device / fuzz_kcs_host / fuzz_kcs_pair: setup bytes, [n] n control bytes, data
  fuzz_bt_device / fuzz_bt_host / fuzz_bt_pair: the same layout
  fuzz_ssif_device / fuzz_ssif_host / fuzz_ssif_pair: the same layout
  fuzz_bridge:    [setup] then operations (op byte + arguments; see fuzz_bridge.cpp)
  fuzz_bmc_core:  operations (op byte + arguments; see fuzz_bmc_core.cpp)
  fuzz_vm_link:   [capabilities] then operations (op byte + arguments; see fuzz_vm_link.cpp)
  fuzz_lan_packet: one datagram (or a bare session-setup payload)
  fuzz_lan_server: operations (op byte + arguments; see fuzz_lan_server.cpp)
  fuzz_lan_session: [setup] then operations (op byte + arguments; see fuzz_lan_session.cpp)
  fuzz_lan_sol:   [setup] [5 settings] then operations (op byte + arguments; see fuzz_lan_sol.cpp)
  fuzz_lan_sol_session: [setup] then operations (op byte + arguments; see fuzz_lan_sol_session.cpp)
  fuzz_qmp:       operations (op byte + arguments; see fuzz_qmp.cpp)
"""

import argparse
import re
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"

A0, A1, AA = 0xA0, 0xA1, 0xAA
SPECIAL = (A0, A1, AA)


def checksum(data):
    return (-sum(data)) & 0xFF


def escape(content):
    out = bytearray()
    for b in content:
        if b in SPECIAL:
            out += bytes((AA, b | 0x10))
        else:
            out.append(b)
    return bytes(out)


def message(msg_id, body):
    return escape(bytes([msg_id]) + bytes(body) + bytes([checksum([msg_id] + list(body))])) + bytes([A0])


def command(code, args=()):
    return escape(bytes([code]) + bytes(args)) + bytes([A1])


# Wire examples (docs/vm-wire.md; QEMU ipmi-bt-test, OpenIPMI ipmi_sim live capture).
QEMU_GREETING = bytes.fromhex("FF01A1083FA1")
IPMI_SIM_GREETING = bytes.fromhex("FF01A100A1")
GET_DEVICE_ID_REQ = bytes.fromhex("001801E7A0")
GET_DEVICE_ID_RSP_QEMU = bytes.fromhex("001C0100200000000209000000000000B8A0")
GET_DEVICE_ID_REQ_SIM = bytes.fromhex("011801E6A0")
GET_DEVICE_ID_RSP_SIM = bytes.fromhex("011C010000030908029F911200020F00000000 79A0".replace(" ", ""))
SET_GLOBAL_ENABLES_REQ = bytes.fromhex("01182E0FAABAA0")  # checksum 0xAA, escaped
ENABLE_IRQ = bytes.fromhex("05A1")
SET_GLOBAL_ENABLES_RSP = bytes.fromhex("011C2E00B5A0")

rng = random.Random(0x1B3)


def long_response():
    # Read FRU Data style response: 300-byte body, a few special bytes in the data.
    body = [0x2C, 0x11, 0x00, 0xFF] + [rng.randrange(256) for _ in range(296)]
    body[50] = A0
    body[51] = AA
    body[200] = A1
    return message(0x42, body)


def session():
    return (QEMU_GREETING + IPMI_SIM_GREETING + GET_DEVICE_ID_REQ + GET_DEVICE_ID_RSP_QEMU +
            SET_GLOBAL_ENABLES_REQ + ENABLE_IRQ + SET_GLOBAL_ENABLES_RSP +
            bytes.fromhex("021801E5A0"))


def decoder_seeds():
    def seed(data, config=0, min_value=0, chunks=()):
        return bytes([config, min_value, len(chunks)]) + bytes(chunks) + bytes(data)

    garbage = bytes(rng.randrange(256) for _ in range(200))
    too_long = bytes(rng.choice([0x01, 0x55, 0x7F, 0xFE]) for _ in range(320)) + bytes([A0])
    bad = {
        "invalid_escape": bytes.fromhex("0118AA41 2E0FA0".replace(" ", "")) + GET_DEVICE_ID_REQ,
        "invalid_escape_double": bytes.fromhex("0118AAAA0F A0".replace(" ", "")) + GET_DEVICE_ID_REQ,
        "escape_before_terminator": bytes.fromhex("011801AAA0") + GET_DEVICE_ID_REQ,
        "escape_before_command_end": bytes.fromhex("FFAAA1") + QEMU_GREETING,
        "message_too_short": bytes.fromhex("A0 01A0 0118A0".replace(" ", "")) + GET_DEVICE_ID_REQ,
        "checksum_mismatch": bytes.fromhex("001801E8A0") + GET_DEVICE_ID_REQ,
        "empty_command": bytes.fromhex("A1A1") + QEMU_GREETING,
        "unknown_command": bytes.fromhex("0AA1 42A1 AAB0A1".replace(" ", "")) + QEMU_GREETING,
        "wrong_argument_count": bytes.fromhex("FFA1 08A1 0102A1 FF0102A1".replace(" ", "")),
        "frame_too_long": too_long + GET_DEVICE_ID_REQ,
    }
    seeds = {
        "qemu_greeting": seed(QEMU_GREETING),
        "ipmi_sim_greeting": seed(IPMI_SIM_GREETING),
        "get_device_id": seed(GET_DEVICE_ID_REQ + GET_DEVICE_ID_RSP_QEMU),
        "get_device_id_ipmi_sim": seed(GET_DEVICE_ID_REQ_SIM + GET_DEVICE_ID_RSP_SIM),
        "set_global_enables_escaped": seed(SET_GLOBAL_ENABLES_REQ + ENABLE_IRQ + SET_GLOBAL_ENABLES_RSP),
        "long_response": seed(long_response()),
        "long_response_tcp_chunks": seed(long_response() * 3, chunks=(0xC8, 0x37, 0x01)),
        "long_response_cap32": seed(long_response() + GET_DEVICE_ID_REQ, config=2),
        "session_byte_by_byte": seed(session(), chunks=(1,)),
        "session_chunks_3_7": seed(session(), chunks=(3, 7, 0, 2)),
        "session_fork": seed(session(), config=0x30, chunks=(5, 11)),
        "session_min_response": seed(session(), config=0x08),
        "session_min_explicit": seed(session(), config=0x04, min_value=6),
        "session_cap8": seed(session(), config=0x01, chunks=(4,)),
        "session_cap5_min0": seed(session(), config=0x0F),
        "escape_split_across_chunks": seed(SET_GLOBAL_ENABLES_REQ * 4, chunks=(4, 1, 2)),
        "garbage": seed(garbage, chunks=(17, 0xFF)),
        "garbage_cap8": seed(garbage, config=0x21, chunks=(9,)),
    }
    for name, data in bad.items():
        seeds["bad_" + name] = seed(data)
        seeds["bad_" + name + "_bytewise"] = seed(data, chunks=(1,))
    return seeds


def roundtrip_seeds():
    def msg(msg_id, body, buf=0x80, fill=0, extra=()):
        n = len(body) - 2
        t = (0x02 if n >= 256 else 0) | (fill << 2)
        rec = bytes([t, msg_id, n & 0xFF])
        if fill == 0:
            rec += bytes(body)
        else:
            rec += bytes(extra)
        return rec + bytes([buf])

    def fill_msg(msg_id, length, fill, param, buf=0x80):
        n = length - 2
        t = (0x02 if n >= 256 else 0) | (fill << 2)
        return bytes([t, msg_id, n & 0xFF, param, buf])

    def cmd(code, args=(), buf=0x80):
        return bytes([0x01, code]) + bytes(args) + bytes([buf])

    def unknown(c, args, buf=0x80):
        return bytes([0x03 | (len(args) << 2), c]) + bytes(args) + bytes([buf])

    def seed(split, *records):
        return bytes([split & 0xFF, split >> 8]) + b"".join(records)

    long_body = [0x2D, 0x11, 0x00] + [rng.randrange(256) for _ in range(297)]
    return {
        "qemu_greeting": seed(3, cmd(0xFF, [1]), cmd(0x08, [0x3F])),
        "ipmi_sim_greeting": seed(2, cmd(0xFF, [1]), cmd(0x00)),
        "get_device_id": seed(4, msg(0x00, [0x18, 0x01]), msg(0x00, [0x1C, 0x01, 0x00, 0x20, 0x00,
                                                                     0x00, 0x00, 0x02, 0x09, 0, 0, 0, 0, 0])),
        "set_global_enables_escaped": seed(5, msg(0x01, [0x18, 0x2E, 0x0F]), cmd(0x05),
                                           msg(0x01, [0x1C, 0x2E, 0x00])),
        "special_msg_ids": seed(7, msg(0xA0, [0x18, 0x01]), msg(0xA1, [0x18, 0x01]), msg(0xAA, [0xAA, 0xA0])),
        "all_commands": seed(9, *[cmd(c, [0x3F] if c in (0x08, 0xFF) else []) for c in list(range(10)) + [0xFF]]),
        "command_special_args": seed(1, cmd(0xFF, [A0]), cmd(0x08, [AA]), cmd(0x08, [A1])),
        "unknown_commands": seed(3, unknown(0x00, []), unknown(0x96, [A0, 0x01]), unknown(0xF4, [AA, A1, A0])),
        "long_response": seed(300, msg(0x42, long_body, buf=0xFF)),
        "long_fill_mixed": seed(100, fill_msg(0x10, 300, 3, 0x77, buf=0x90)),
        "escape_heavy": seed(50, fill_msg(0x11, 120, 2, 0), fill_msg(0xAA, 300, 2, 2, buf=0xFE)),
        "repeated_special": seed(10, fill_msg(0x12, 64, 1, AA), fill_msg(0x13, 40, 1, 0x00)),
        "small_buffers": seed(0, msg(0x05, [0x18, 0x01], buf=0x00), cmd(0xFF, [1], buf=0x10)),
    }


def checksum_seeds():
    return {
        "empty": bytes([0]),
        "get_device_id": bytes([2]) + bytes.fromhex("001801E7"),
        "sixteen": bytes([7]) + bytes(range(16)),
        "specials": bytes([9]) + bytes([A0, A1, AA] * 20),
        "mixed_300": bytes([150]) + bytes(rng.choice([A0, A1, AA, rng.randrange(256)]) for _ in range(300)),
        "random_1k": bytes([33]) + bytes(rng.randrange(256) for _ in range(1024)),
        "ff_run": bytes([255]) + bytes([0xFF] * 257),
    }


def session_seeds(role):
    """fuzz_session_<role>: setup byte, capability byte, then operations (see fuzz_session.hpp):
    0 receive [n] bytes, 1 clock [v], 2 request/respond [id] [n] body, 3 write [k], 4 connect
    [1] / disconnect [0], 5 reset or hardware command [which], 6 well-formed frame [kind] [id] [n]."""
    def op_receive(data):
        return bytes([0, len(data)]) + bytes(data)
    connect, disconnect, write_all = bytes([4, 1]), bytes([4, 0]), bytes([3, 1])
    clock_ms = lambda v: bytes([1, v])
    seeds = {}
    if role == "emulator":
        greet = bytes([0x40, 0x3F]) + connect + write_all
        req = bytes([2, 7, 2, 0x18, 0x01])
        seeds["request_response"] = greet + op_receive([0xFF, 0x01, 0xA1, 0x00, 0xA1]) + req + \
            write_all + op_receive(message(7, [0x1C, 0x01, 0x00, 0x20, 0x81]))
        seeds["timeout"] = greet + req + write_all + clock_ms(0xFF) + clock_ms(0xFF)
        seeds["disconnect_mid_request"] = greet + req + op_receive([0x07, 0x1C]) + disconnect + connect
        seeds["wrong_id_then_right"] = greet + req + op_receive(message(8, [0x1C, 0x01, 0x00])) + \
            bytes([6, 1, 0, 3, 0x00, 0x20, 0x81])
        seeds["local_answers"] = bytes([0x40, 0x3F]) + bytes([2, 1, 1, 0x18]) + connect + \
            bytes([2, 2, 1, 0x18]) + bytes([5, 0]) + write_all
        seeds["commands_and_garbage"] = greet + op_receive([0x05, 0xA1, 0x42, 0xA1, 0xAA, 0xA0, 0x02, 0xA1])
    else:
        greet = bytes([0x0A, 0x00]) + connect + write_all + op_receive([0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1])
        seeds["request_respond"] = greet + op_receive(message(1, [0x18, 0x2E, 0x0F])) + \
            bytes([5, 13]) + bytes([2, 1, 3, 0x1C, 0x2E, 0x00]) + bytes([3, 0, 2]) + clock_ms(20) + write_all
        seeds["no_capabilities"] = bytes([0x0A, 0x00]) + connect + bytes([5, 1, 5, 2, 5, 3, 5, 4]) + write_all
        seeds["unknown_id_and_short_body"] = greet + bytes([2, 9, 3, 0x1C, 0x01, 0x00]) + \
            op_receive(message(9, [0x18, 0x01])) + bytes([2, 9, 2, 0x1C, 0x01])
        seeds["reconnect"] = greet + op_receive(message(4, [0x18, 0x01])) + connect + \
            bytes([2, 4, 3, 0x1C, 0x01, 0x00])
        seeds["old_qemu_caps"] = bytes([0x0A, 0x00]) + connect + op_receive([0x08, 0x1F, 0xA1, 0xFF, 0x02, 0xA1]) + \
            bytes([5, 4, 5, 1]) + write_all
        # A response (odd netfn) sent to the BMC: a protocol problem, its id cannot be answered;
        # then a request with the same id is (respond [id] [sel 0] [n 3] body), and a
        # well-formed response frame (kind 0x0C) is refused too.
        seeds["response_to_bmc"] = greet + op_receive(message(0x30, [0x1C, 0x01, 0x00, 0x20, 0x81])) + \
            bytes([2, 0x30, 0, 3, 0x1C, 0x01, 0xC1]) + op_receive(message(0x30, [0x18, 0x01])) + \
            bytes([2, 0x30, 0, 3, 0x1C, 0x01, 0x00]) + bytes([6, 0x0C, 0x31, 0]) + write_all
    return seeds


def split(setup, ctrl, data=b""):
    """The KCS and BT targets' layout: setup bytes, [n] and n control bytes, then the data stream."""
    ctrl = bytes(ctrl)
    assert len(ctrl) < 256
    return bytes(setup) + bytes([len(ctrl)]) + ctrl + bytes(data)


def kcs_device_seeds():
    """fuzz_kcs_device: [setup: bit 0 deferred, bit 1 capacity 6] then operations o % 16 (see
    fuzz_kcs_device.cpp): 0 read_status, 1 read_data, 2 write_command (o >> 4: 60/61/62/68),
    3 write_data (0x03 READ, 0x13 zero, 0x23 a data byte), 4 service, 5 respond [length],
    6 attention, 7 force_abort, 8 reset, 9 irq enable, 10 OEM bits, 11 host request [n],
    12 host read, 13 access by offset, 14/15 respond right with (o >> 4) + 3 bytes."""
    get_device_id = [0x0B, 0x02, 0x0E, 0x0C, 0x00]
    abort = [0x02, 0x01, 0x13, 0x00, 0x01, 0x03, 0x00, 0x01]
    seeds = {
        "get_device_id": split([0], get_device_id, [0x18, 0x01, 0x1C, 0x01, 0x00]),
        "get_device_id_deferred": split([1], get_device_id + [0x04], [0x18, 0x01, 0x1C, 0x01, 0x00]),
        "long_response": split([0], [0x0B, 0x05, 0xFE, 0x0C], bytes(range(0x18, 0x1D)) + bytes(range(18))),
        "abort_sequence": split([0], [0x12, 0x23, 0x22] + abort, [0x18]),
        "abort_sequence_deferred": split([1], [0x12, 0x04, 0x23, 0x04] + [x for o in abort for x in (o, 0x04)], [0x18]),
        "overrun_deferred": split([1], [0x12, 0x23, 0x23, 0x00, 0x04, 0x00, 0x02, 0x02, 0x04, 0x00], [0x18, 0x01]),
        "length_error_cap6": split([2], [0x0B, 0x0A, 0x00] + abort, bytes(range(10))),
        "stale_and_bad_responses": split([0], [0x0B, 0x02, 0x12, 0x0B, 0x03, 0x15, 0x01, 0x05, 0x00, 0x05, 0x03,
                                              0x25, 0x01, 0x2E, 0x0C],
                                         [0x18, 0x01, 0x18, 0x01, 0x02, 1, 2, 3, 4] + [0] * 8),
        "protocol_errors": split([0], [0x32, 0x00, 0x12, 0x03, 0x00, 0x22, 0x00, 0x13, 0x00, 0x0B, 0x02, 0x23, 0x00],
                                 [0x18, 0x01, 0x55]),
        "attention_irq_oem": split([0], [0x19, 0x16, 0x00, 0x16, 0x06, 0x16, 0x3A, 0x0B, 0x02, 0x0E, 0x01, 0x0C,
                                         0x17, 0x00, 0x08, 0x00], [0x18, 0x01, 0x1C, 0x01, 0x00]),
        "by_offset": split([1], [0x0D, 0x2D, 0x04, 0x3D, 0x04, 0x1D, 0x0D], [0x61, 0x18]),
        "force_abort_while_serving": split([1], [0x0B, 0x02, 0x27, 0x0E, 0x0B, 0x02, 0x0E, 0x00, 0x01, 0x08, 0x0E]
                                           + abort, [0x18, 0x01, 0x18, 0x01]),
    }
    return seeds


def kcs_host_seeds():
    """fuzz_kcs_host: 9 setup bytes (s0 capacity/detect/retries/aborts/polls, s1-s3 timeouts and
    the settle step, s4 pattern length, s5-s8 settle pattern), then operations o % 8: 0 start
    (length o >> 3), 1-4 (o >> 3) + 1 accesses (one clock byte each, read values from the data
    stream), 5 reset, 6 misuse, 7 settle."""
    def setup(s0=0x3E, t=0x10, pattern=(0,)):
        return [s0, t, t, t, len(pattern) - 1] + list(pattern) + [0] * (4 - len(pattern))

    def accesses(values, jumps=None):
        ops, data = [], []
        i = 0
        while i < len(values):
            chunk = values[i:i + 32]
            ops += [((len(chunk) - 1) << 3) | 4] + list(jumps[i:i + len(chunk)] if jumps else [1] * len(chunk))
            data += chunk
            i += 32
        return ops, data

    # The values a well-behaved BMC shows for Get Device ID (18 01 → 1C 01 00); 0 for writes.
    ok = [0x00, 0, 0x80, 0, 0x80, 0, 0x80, 0, 0x41, 0x1C, 0, 0x41, 0x01, 0, 0x41, 0x00, 0, 0x00]
    ops, data = accesses(ok)
    transaction = ([0x10] + ops, [0x18, 0x01] + data)
    abort_then_ok = [0xC0, 0x80, 0, 0x80, 0, 0x41, 0x01, 0, 0x01, 0x00] + ok
    ops2, data2 = accesses(abort_then_ok)
    seeds = {
        "get_device_id": split(setup(), *transaction),
        "get_device_id_twice": split(setup(), transaction[0] * 2, transaction[1] * 2),
        "error_state_abort_retry": split(setup(), [0x10] + ops2, [0x18, 0x01] + data2),
        "ibf_stuck_hosed": split(setup(t=0x05, pattern=(0x02,)), [0x10, 0x07, 0x06, 0x10, 0x05, 0x10, 0x07],
                                 [0x18, 0x01, 0x18, 0x01]),
        "read_forever_cap8": split(setup(s0=0x3F, pattern=(0x41, 0x55)), [0x10, 0x07], [0x18, 0x01]),
        "no_device": split(setup(), [0x10, 0x04, 0x01], [0x18, 0x01, 0xFF]),
        "bad_requests": split(setup(s0=0x07), [0x00, 0x08, 0xF0, 0xF8, 0x06, 0x10, 0x06, 0x0C, 0x81, 0x7F, 0x05],
                              bytes(range(40))),
        "clock_backwards": split(setup(s0=0x7E), [0x10] + accesses(ok, [0x80, 0xFF, 0x7F, 0x01] * 5)[0],
                                 [0x18, 0x01] + data),
        "polls_timeouts": split(setup(s0=0xD6, t=0x43, pattern=(0x40, 0x00)), [0x10, 0x3C] + [2] * 8 + [0x07],
                                [0x18, 0x01, 0x00, 0, 0x80, 0, 0x80, 0, 0x80, 0, 0x40]),
    }
    return seeds


def kcs_pair_seeds():
    """fuzz_kcs_pair: 5 setup bytes (s0 capacities/deferred/retries/aborts/detect, s1 polls and
    clock step, s2-s4 timeouts), then per transaction a byte (length, bit 5 well-behaved), per
    request a policy byte, per host access a BMC byte (see fuzz_kcs_pair.cpp)."""
    base = [0x18 | 0x40 | 0x80, 0x00, 0x10, 0x10, 0x10]
    deferred = [base[0] | 0x04] + base[1:]
    before_ready = [0] * 12  # a 4-byte request takes 12 accesses up to the last byte
    seeds = {
        "well_behaved": split(base, [0x24, 0x22, 0x3F], bytes(range(0x18, 0x18 + 40))),
        "well_behaved_deferred": split(deferred, [0x24, 0x22, 0x3F], bytes(range(0x18, 0x18 + 40))),
        "delayed_service": split(deferred, [0x04] + [0x10, 0x20, 0x30, 0x10] * 3 + [0x21], [0x18, 0x01, 2, 3]),
        "late_answer": split(base, [0x04] + before_ready + [0x03] + [0] * 8, [0x18, 0x01, 2, 3]),
        "never_answers": split(base, [0x04] + before_ready + [0x04] + [0] * 20 + [0x04] * 4, [0x18, 0x01, 2, 3]),
        "stale_id_first": split(base, [0x04] + before_ready + [0x05, 0, 0, 0x24], [0x18, 0x01, 2, 3]),
        "bad_length_first": split(base, [0x04] + before_ready + [0x0E, 0, 0x06], [0x18, 0x01, 2, 3]),
        "clock_jump": split(base, [0x04] + before_ready + [0x07] + [0xF0] * 4, [0x18, 0x01, 2, 3]),
        "force_abort_mid_write": split(base, [0x04, 0, 0, 0, 0, 0, 0x0D], [0x18, 0x01, 2, 3]),
        "force_abort_length_error": split(deferred, [0x04, 0, 0, 0, 0, 0, 0x1D], [0x18, 0x01, 2, 3]),
        "reset_mid_read": split(base, [0x04] + before_ready + [0x40, 0, 0, 0, 0x0E], [0x18, 0x01, 2, 3]),
        "attention_oem": split(base, [0x04, 0x0A, 0x1C, 0x0B, 0x3C, 0x0A], [0x18, 0x01, 2, 3]),
        "request_too_long_for_device": split([0x19 | 0x60] + base[1:], [0x0F], bytes(range(16))),
        "response_too_long_for_host": split([0x1A | 0x60] + base[1:], [0x04] + before_ready + [0x40],
                                            [0x18, 0x01, 2, 3]),
        "ibf_timeout_hosed": split([0x04 | 0x20] + [0x01, 0x02, 0x02, 0x02], [0x04] + [0x30] * 40,
                                   [0x18, 0x01, 2, 3]),
    }
    return seeds



def bt_device_seeds():
    """fuzz_bt_device: [setup: bit 0 deferred, bit 1 capacity 8] then operations o % 16 (see
    fuzz_bt_device.cpp): 0 read BT_CTRL, 1 read buffer, 2 write BT_CTRL (0x02 | bit << 4),
    3 write buffer, 4 read BT_INTMASK, 5 write BT_INTMASK, 6 service, 7 respond [length],
    8 SMS_ATN, 9 B_BUSY, 10 OEM0, 11 BMC irq enable, 12 reset, 13 host request [n],
    14 host read, 15 access by offset."""
    get_device_id = [0x0D, 0x00]                  # Length 3, then NetFn, Seq, Cmd from the data
    respond_15 = [0x07, (12 << 2) | 1]            # right id, 3 + 12 bytes
    rsp = [0x1C, 0x01, 0x00, 0x20, 0x01, 0x00, 0x00, 0x02, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
    req = [0x18, 0x07, 0x01]
    seeds = {
        "get_device_id": split([0], get_device_id + respond_15 + [0x0E], req + rsp),
        "get_device_id_deferred": split([1], get_device_id + [0x00, 0x06] + respond_15 + [0x0E], req + rsp),
        "interrupts": split([0], [0x1B, 0x05, 0x04] + get_device_id + respond_15 + [0x04, 0x0E, 0x15, 0x04,
                                                                                     0x18, 0x04, 0x28, 0x04],
                            req + rsp),
        "wrong_length": split([0], [0x1D, 0x00, 0x00, 0x07, 0x01], req),
        "overrun_cap8": split([2], [0x0D, 0x08, 0x07, 0x02], bytes(range(0x18, 0x18 + 16))),
        "queued_response": split([0], get_device_id + respond_15 + [0x62] + get_device_id + [0x07, 0x05, 0x0E,
                                                                                           0x62, 0x0E, 0x0E],
                                 req + rsp + req + [0x1C, 0x01, 0x00, 0x11, 0x22]),
        "busy_holds_request": split([0], [0x19, 0x00] + get_device_id + [0x00, 0x31, 0x09, 0x00] + respond_15 +
                                    [0x0E], req + [0xAA] * 3 + req + rsp),
        "busy_deferred": split([1], [0x19] + get_device_id + [0x06, 0x09, 0x00, 0x06, 0x00], req),
        "replaced_and_stale": split([0], get_device_id + get_device_id + [0x17, 0x01, 0x07, 0x01, 0x0E],
                                    req + [0x18, 0x08, 0x01] + [0x1C, 0x01, 0x00] * 2),
        "bad_responses": split([0], get_device_id + [0x07, 0x00, 0x07, 0x04, 0x07, 0x03, 0x27, 0x01, 0x07,
                                                     0x02, 0x0E], req + [1, 2, 3, 4] + [0] * 300),
        "writes_while_busy": split([1], get_device_id + [0x02, 0x03, 0x03, 0x82, 0x06, 0x0E], req + [9, 9]),
        "garbage_control": split([1], [0xA2, 0xA2, 0x03, 0x03, 0x03, 0x03, 0x42, 0x92, 0xA2, 0x06, 0x01, 0x00],
                                 [0xFF, 0x5A, 3, 0x18, 0x01, 0x01, 0x0D]),
        "reset_mid_read": split([0], get_device_id + respond_15 + [0x62, 0x22, 0x12, 0x01, 0x01, 0x0C, 0x01,
                                                                   0x00], req + rsp),
        "by_offset_and_hwrst": split([0], [0x45, 0x0F, 0x1F, 0x2F, 0x3F, 0x4F, 0x5F, 0x18, 0x2F],
                                     [0x09, 0x03, 0x1F]),
    }
    return seeds


def bt_host_seeds():
    """fuzz_bt_host: 9 setup bytes (s0 capacity/detect/retries/polls, s1 busy timeout and settle
    step, s2 response timeout, s3 first Seq, s4 pattern length, s5-s8 settle pattern), then
    operations o % 8: 0 start (length o >> 3), 1-3 (o >> 3) + 1 accesses (one clock byte each,
    a data byte each: the value read), 4 cancel, 5 reset, 6 misuse / apply / take_attention /
    settle, 7 settle."""
    def setup(s0=0x06, busy=0x3F, rsp=0x3F, seq=0x01, pattern=(0,)):
        return [s0, busy, rsp, seq, len(pattern) - 1] + list(pattern) + [0] * (4 - len(pattern))

    def accesses(values, jumps=None):
        ops, data = [], []
        for i in range(0, len(values), 32):
            chunk = values[i:i + 32]
            ops += [((len(chunk) - 1) << 3) | 1] + list(jumps[i:i + len(chunk)] if jumps else [1] * len(chunk))
            data += chunk
        return ops, data

    def exchange(response, seq=0x01, first=(0x00,)):
        # BT_CTRL reads until clean, CLR_WR_PTR + 4 bytes + H2B_ATN, BT_CTRL B2H_ATN, H_BUSY,
        # B2H_ATN, CLR_RD_PTR, Length, the bytes, H_BUSY (0 for the writes).
        body = [response[0], seq] + list(response[1:])
        return list(first) + [0] * 6 + [0x08, 0, 0, 0, len(body)] + body + [0]

    get_device_id = [0x1C, 0x01, 0x00, 0x20, 0x01, 0x00, 0x00, 0x02, 0x09]
    ops, data = accesses(exchange(get_device_id))
    transaction = ([0x10] + ops, [0x18, 0x01] + data)
    wrong_seq = [0x08, 0, 0, 0, 4, 0x1C, 0x77, 0x01, 0x00, 0]  # someone else's response, dropped
    ops_ws, data_ws = accesses(exchange([0x1C, 0x01, 0x00], first=(0x00,))[:7] + wrong_seq +
                               exchange([0x1C, 0x01, 0x00])[7:])
    ops_fix, data_fix = accesses(exchange([0x1C, 0x01, 0x00], first=(0x10, 0, 0x40, 0, 0x80, 0x04, 0x00)))
    ops_long, data_long = accesses(exchange([0x1C, 0x01, 0x00] + list(range(20))))
    seeds = {
        "get_device_id": split(setup(), *transaction),
        "get_device_id_twice": split(setup(), transaction[0] + [0x10] + ops,
                                     transaction[1] + [0x18, 0x01] + exchange(get_device_id, seq=0x02)),
        "wrong_seq_dropped": split(setup(), [0x10] + ops_ws, [0x18, 0x01] + data_ws),
        "attention_h_busy_b_busy": split(setup(), [0x10] + ops_fix, [0x18, 0x01] + data_fix),
        "response_too_long_cap16": split(setup(s0=0x07), [0x10] + ops_long, [0x18, 0x01] + data_long),
        "no_device": split(setup(), [0x10, 0x01, 0x01], [0x18, 0x01, 0xFF]),
        "b_busy_hosed": split(setup(s0=0x02, busy=0x05, pattern=(0x80,)), [0x10, 0x07, 0x10, 0x05, 0x10, 0x07],
                              [0x18, 0x01, 0x18, 0x01]),
        "response_timeout_retries": split(setup(s0=0x0E, busy=0x45, rsp=0x08, pattern=(0x00, 0x00, 0x04)),
                                          [0x10, 0x07], [0x18, 0x01]),
        "max_polls": split(setup(s0=0xC6, pattern=(0x80, 0x08, 0x40)), [0x10, 0x07], [0x18, 0x01]),
        "clock_backwards": split(setup(), [0x10, 0x39, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x80,
                                           0xF0, 0x01, 0x7F, 0x01], [0x18, 0x01] + [0] * 12),
        "apply_cancel_reset": split(setup(), [0x0E, 0x10, 0x09, 0x01, 0x01, 0x04, 0x16, 0x10, 0x11, 0, 0, 0,
                                              0, 0, 0, 0x04, 0x05, 0x07],
                                    [0x01, 0x05, 0x40, 0x02, 0x03, 0x18, 0x01, 0x00, 0, 0x08]),
        "bad_requests": split(setup(), [0x00, 0x08, 0xF8, 0xF0, 0x06, 0x0E, 0xF0, 0xF8],
                              bytes(range(0x18, 0x18 + 64)) + bytes([1, 3, 64, 10, 1]) + bytes(range(64))),
        "read_forever": split(setup(s0=0x03, pattern=(0x08, 0xFF)), [0x10, 0x07], [0x18, 0x01]),
    }
    return seeds


def bt_pair_seeds():
    """fuzz_bt_pair: 4 setup bytes (s0 capacities/deferred/retries/detect, s1 polls, clock step
    and first Seq, s2-s3 timeouts), then per transaction a byte (length, bit 5 well-behaved), per
    request a policy byte, per host access a BMC byte (see fuzz_bt_pair.cpp)."""
    base = [0x08 | 0x20, 0x00, 0x10, 0x10]
    deferred = [base[0] | 0x04] + base[1:]
    before_ready = [0] * 7  # a 4-byte request: BT_CTRL, CLR_WR_PTR, 4 bytes, H2B_ATN
    req = [0x18, 0x01, 2, 3]
    seeds = {
        "well_behaved": split(base, [0x24, 0x22, 0x3F], bytes(range(0x18, 0x18 + 40))),
        "well_behaved_deferred": split(deferred, [0x24, 0x22, 0x3F], bytes(range(0x18, 0x18 + 40))),
        "seq_wraps": split([base[0], 0xF0] + base[2:], [0x24, 0x22] * 9, bytes(range(0x18, 0x18 + 40))),
        "delayed_service": split(deferred, [0x04] + [0x10, 0x20, 0x30, 0x10] * 3 + [0x21], req),
        "answer_after_accesses": split(base, [0x04] + before_ready + [0x1A, 0, 0, 0, 0, 0x24], req),
        "late_answer": split(base, [0x04] + before_ready + [0x03] + [0] * 8, req),
        "never_answers": split(base, [0x04] + before_ready + [0x04] + [0] * 40 + [0x04] * 4, req),
        "stale_id_first": split(base, [0x04] + before_ready + [0x05, 0, 0, 0x24], req),
        "bad_length_first": split(base, [0x04] + before_ready + [0x0E, 0, 0x06], req),
        "rogue_response": split(base, [0x04] + before_ready + [0x27, 0, 0, 0, 0, 0x0E, 0, 0, 0, 0x24], req),
        "busy_held": split(base, [0x04, 0xF8] + [0] * 40 + [0x24], req),
        "busy_hosed": split([0x20, 0x00, 0x10, 0x10], [0x04] + [0xF8] * 60 + [0x24], req),
        "busy_hosed_deferred": split([0x24, 0x00, 0x10, 0x10], [0x04] + [0x38] * 80 + [0x24], req),
        "device_reset_mid_write": split(base, [0x04, 0, 0, 0, 0x0C, 0, 0, 0] + [0] * 30, req),
        "device_reset_mid_read": split(base, [0x04] + before_ready + [0x40, 0, 0, 0, 0, 0x0C], req),
        "attention_oem_clock": split(base, [0x04, 0x09, 0x1B, 0x0A, 0xFD, 0x1F, 0x09], req),
        "max_polls": split([base[0], 0x01] + base[2:], [0x04] + before_ready + [0x1A, 0x09, 0, 0x09], req),
        "request_too_long_for_device": split([0x09 | 0x20] + base[1:], [0x0F] + [0] * 40, bytes(range(16))),
        "response_too_long_for_host": split([0x0A | 0x20] + base[1:], [0x04] + before_ready + [0x40], req),
    }
    return seeds


def ssif_device_seeds():
    """fuzz_ssif_device: [setup: bit 0 PEC, bits 2:1 transactions, bit 3 capacity 40, bit 4 no
    capabilities answer] then operations o % 16 (see fuzz_ssif_device.cpp): 0 Block Write [l],
    1 Block Read, 2 respond [length], 3 reset, 4 attention, 5 interrupts, 6 service, 7 a host
    request [l], 8 a host read, 9 answer at once [l] / 09 / 03 / capabilities, 10-15 the next
    write of a sequence [l]."""
    rsp = [0x20, 0x01, 0x00, 0x00, 0x02, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]
    seeds = {
        "get_device_id": split([0x04], [0x07, 0x00, 0x09, 11, 0x08], [0x18, 0x01] + rsp),
        "get_device_id_pec": split([0x05], [0x17, 0x00, 0x09, 11, 0x08, 0x08], [0x18, 0x01] + rsp),
        "multipart_100": split([0x04], [0x07, 98, 0x09, 97, 0x08], bytes(range(0x18, 0x18 + 100))),
        "short_middle_end": split([0x04], [0x27, 40, 0x09, 40, 0x08], bytes(range(0x18, 0x18 + 42))),
        "start_end_only": split([0x02], [0x07, 50, 0x09, 57, 0x08, 0x27, 62], bytes(range(0x18, 0x18 + 120))),
        "single_part_only": split([0x00], [0x07, 20, 0x00 | 0x10, 32, 0x09, 20, 0x08], bytes(range(0x18, 0x58))),
        "capabilities": split([0x05], [0x39, 0x08, 0x79, 0x08, 0x09, 0x08], []),
        "capabilities_reset": split([0x04], [0x39, 0x03, 0x08], []),
        "replaced_and_stale": split([0x04], [0x07, 0x00, 0x07, 0x01, 0x12, 0x03, 0x02, 0x03, 0x08],
                                    [0x18, 0x01, 0x18, 0x02, 0x00] + rsp),
        "bad_writes": split([0x04], [0x20, 0x00, 0x30, 0x05, 0x10, 0x21, 0x60, 0x05, 0x00, 0x29, 0x00, 0x81, 0x40],
                            bytes(range(64))),
        "wrong_pec": split([0x04], [0x00, 0x82, 0x00, 0x42], [0x18, 0x01, 0x33, 0x18, 0x01]),
        "reads_not_ready": split([0x04], [0x01, 0x11, 0x07, 0x00, 0x01, 0x29, 0x19, 0x51], [0x18, 0x01]),
        "reset_mid_read": split([0x04], [0x07, 98, 0x09, 97, 0x29, 0x19, 0x03, 0x08], bytes(range(0x18, 0x80))),
        "reset_mid_write": split([0x04], [0x0A, 0x20, 0x03, 0x0B, 0x20], bytes(range(0x18, 0x60))),
        "interrupts": split([0x0C], [0x15, 0x34, 0x07, 0x00, 0x09, 0x00, 0x08, 0x04], [0x18, 0x01]),
    }
    return seeds


def ssif_host_seeds():
    """fuzz_ssif_host: 9 setup bytes (s0 capacity/query/PEC/assumed support/retries, s1 first
    delay and settle step, s2 read interval/retries, s3 write interval/assumed max_request, s4
    pattern length, s5-s8 the settle pattern: bus bytes), then operations o % 8: 0 start (length
    o >> 3), 1-3 transfers (a clock byte and a bus byte each), 4 cancel, 5 reset, 6 misuse,
    7 settle."""
    def setup(s0=0x56, s1=0x05, s2=0x85, s3=0xC5, pattern=(0x00,)):
        return [s0, s1, s2, s3, len(pattern) - 1] + list(pattern) + [0] * (4 - len(pattern))

    seeds = {
        "get_device_id_probe": split(setup(), [0x10, 0x07], [0x18, 0x01, 0x80, 0xFF, 0xFF, 11]),
        "probe_pec": split(setup(), [0x10, 0x07], [0x18, 0x01, 0x88, 0xFF, 0xFF, 11]),
        "assumed_multipart": split(setup(s0=0x10), [0xF0, 0x07], bytes(range(0x18, 0x18 + 40)) + bytes([200])),
        "naks_then_ack": split(setup(pattern=(0x01, 0x01, 0x00)), [0x10, 0x07], [0x18, 0x01, 0x80, 0xFF, 0xFF, 3]),
        "pec_errors": split(setup(s0=0x16, pattern=(0x02, 0x00)), [0x10, 0x07], [0x18, 0x01, 0x88, 0xFF, 0xFF, 3]),
        "bad_blocks": split(setup(pattern=(0x08, 0x14, 0x18, 0x00)), [0x10, 0x07], [0x18, 0x01] + [7] * 40),
        "not_ours": split(setup(pattern=(0x1C, 0x04)), [0x10, 0x07], [0x18, 0x01, 0x33, 0x80, 0xFF, 0xFF, 3]),
        "endless_middles": split(setup(s0=0x10, pattern=(0x10,)), [0x10, 0x17, 0x00, 0x00, 0x00, 0x07],
                                 [0x18, 0x01, 40] + [0] * 40),
        "cancel_reset_misuse": split(setup(), [0x10, 0x01, 0x00, 0x06, 0x04, 0x10, 0x05, 0x06, 0x07],
                                     [0x18, 0x01, 0x00, 0x18, 0x01]),
        "clock_jumps": split(setup(), [0x10, 0x39, 0x80, 0x7F, 0x01, 0xF0, 0x10, 0x01, 0x02, 0x03, 0x07],
                             [0x18, 0x01] + [0] * 10),
    }
    return seeds


def ssif_pair_seeds():
    """fuzz_ssif_pair: 4 setup bytes (s0 device support/PEC, host query/PEC, capacity, write
    retries; s1 read retries and clock step; s2 first delay and read interval; s3 write
    interval), then per transaction a byte (length by t & 63, bit 7 well-behaved), per request a
    policy byte, per transfer a BMC byte (see fuzz_ssif_pair.cpp)."""
    base = [0x4A, 0x03, 0x11, 0x05]
    pec = [0x5E, 0x03, 0x11, 0x05]
    seeds = {
        "well_behaved": split(base, [0x84, 0x82, 0xBF, 0x84], bytes(range(0x18, 0x18 + 80))),
        "well_behaved_pec": split(pec, [0x84, 0xBF], bytes(range(0x18, 0x18 + 80))),
        "no_probe_multipart": split([0x42, 0x03, 0x11, 0x05], [0xBF, 0xB5], bytes(i & 0xFF for i in range(0x18, 0x18 + 250))),
        "start_end": split([0x49, 0x03, 0x11, 0x05], [0xB4, 0xBA], bytes(i & 0xFF for i in range(0x18, 0x18 + 250))),
        "answer_late": split(base, [0x04] + [0] * 6 + [0x03] + [0] * 30, [0x18, 0x01, 2, 3]),
        "answer_never": split(base, [0x04] + [0] * 6 + [0x04] + [0] * 40, [0x18, 0x01, 2, 3]),
        "stale_then_answer": split(base, [0x04] + [0] * 6 + [0x05, 0, 0, 0x84], [0x18, 0x01, 2, 3]),
        "bad_length_first": split(base, [0x04] + [0] * 6 + [0x0E, 0, 0x06], [0x18, 0x01, 2, 3]),
        "device_reset": split(base, [0x04] + [0] * 6 + [0x07, 0, 0, 0, 0], [0x18, 0x01, 2, 3]),
        "pec_corruption": split(pec, [0x3F, 0x0E, 0x0E, 0x0E, 0, 0, 0, 0, 0x0E, 0x0E] + [0] * 30,
                                bytes(i & 0xFF for i in range(0x18, 0x18 + 250))),
        "long_response": split(base, [0x04] + [0] * 6 + [0x40] + [0] * 20, [0x18, 0x01, 2, 3]),
    }
    return seeds


def bridge_seeds():
    """fuzz_bridge: a setup byte (bit 0 BT, bit 1 deferred, bit 2 16-byte device, bit 3 start
    disconnected), then operations: op % 12 picks one, its arguments follow (fuzz_bridge.cpp)."""
    write_request = lambda n, *data: [0x02, n] + list(data) + [0] * max(0, n + 1 - len(data))
    read = [0x03]
    to_bmc, answer = [0x0B], lambda n: [0x05, n] + [0x01, 0x00] + [0x11] * n
    seeds = {}
    for name, setup in (("kcs", 0x00), ("bt", 0x01), ("kcs_deferred", 0x02), ("bt_deferred", 0x03)):
        service = [0x0A] if setup & 2 else []
        seeds[f"{name}_round_trip"] = bytes([setup] + write_request(0, 0x01) + service + to_bmc + answer(4) + read)
        seeds[f"{name}_abandoned"] = bytes([setup] + write_request(1, 0x3A) + service + to_bmc +
                                           write_request(1, 0x3B) + service + answer(2) + to_bmc + answer(2) + read)
        seeds[f"{name}_timeout_disconnect"] = bytes([setup] + write_request(0, 0x01) + service + to_bmc +
                                                    [0x07, 250] + read + write_request(0, 0x01) + service +
                                                    [0x08 | 0x10] + read + [0x08])
        seeds[f"{name}_commands_reset"] = bytes([setup] + [0x06, 0x16, 0x26, 0x36, 0x46, 0x56, 0x66, 0x76, 0x86] +
                                                write_request(0, 0x01) + service + [0x09] + to_bmc + answer(1))
    seeds["kcs_small_long_answer"] = bytes([0x04] + write_request(0, 0x01) + to_bmc + answer(40) + read)
    seeds["bt_small_long_answer"] = bytes([0x05] + write_request(0, 0x01) + to_bmc + answer(40) + read)
    seeds["disconnected_first"] = bytes([0x08] + write_request(0, 0x01) + read + [0x08] + write_request(0, 0x01) + to_bmc)
    seeds["raw_registers"] = bytes([0x00, 0x00, 0x61, 0x10, 0x01, 0x00, 0x18, 0x01, 0x00, 0x04, 6, 0x00, 0x01, 0xA1, 0x00, 0xA0, 0x11])
    return seeds


def cmd_seeds():
    """fuzz_cmd: [type selector] data. One seed per selector (fuzz_cmd.cpp's 108 types, then the
    FRU image as 108; its static_assert keeps the count): 16 zero bytes, which many layouts
    accept, and for a few types a real layout."""
    seeds = {f"type-{i:03d}": bytes([i]) + bytes(16) for i in range(109)}
    # ipmi_sim's Get Device ID answer (shared/reference/openipmi.md, live capture): selector 23
    # is get_device_id's response (the 23 App requests come first).
    seeds["device-id-ipmi-sim"] = bytes([23]) + bytes.fromhex("0003090802 9f911200 020f000000 00".replace(" ", ""))
    # A FRU image (selector 108). Header with a board area at offset 8 (1 block of 8 x 2).
    board = bytes([0x01, 0x02, 0x19, 0x00, 0x00, 0x00, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
    board += bytes([(-sum(board)) & 0xFF])
    header = bytes([0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00])
    header += bytes([(-sum(header)) & 0xFF])
    seeds["fru-image-board"] = bytes([108]) + header + board
    return seeds


def bmc_core_seeds():
    """fuzz_bmc_core: operations (op byte % 6, see fuzz_bmc_core.cpp): 0/1 a raw request, 2 a
    request to chassis/app/storage/sensor/transport [netfn index] [command] [data length] data,
    3 a clock jump [hi] [lo] x 37 ms (back when op >= 80h) and a sensor reading [raw], 4 the
    chassis request carried out, 5 Reserve SEL."""
    def req(netfn_index, command, data=b""):
        return bytes([2, netfn_index, command, len(data)]) + bytes(data)

    def jump(ms):
        units = (ms + 36) // 37
        return bytes([3, units >> 8, units & 0xFF, 30])

    chassis, app, storage, sensor, transport = 0, 1, 2, 3, 4
    sel_event = bytes([0x00, 0x00, 0x02, 0, 0, 0, 0, 0x20, 0x00, 0x04, 0x23, 0x01, 0x6F, 0xC1, 0x04, 0xFF])
    return {
        "sel-add-list": bytes([5]) + req(storage, 0x44, sel_event) + req(storage, 0x40)
        + req(storage, 0x43, bytes([0, 0, 0, 0, 0, 0xFF])),
        "sel-clear": bytes([5]) + req(storage, 0x44, sel_event)
        + bytes([2, storage, 0x47, 6, 0, 0]) + b"CLR" + bytes([0xAA]),
        # Set Watchdog Timer: SMS/OS, hard reset after 1 s; Reset; 2 s later it expires.
        "watchdog-expiry": req(app, 0x24, bytes([0x04, 0x01, 0x00, 0x00, 10, 0]))
        + req(app, 0x22) + jump(2000) + bytes([4]) + req(storage, 0x40),
        # ipmitool's `chassis bootdev pxe`, then a power cycle carried out.
        "bootdev-pxe": req(chassis, 0x08, bytes([0x00, 0x01])) + req(chassis, 0x08, bytes([0x04, 0x01, 0x01]))
        + req(chassis, 0x08, bytes([0x05, 0x80, 0x04, 0, 0, 0])) + req(chassis, 0x08, bytes([0x00, 0x00]))
        + req(chassis, 0x02, bytes([0x02])) + bytes([4]) + req(chassis, 0x09, bytes([0x05, 0, 0])),
        "fru-read-write": req(storage, 0x10, bytes([0])) + req(storage, 0x11, bytes([0, 0, 0, 8]))
        + req(storage, 0x12, bytes([0, 8, 0, 1, 2, 3])),
        "guids-poh": req(app, 0x37) + req(app, 0x08) + req(chassis, 0x0F) + jump(60000) + req(chassis, 0x01),
        # ipmitool's sdr list / sensor list: reserve, read the header then the body, read the sensor.
        "sdr-sensor": req(storage, 0x20) + req(storage, 0x22) + req(storage, 0x23, bytes([0, 0, 0, 0, 0, 5]))
        + req(storage, 0x23, bytes([0, 0, 0, 0, 5, 0xFF])) + req(sensor, 0x2D, bytes([2])) + req(sensor, 0x27, bytes([2])),
        # user list 1, channel info 1, lan print 1 (parameter 3), auth capabilities.
        "users-lan": req(app, 0x44, bytes([1, 1])) + req(app, 0x46, bytes([2])) + req(app, 0x42, bytes([1]))
        + req(transport, 0x02, bytes([1, 3, 0, 0])) + req(app, 0x38, bytes([0x8E, 4]))
        + req(app, 0x45, bytes([2]) + b"admin" + bytes(11)),
        "events": req(app, 0x2E, bytes([0x0F])) + req(sensor, 0x02, bytes([0x41, 4, 0x23, 1, 0x6F, 0xC1, 0, 0]))
        + req(app, 0x31) + req(app, 0x35) + req(app, 0x01),
    }


def vm_link_seeds():
    """fuzz_vm_link: the capabilities the emulator announces, then operations (op byte % 9, see
    fuzz_vm_link.cpp): 1 a request [id] [which] operands, 2 deliver [n] (0: all), 3 CAPABILITIES
    [caps], 4 a clock jump [hi] [lo] x 7 ms and polls, 6 drain [k], 7 drain all, 8 reconnect
    (17: disconnect)."""
    def req(msg_id, which, *operands):
        return bytes([1, msg_id, which]) + bytes(operands)

    def jump(ms):
        units = (ms + 6) // 7
        return bytes([4, units >> 8, units & 0xFF])

    deliver, drain_all, reconnect = bytes([2, 0]), bytes([7]), bytes([8])
    set_watchdog, reset_watchdog, clear_flags, get_flags, set_enables = 1, 2, 4, 5, 6
    return {
        # SMS/OS, NMI 1 s before a hard reset after 3 s: SEND_NMI, then RESET, both logged.
        "nmi-then-reset": bytes([0x3F]) + req(1, set_watchdog, 0x04, 0x21, 1, 0, 30) + req(2, reset_watchdog)
        + deliver + drain_all + jump(2000) + drain_all + jump(1000) + drain_all,
        # The receive message interrupt enabled, a messaging pre-timeout: ATTN_IRQ; Get and
        # Clear Message Flags; then a reconnect with the flag set again: ATTN again.
        "messaging-attention": bytes([0x3F]) + req(1, set_enables, 0x09) + req(2, set_watchdog, 0x04, 0x30, 1, 0, 20)
        + req(3, reset_watchdog) + deliver + drain_all + jump(1000) + drain_all + req(4, get_flags)
        + req(5, clear_flags, 0x08) + deliver + drain_all + req(6, set_watchdog, 0x04, 0x30, 1, 0, 20)
        + req(7, reset_watchdog) + deliver + jump(1000) + reconnect + bytes([3, 0x3F]) + deliver + drain_all,
        # Requests while the output is not drained: responses refused, then drained in pieces.
        "undrained": bytes([0x1F]) + b"".join(req(i, 0) for i in range(1, 40)) + deliver
        + bytes([6, 5, 6, 17, 6, 0]) + req(0xA0, 0) + deliver + drain_all + bytes([0x11]) + req(1, 0) + deliver,
    }


# --- IPMI over LAN (docs/lan.md; lan/rmcp.hpp) -------------------------------------------------

def lan_request(body, seq=0):
    # rsAddr 20h, netFn/LUN, chk1, rqAddr 81h, rqSeq, cmd, data, chk2
    head = [0x20, body[0]]
    tail = [0x81, (seq & 0x3F) << 2, body[1]] + list(body[2:])
    return bytes(head + [checksum(head)] + tail + [checksum(tail)])


def ipmi15(message, extra=b""):
    return bytes([0x06, 0x00, 0xFF, 0x07, 0x00]) + bytes(8) + bytes([len(message)]) + message + extra


def rmcpp(ptype, payload, sid=0, seq=0, trailer=b""):
    return (bytes([0x06, 0x00, 0xFF, 0x07, 0x06, ptype]) + sid.to_bytes(4, "little") + seq.to_bytes(4, "little")
            + len(payload).to_bytes(2, "little") + payload + trailer)


def asf_ping(tag):
    return bytes([0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE, 0x80, tag, 0x00, 0x00])


def open_session_request(tag=0, priv=4, auth=3, integ=4, conf=1, sid=0xA0A2A3A4, proposed=(8, 8, 8)):
    out = bytes([tag, priv, 0, 0]) + sid.to_bytes(4, "little")
    for i, alg in enumerate((auth, integ, conf)):
        out += bytes([i, 0, 0, proposed[i], alg, 0, 0, 0])
    return out


def rakp1(sid, name=b"admin", role=0x14, tag=1, pad=0):
    return (bytes([tag, 0, 0, 0]) + sid.to_bytes(4, "little") + bytes(range(0x40, 0x50)) + bytes([role, 0, 0, len(name)])
            + name + bytes(pad))


# counting_crypto (fuzz_lan.hpp) makes the first Open Session's BMC session ID 0001'0000h (slot 0).
FIRST_SID = 0x00010000
AUTH_CAP = lan_request([0x18, 0x38, 0x8E, 0x04])
CIPHER_SUITES = lan_request([0x18, 0x54, 0x0E, 0x00, 0x80], 1)


def lan_packet_seeds():
    """fuzz_lan_packet: one datagram or payload."""
    rakp2_ok = bytes([1, 0, 0, 0]) + (0xA0A2A3A4).to_bytes(4, "little") + bytes(range(32)) + bytes(range(20))
    # An authenticated packet shape: 16-byte IV + 16-byte block, pad 2, next header, 16-byte AuthCode.
    payload = bytes(range(32))
    pad = (4 - (12 + len(payload) + 2) % 4) % 4
    protected = bytes([0x06, 0x00, 0xFF, 0x07, 0x06, 0xC0]) + FIRST_SID.to_bytes(4, "little") + (1).to_bytes(4, "little") \
        + len(payload).to_bytes(2, "little") + payload + bytes([0xFF] * pad) + bytes([pad, 0x07]) + bytes(range(16))
    return {
        "asf_ping": asf_ping(0x5A),
        "authcap_v15": ipmi15(AUTH_CAP),
        "authcap_v15_pad_byte": ipmi15(AUTH_CAP, b"\x00"),
        "v15_md5_session": bytes([0x06, 0x00, 0xFF, 0x07, 0x02]) + bytes([1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11])
        + bytes([0x5A] * 16) + bytes([len(AUTH_CAP)]) + AUTH_CAP,
        "cipher_suites_rmcpp": rmcpp(0x00, CIPHER_SUITES),
        "open_session_request": rmcpp(0x10, open_session_request()),
        "open_session_request_short": rmcpp(0x10, open_session_request()[:16]),
        "open_session_response": rmcpp(0x11, bytes([0, 0, 4, 0]) + (0xA0A2A3A4).to_bytes(4, "little")
                                       + FIRST_SID.to_bytes(4, "little") + open_session_request()[8:]),
        "rakp1": rmcpp(0x12, rakp1(FIRST_SID)),
        "rakp1_padded": rmcpp(0x12, rakp1(FIRST_SID, pad=11)),
        "rakp2": rmcpp(0x13, rakp2_ok),
        "rakp3": rmcpp(0x14, bytes([2, 0, 0, 0]) + FIRST_SID.to_bytes(4, "little") + bytes(range(32))),
        "rakp4_error": rmcpp(0x15, bytes([3, 0x0F, 0, 0]) + (0xA0A2A3A4).to_bytes(4, "little")),
        "protected_sha256_128": protected,
        "protected_sha1_96": protected[:-4],
        "bare_rakp1": rakp1(FIRST_SID, b"op"),
        "bare_lan_request": lan_request([0x18, 0x3B, 0x04], 5),
    }


def lan_server_seeds():
    """fuzz_lan_server: operations (op byte % 8, see fuzz_lan_server.cpp): 0 raw [src] [n] bytes,
    1 clock [hi] [lo] x 50 ms (+ poll when b7), 2 poll, 3 Open Session [src] [tag] [priv] [auth]
    [integ] [conf] [flags], 4 RAKP 1 [src] [which] [role] [name] [tag], 5 RAKP 3 [src] [which]
    [status] [size] code [tag], 6 session-less [src] [form] [n] body, 7 session packet [src]
    [which] [type] [seq] [n] payload [t] trailer."""
    def raw(data, src=0):
        op = 0x80 if len(data) > 255 else 0
        return bytes([op, src, len(data) & 0xFF]) + data

    def open_(src=0, suite=17, flags=0x07, priv=4):
        auth, integ, conf = (3, 4, 1) if suite == 17 else (1, 1, 1)
        return bytes([3, src, 0x01, priv, auth, integ, conf, flags])

    def rakp1_(src=0, which=0, role=0x14, name=0, tag=2):
        return bytes([4, src, which, role, name, tag])

    def rakp3_(src=0, which=0, status=0, size=1, tag=3):
        n = (20, 32, 16, 0, 12, 33)[size]
        return bytes([5, src, which, status, size]) + bytes([0xAB] * n) + bytes([tag])

    def clock(ms, poll=True):
        units = (ms + 49) // 50
        return bytes([0x81 if poll else 0x01, units >> 8, units & 0xFF])

    def sessionless(body, src=0, v15=False):
        return bytes([6, src, 1 if v15 else 0, len(body)]) + bytes(body)

    login = open_() + rakp1_() + rakp3_()
    return {
        "asf_ping": raw(asf_ping(0x33)),
        "authcap_v15": raw(ipmi15(AUTH_CAP)) + sessionless([0x18, 0x38, 0x8E, 0x04], v15=True),
        "cipher_suites": raw(rmcpp(0x00, CIPHER_SUITES)) + sessionless([0x18, 0x54, 0x0E, 0x00, 0x80]),
        "sessionless_refused": sessionless([0x18, 0x41, 0x01, 0x40]) + sessionless([0x18, 0x39, 0x02] + [0x61] * 16, v15=True),
        "open_session_raw": raw(rmcpp(0x10, open_session_request())),
        "open_rakp1_raw": raw(rmcpp(0x10, open_session_request())) + raw(rmcpp(0x12, rakp1(FIRST_SID))),
        "login_wrong_code_17": login,
        "login_wrong_code_3": open_(suite=3) + rakp1_() + rakp3_(size=0),
        "login_unknown_user": open_() + rakp1_(name=2) + rakp3_(),
        "login_null_user": open_(flags=0x0F) + rakp1_(name=3, role=0x00) + rakp3_(status=0x0F, size=3),
        "login_op_padded_name": open_(priv=0) + rakp1_(name=4, role=0x04) + rakp1_(name=1) + rakp3_(),
        "algorithms_refused": b"".join(bytes([3, 0, 1, 4, a, i, c, 7]) for a, i, c in
                                       ((0, 0, 0), (1, 0, 0), (1, 1, 0), (2, 2, 1), (1, 4, 1), (3, 4, 1))),
        "throttled": login * 6 + clock(10_000) + login,
        "table_full_eviction": b"".join(open_(src=s) for s in (0, 1, 2, 3, 4, 5)) + rakp1_(which=0) + open_(),
        "setup_timeout": open_() + rakp1_() + clock(11_000) + rakp3_() + bytes([2]),
        "session_packet_unknown": open_() + bytes([7, 0, 0, 0xC0, 1, 32]) + bytes(range(32)) + bytes([20]) + bytes(20),
        "v15_session_refused": raw(bytes([0x06, 0x00, 0xFF, 0x07, 0x02]) + bytes([1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11])
                                   + bytes([0x5A] * 16) + bytes([len(AUTH_CAP)]) + AUTH_CAP),
    }


def lan_session_seeds():
    """fuzz_lan_session: [setup: b0 suite 3, b1 user op] then operations (op byte % 6, see
    fuzz_lan_session.cpp): 0 request [n] body (b7: from elsewhere), 1 request with a sequence
    [d] [n] body (b7: then [s0..s3]), 2 raw [src] [n] bytes, 3 mutate [mode] [pos hi] [pos lo]
    [x], 4 clock [hi] [lo] x 100 ms + poll, 5 Close Session."""
    def req(body, elsewhere=False):
        return bytes([0x80 if elsewhere else 0, len(body)]) + bytes(body)

    def seq_req(d, body):
        return bytes([1, d & 0xFF, len(body)]) + bytes(body)

    def abs_req(seq, body):
        return bytes([0x81, 0]) + seq.to_bytes(4, "little") + bytes([len(body)]) + bytes(body)

    def mutate(mode, pos, x=1):
        return bytes([3, mode, pos >> 8, pos & 0xFF, x])

    def clock(seconds):
        units = seconds * 10
        return bytes([4, units >> 8, units & 0xFF])

    admin, operator, poke = [0x18, 0x3B, 0x04], [0x18, 0x3B, 0x03], [0xC0, 0x01]
    close_own = [0x18, 0x3C] + list(FIRST_SID.to_bytes(4, "little"))
    seeds = {}
    for name, setup in (("s17", 0), ("s3", 1)):
        seeds[f"{name}_privilege_poke_close"] = bytes([setup]) + req(poke) + req(admin) + req(poke) + bytes([5])
        seeds[f"{name}_replay_and_forge"] = (bytes([setup]) + req(admin) + req(poke) + mutate(0, 1) + mutate(0, 2)
                                             + mutate(0, 20) + mutate(0, 40, 0x80) + mutate(0, 0xFFFF) + mutate(1, 30)
                                             + mutate(2, 0, 0xFF) + mutate(0, 3, 0x20) + req(poke))
    seeds["s17_window"] = (bytes([0]) + req(admin) + seq_req(15, poke) + seq_req(31, poke) + seq_req(-2, poke)
                           + seq_req(-17, poke) + seq_req(0, poke) + mutate(0, 1) + req(poke) + abs_req(0, poke)
                           + abs_req(0xFFFFFFFF, poke) + seq_req(1, poke) + seq_req(1, poke))
    seeds["s17_timeout"] = bytes([0]) + req(poke) + clock(59) + req(poke) + clock(59) + clock(2) + req(poke) + bytes([5])
    seeds["s17_close_by_body"] = bytes([0]) + req([0x18, 0x3C, 0, 0, 0, 0]) + req(close_own) + req(poke) + mutate(0, 1)
    seeds["op_cannot_rise"] = bytes([2]) + req(admin) + req(operator) + req(poke) + req([0x18, 0x3B, 0x01]) + req(poke)
    seeds["s3_op_requests"] = (bytes([3]) + req([0x18, 0x41, 0x01, 0x40]) + req([0x18, 0x3B, 0x00]) + req([0x18, 0x44, 0x01, 0x02])
                               + req([0x18, 0x42, 0x01]) + req([0x18, 0x3B, 0x0F]) + req([0x18, 0x3B]))
    seeds["elsewhere_and_raw"] = (bytes([0]) + req(poke, elsewhere=True) + bytes([2, 0, len(asf_ping(7))]) + asf_ping(7)
                                  + bytes([2, 1, len(ipmi15(AUTH_CAP))]) + ipmi15(AUTH_CAP)
                                  + bytes([2, 0, len(rmcpp(0x10, open_session_request()))]) + rmcpp(0x10, open_session_request())
                                  + req(admin) + req(poke))
    return seeds


def lan_sol_seeds():
    """fuzz_lan_sol: [setup: b0 Capacity 1000, b1 active] [accumulate x5ms] [threshold] [retries]
    [retry interval x10ms] [max chars], then operations (op byte % 10, see fuzz_lan_sol.cpp):
    0 raw [n] bytes, 1 console [seq] [ack] [accepted] [control] [n] chars (ack F0: in flight,
    F1: in flight + NACK), 2 write [hi] [lo], 3 poll, 4 clock [mode] [x], 5 activate,
    6 deactivate, 7 sink [take] [flags], 8 configure [5], 9 ACK in flight."""
    def console(seq, ack=0, accepted=0, control=0, data=b""):
        return bytes([1, seq, ack, accepted, control, len(data)]) + data

    def write(n):
        return bytes([2, n >> 8, n & 0xFF])

    def ms(x):
        return bytes([4, 0, x])

    def sec(x):
        return bytes([4, 2, x])

    POLL, ACT, DEACT, ACK = bytes([3]), bytes([5]), bytes([6]), bytes([9])
    default = bytes([12, 96, 3, 50, 255])
    return {
        "accumulate_then_threshold": bytes([3]) + default + write(10) + POLL + ms(59) + POLL + ms(1) + POLL + ACK
        + write(96) + POLL + ACK + POLL,
        "full_packets_and_wrap": bytes([3]) + default + (write(1000) + POLL + ACK + POLL + ACK + POLL + ACK + POLL + ACK) * 5,
        "retries_then_given_up": bytes([2]) + default + write(20) + ms(60) + POLL + sec(1) + POLL + sec(1) + POLL
        + sec(1) + POLL + sec(1) + POLL + write(5) + ms(60) + POLL + ACK,
        "partial_ack_nack_pause": bytes([3]) + default + write(300) + POLL + console(0, 0xF0, 100) + POLL
        + console(0, 0xF1, 0) + POLL + write(10) + POLL + console(0, 0xF0, 0) + POLL + ACK,
        "overrun": bytes([2]) + default + write(2047) + POLL + write(10) + POLL + sec(1) + POLL + ACK + POLL,
        "console_chars_dup_unavailable": bytes([2]) + default + console(1, 0, 0, 0, b"ls\r") + console(1, 0, 0, 0, b"ls\r")
        + bytes([7, 1, 0]) + console(2, 0, 0, 0, b"abc") + bytes([7, 200, 1]) + console(3, 0, 0, 0, b"x")
        + bytes([7, 0, 2]) + console(4, 0, 0, 0, b"yy") + console(4, 0, 0, 0, b"yy"),
        "flush_and_operations": bytes([3]) + default + write(400) + POLL + console(5, 0, 0, 0x13, b"q") + POLL + ACK + POLL
        + console(6, 0xF0, 255, 0x3E) + POLL,
        "malformed_and_inactive": bytes([0]) + default + bytes([0, 2, 1, 2]) + bytes([0, 5, 0, 0, 0, 0, 0x61])
        + console(1, 0, 0, 0, b"a") + write(5) + ACT + write(5) + DEACT + console(2, 1, 1) + POLL,
        "huge_clock_reconfigure": bytes([3]) + bytes([0, 1, 7, 0, 1]) + write(50) + POLL + POLL + bytes([4, 3, 255])
        + POLL + bytes([8, 255, 255, 2, 255, 0]) + write(300) + POLL + bytes([4, 3, 200]) + POLL + POLL + ACK + ACT + POLL,
    }


def lan_sol_session_seeds():
    """fuzz_lan_sol_session: [setup: b0 suite 3] then operations (op byte % 10, the client in
    op b4; see fuzz_lan_sol_session.cpp): 0 activate [aux] (b5: [type] [instance] first),
    1 deactivate (b5: [type] [instance]), 2 SOL [seq] [ack] [accepted] [control] [n] chars (ack F0:
    the last from the BMC), 3 replay, 4 mutate [mode] [pos] [x], 5 clock [hi] [lo] x 100 ms,
    6 close, 7 status (b5: instance info), 8 serial [n] chars, 9 grant [code]."""
    B = 0x10  # the second client ("op")

    def act(k=0, aux=0xC6):
        return bytes([0 | k, aux])

    def act_raw(k, t, i, aux=0xC6):
        return bytes([0x20 | k, t, i, aux])

    def deact(k=0):
        return bytes([1 | k])

    def sol(k=0, seq=1, ack=0, accepted=0, control=0, data=b""):
        return bytes([2 | k, seq, ack, accepted, control, len(data)]) + data

    def serial(data):
        return bytes([8, len(data)]) + data

    def clock(seconds):
        units = seconds * 10
        return bytes([5, units >> 8, units & 0xFF])

    REPLAY, CLOSE, STATUS, INFO = bytes([3]), bytes([6]), bytes([7]), bytes([0x27])
    seeds = {}
    for name, setup in (("s17", 0), ("s3", 1)):
        seeds[f"{name}_activate_both_ways_deactivate"] = (bytes([setup]) + sol() + act() + STATUS + INFO
                                                         + sol(data=b"ls\r") + REPLAY + serial(b"hello\r\n")
                                                         + sol(seq=0, ack=0xF0) + serial(b"x" * 200) + sol(seq=2, ack=0xF0, data=b"q")
                                                         + deact() + deact() + sol(seq=3, data=b"z"))
        seeds[f"{name}_two_sessions"] = (bytes([setup]) + act() + act(B) + bytes([0x20 | B]) + deact(B) + act(B)
                                         + sol(B, data=b"op") + sol(0, seq=2, data=b"admin") + CLOSE + bytes([6 | B]) + act())
    seeds["refusals"] = (bytes([0]) + act(aux=0x40) + act_raw(0, 0, 1) + act_raw(0, 1, 2) + act_raw(0, 0x41, 0x11)
                         + bytes([9, 1]) + act() + bytes([9, 2]) + act() + bytes([9, 0]) + act() + bytes([0x21, 1, 3]))
    seeds["replay_and_mutate"] = (bytes([0]) + act() + sol(data=b"abc") + REPLAY + bytes([4, 0, 10, 1]) + bytes([4, 1, 30, 0])
                                  + bytes([4, 2, 0, 0x55]) + sol(seq=1, data=b"abc") + sol(seq=2, control=0x01, data=b"d") + REPLAY)
    seeds["timeout_and_close"] = (bytes([0]) + act() + serial(b"boot") + clock(30) + sol(ack=0xF0) + clock(59) + serial(b"more")
                                  + clock(2) + act(B) + STATUS + bytes([0x17]) + clock(61) + act())
    seeds["retries_through_server"] = (bytes([1]) + act() + serial(b"a" * 255) + serial(b"") + serial(b"") + serial(b"")
                                       + serial(b"b") + sol(seq=0, ack=0xF0) + serial(b""))
    return seeds


def qmp_seeds():
    """fuzz_qmp: operations (op byte % 10, see fuzz_qmp.cpp): 0 connect [f], 1 disconnect,
    2 raw [n] bytes, 3 stage a piece [k] ..., 4 deliver [n] staged bytes (0: all), 5 request
    [op] (1 on, 2 off, 3 cycle, 4 reset, 5 soft), 6 clock [unit] [amount], 7 tick, 8 consume
    [n x 7], 9 a piece at once split at [s]. Pieces as QEMU 7.2 sends them (fuzz_qmp.cpp)."""
    CONNECT, DISCONNECT, TICK = bytes([0, 0]), bytes([1]), bytes([7])

    def raw(text):
        data = text.encode()
        out = b""
        while data:  # raw pieces of at most 255 bytes
            out += bytes([2, min(len(data), 255)]) + data[:255]
            data = data[255:]
        return out

    def stage(*piece):
        return bytes([3]) + bytes(piece)

    def deliver(n=0):
        return bytes([4, n])

    def at_once(split, *piece):
        return bytes([9]) + bytes(piece) + bytes([split])

    def request(op):
        return bytes([5, op])

    def clock(unit, amount):
        return bytes([6, unit, amount])

    def consume_all():
        return bytes([8, 255])

    greeting = stage(0)
    cap_answer = stage(1, 1)                 # {"return": {}, "id": <the capabilities' id>}
    running = stage(2, 0, 0)                 # status "running", the last query's id
    shutdown = stage(2, 2, 0)
    prelaunch = stage(2, 3, 0)
    paused = stage(2, 1, 0)
    SHUTDOWN, STOP, RESUME, RESET, POWERDOWN = (stage(3, e) for e in range(5))
    plain_return = stage(10, 2)              # {"return": {}, "id": <the last command's id>}
    handshake = CONNECT + greeting + deliver() + consume_all() + cap_answer + deliver() + consume_all()
    return {
        # The whole conversation as a real QEMU 7.2 (-no-shutdown) had it, a line at a time.
        "boot-running": handshake + running + deliver() + consume_all() + TICK,
        # Greeting split in the middle of a word, then the rest one byte at a time.
        "split-greeting": CONNECT + greeting + deliver(7) + deliver(1) + deliver(1) + deliver(30) + deliver()
        + cap_answer + prelaunch + deliver(5) + deliver(),
        # Power off from running: stop → STOP, system_reset → RESET, query → prelaunch.
        "power-off": handshake + running + deliver() + request(2) + consume_all() + plain_return + STOP
        + plain_return + RESET + prelaunch + deliver(),
        # Power on from shutdown: system_reset, cont → RESUME, query → running.
        "power-on": handshake + shutdown + deliver() + request(1) + request(1) + plain_return + RESET
        + plain_return + RESUME + running + deliver(40) + deliver() + consume_all(),
        # Power cycle: off, 1 s later on (ticks before and after the deadline).
        "power-cycle": handshake + running + deliver() + request(3) + plain_return + STOP + plain_return
        + RESET + prelaunch + deliver() + clock(1, 5) + TICK + clock(1, 5) + TICK + plain_return + RESET
        + plain_return + RESUME + running + deliver(),
        # The guest shuts down: SHUTDOWN with data, then QEMU's query answers; a STOP queued.
        "guest-shutdown": handshake + running + deliver() + stage(3, 0x80) + STOP + deliver() + shutdown
        + deliver() + shutdown + deliver(),
        # Reset and soft power-off (ACPI) while running, events in between.
        "reset-powerdown": handshake + running + deliver() + request(4) + request(5) + RESET + POWERDOWN
        + plain_return + running + running + deliver(3) + deliver() + paused + deliver(),
        # No greeting within 5 s: dropped; reconnect a second later.
        "greeting-timeout": CONNECT + clock(2, 6) + TICK + clock(2, 1) + TICK + greeting + deliver(),
        # QEMU answers qmp_capabilities with an error: closed.
        "capabilities-refused": CONNECT + greeting + deliver() + stage(4, 2, 1) + deliver(),
        # A line just over 64 KiB, and one at the bound, split.
        "long-line": handshake + at_once(200, 5, 0x43) + CONNECT + clock(2, 2) + TICK + handshake
        + stage(5, 0xC1) + deliver(),
        # Not JSON, not an object, raw text across lines, CR LF.
        "garbage": CONNECT + raw('{"QMP": {"version": {}, "capabilities": []}}\r\n') + consume_all()
        + raw('{"return": {}, "id": 1}\n{"event": 5}\n[1,2]\n') + CONNECT + clock(2, 2) + TICK
        + raw("not json\n"),
        # QEMU went away mid-cycle; the cycle's second half never runs.
        "disconnect-mid-cycle": handshake + running + deliver() + request(3) + DISCONNECT + clock(2, 2)
        + TICK + TICK,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk")
    args = ap.parse_args()
    corpora = {
        "fuzz_decoder": decoder_seeds(),
        "fuzz_roundtrip": roundtrip_seeds(),
        "fuzz_checksum": checksum_seeds(),
        "fuzz_session_emulator": session_seeds("emulator"),
        "fuzz_session_bmc": session_seeds("bmc"),
        "fuzz_kcs_device": kcs_device_seeds(),
        "fuzz_kcs_host": kcs_host_seeds(),
        "fuzz_kcs_pair": kcs_pair_seeds(),
        "fuzz_bt_device": bt_device_seeds(),
        "fuzz_bt_host": bt_host_seeds(),
        "fuzz_bt_pair": bt_pair_seeds(),
        "fuzz_ssif_device": ssif_device_seeds(),
        "fuzz_ssif_host": ssif_host_seeds(),
        "fuzz_ssif_pair": ssif_pair_seeds(),
        "fuzz_bridge": bridge_seeds(),
        "fuzz_cmd": cmd_seeds(),
        "fuzz_bmc_core": bmc_core_seeds(),
        "fuzz_vm_link": vm_link_seeds(),
        "fuzz_lan_packet": lan_packet_seeds(),
        "fuzz_lan_server": lan_server_seeds(),
        "fuzz_lan_session": lan_session_seeds(),
        "fuzz_lan_sol": lan_sol_seeds(),
        "fuzz_lan_sol_session": lan_sol_session_seeds(),
        "fuzz_qmp": qmp_seeds(),
    }
    differ = False
    for target, seeds in corpora.items():
        d = ROOT / target
        if not args.check:
            d.mkdir(parents=True, exist_ok=True)
            # Remove seeds this script no longer makes; keep inputs a fuzzing campaign added
            # (libFuzzer names them by their SHA-1: 40 hex digits).
            for old in d.iterdir():
                if old.name not in seeds and not re.fullmatch(r"[0-9a-f]{40}", old.name):
                    old.unlink()
        for name, data in seeds.items():
            path = d / name
            if args.check:
                if not path.exists() or path.read_bytes() != data:
                    print(f"differs: {path}")
                    differ = True
            else:
                path.write_bytes(data)
    total = sum(len(s) for s in corpora.values())
    size = sum(len(v) for s in corpora.values() for v in s.values())
    print(f"{total} seeds, {size} bytes" + (" (check)" if args.check else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
