#!/usr/bin/python3
"""Download a torrent from one peer with python3-libtorrent, then exit.

The DPI harness (dpi/harness, which embeds this file) runs it against
another client (transmission) under tcpdump.

  ltget.py --torrent T --save DIR --peer HOST:PORT --mode plain|mse [--timeout S]

Prints one JSON line: whether the download finished.
"""
import argparse
import json
import sys
import time

import libtorrent as lt

p = argparse.ArgumentParser()
p.add_argument("--torrent", required=True)
p.add_argument("--save", required=True)
p.add_argument("--peer", required=True)
p.add_argument("--listen-port", type=int, default=0)
p.add_argument("--mode", choices=["plain", "mse"], required=True)
p.add_argument("--timeout", type=float, default=30)
a = p.parse_args()

# Encryption policies: 0 forced, 1 enabled, 2 disabled; levels 1 plain, 2 rc4.
enc = {"plain": (2, 2, 1), "mse": (0, 0, 2)}[a.mode]
ses = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % a.listen_port,
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
    "enable_natpmp": False, "enable_incoming_utp": False,
    "enable_outgoing_utp": False, "min_reconnect_time": 1,
    "out_enc_policy": enc[0], "in_enc_policy": enc[1],
    "allowed_enc_level": enc[2], "prefer_rc4": a.mode == "mse",
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(a.torrent)
atp.save_path = a.save
h = ses.add_torrent(atp)
host, port = a.peer.rsplit(":", 1)
deadline = time.time() + a.timeout
h.connect_peer((host, int(port)))
last = 0
while not h.status().is_seeding and time.time() < deadline:
    time.sleep(0.05)
    if time.time() - last > 2:  # transmission may drop the first attempt
        h.connect_peer((host, int(port)))
        last = time.time()
ok = h.status().is_seeding
print(json.dumps({"finished": ok}))
sys.exit(0 if ok else 1)
