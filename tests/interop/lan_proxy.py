#!/usr/bin/env python3
"""tests/interop/lan_proxy.py — a UDP proxy between an IPMI LAN client and a BMC, for
lan_clients_test.sh's replay and integrity checks (docs: the script's header).

    lan_proxy.py --listen PORT --target HOST:PORT --mode MODE [--nth N] --stats FILE

Listens on 127.0.0.1:PORT, forwards every datagram of the (one) client to the target from one
upstream socket, and the target's answers back. An "authenticated IPMI request" is an RMCP+
packet (RMCP class 07, auth type 06, lan.md §2.2) whose payload-type byte has bit 6 set and
type 00 (an IPMI message). Modes:

  pass                forward as is (counts only)
  duplicate           forward every authenticated IPMI request twice, back to back
  corrupt             flip bit 0 of the last byte (the AuthCode's) of the Nth (--nth, 1-based)
                      authenticated request; count the target's datagrams that arrive after it
                      and before the client's next datagram (an answer to the corrupted packet)
  replay-after-close  record the authenticated requests; on SIGUSR1 (sent once the client has
                      exited, i.e. after its Close Session) re-send each from the same upstream
                      socket and wait up to 1 s for any answer

The stats file is JSON, rewritten after every event: requests, authenticated, answers (datagrams
from the target), duplicates_sent, corrupted_sent, corrupted_answered, replayed, replay_answered,
done_replay. SIGTERM ends the proxy. Every wait is bounded; the proxy exits by itself after
--lifetime seconds (default 120).
"""
import argparse
import json
import os
import select
import signal
import socket
import sys
import time

RMCP_CLASS_IPMI = 0x07          # lan.md §1: RMCP header byte 3, class IPMI
AUTH_TYPE_RMCPP = 0x06          # lan.md §2.2: auth type/format 06h = IPMI v2.0 / RMCP+
PAYLOAD_AUTHENTICATED = 0x40    # lan.md §2.2: payload type bit 6
PAYLOAD_TYPE_MASK = 0x3F        # lan.md §2.3: payload type bits 5:0, 00 = IPMI message


def is_authenticated_ipmi_request(data):
    return (len(data) >= 6 and data[0] == 0x06 and (data[3] & 0x1F) == RMCP_CLASS_IPMI
            and data[4] == AUTH_TYPE_RMCPP and (data[5] & PAYLOAD_AUTHENTICATED) != 0
            and (data[5] & PAYLOAD_TYPE_MASK) == 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen', type=int, required=True)
    ap.add_argument('--target', required=True)
    ap.add_argument('--mode', required=True,
                    choices=['pass', 'duplicate', 'corrupt', 'replay-after-close'])
    ap.add_argument('--nth', type=int, default=1)
    ap.add_argument('--stats', required=True)
    ap.add_argument('--lifetime', type=float, default=120.0)
    args = ap.parse_args()
    host, port = args.target.rsplit(':', 1)
    target = (host, int(port))

    down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    down.bind(('127.0.0.1', args.listen))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(('127.0.0.1', 0))
    up.connect(target)

    stats = dict(requests=0, authenticated=0, answers=0, duplicates_sent=0, corrupted_sent=0,
                 corrupted_answered=0, replayed=0, replay_answered=0, done_replay=False)
    recorded = []
    client = None
    corrupt_pending = False
    replay_wanted = [False]
    stop = [False]

    def write_stats():
        tmp = args.stats + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(stats, f)
        os.replace(tmp, args.stats)

    signal.signal(signal.SIGUSR1, lambda *_: replay_wanted.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    write_stats()
    print('lan_proxy: listening on 127.0.0.1:%d -> %s:%d mode %s' %
          (args.listen, host, target[1], args.mode), flush=True)

    deadline = time.monotonic() + args.lifetime
    while not stop[0] and time.monotonic() < deadline:
        if replay_wanted[0]:
            replay_wanted[0] = False
            for packet in recorded:
                up.send(packet)
                stats['replayed'] += 1
                end = time.monotonic() + 1.0  # ≤ 1 s per packet
                while True:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    ready, _, _ = select.select([up], [], [], left)
                    if ready:
                        try:
                            up.recv(65536)
                        except OSError:
                            continue
                        stats['replay_answered'] += 1
                        break
            stats['done_replay'] = True
            write_stats()
            continue
        try:
            ready, _, _ = select.select([down, up], [], [], 0.2)
        except InterruptedError:
            continue
        for sock in ready:
            try:
                data, addr = sock.recvfrom(65536)
            except OSError:
                continue  # e.g. ICMP port unreachable from the target
            if sock is down:
                client = addr
                corrupt_pending = False
                stats['requests'] += 1
                packet = bytearray(data)
                auth = is_authenticated_ipmi_request(packet)
                if auth:
                    stats['authenticated'] += 1
                    if args.mode == 'replay-after-close':
                        recorded.append(bytes(packet))
                    if args.mode == 'corrupt' and stats['authenticated'] == args.nth:
                        packet[-1] ^= 0x01
                        stats['corrupted_sent'] += 1
                        corrupt_pending = True
                up.send(bytes(packet))
                if auth and args.mode == 'duplicate':
                    up.send(bytes(packet))
                    stats['duplicates_sent'] += 1
            else:
                stats['answers'] += 1
                if corrupt_pending:
                    stats['corrupted_answered'] += 1
                if client is not None:
                    down.sendto(data, client)
            write_stats()
    write_stats()
    return 0


if __name__ == '__main__':
    sys.exit(main())
