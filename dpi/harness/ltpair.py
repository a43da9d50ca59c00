#!/usr/bin/python3
"""Transfer one file between two python3-libtorrent sessions over loopback.

The DPI harness (dpi/harness, which embeds this file) runs this under tcpdump and classifies the
capture. The seeder listens on 127.0.0.1:PORT (with the 's' suffix for an
SSL torrent, as libtorrent's SSL torrents require); the leecher listens on
--get-port (libtorrent may connect back to it) and dials the seeder.

  ltpair.py --mode plain|mse|ssl --port PORT --get-port PORT --dir DIR [--certs DIR]

--certs holds ca.pem, seed.pem, seed.key, get.pem, get.key, dh.pem (made by
the harness) for --mode ssl. Prints one JSON line: the v1 and v2 infohashes
and whether the leecher finished.
"""
import argparse
import json
import os
import sys
import time

import libtorrent as lt

p = argparse.ArgumentParser()
p.add_argument("--mode", choices=["plain", "mse", "ssl"], required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--get-port", type=int, default=0)
p.add_argument("--dir", required=True)
p.add_argument("--certs")
p.add_argument("--size", type=int, default=256 * 1024)
p.add_argument("--timeout", type=float, default=30)
a = p.parse_args()

seed_dir = os.path.join(a.dir, "seed")
get_dir = os.path.join(a.dir, "get")
os.makedirs(seed_dir, exist_ok=True)
os.makedirs(get_dir, exist_ok=True)
name = "payload.bin"
with open(os.path.join(seed_dir, name), "wb") as f:
    f.write(os.urandom(a.size))

fs = lt.file_storage()
lt.add_files(fs, os.path.join(seed_dir, name))
ct = lt.create_torrent(fs, 16384)
if a.mode == "ssl":
    with open(os.path.join(a.certs, "ca.pem")) as f:
        ct.set_root_cert(f.read())
lt.set_piece_hashes(ct, seed_dir)
tbytes = lt.bencode(ct.generate())
ti = lt.torrent_info(lt.bdecode(tbytes))
hashes = ti.info_hashes()

# Encryption policies: 0 forced, 1 enabled, 2 disabled; levels 1 plain, 2 rc4.
enc = {"plain": (2, 2, 1), "mse": (0, 0, 2), "ssl": (2, 2, 1)}[a.mode]


def session(listen):
    return lt.session({
        "listen_interfaces": listen,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False, "enable_incoming_utp": False,
        "enable_outgoing_utp": False, "allow_multiple_connections_per_ip": True,
        "out_enc_policy": enc[0], "in_enc_policy": enc[1],
        "allowed_enc_level": enc[2], "prefer_rc4": a.mode == "mse",
        "alert_mask": lt.alert.category_t.error_notification,
    })


suffix = "s" if a.mode == "ssl" else ""
seeder = session("127.0.0.1:%d%s" % (a.port, suffix))
leecher = session("127.0.0.1:%d%s" % (a.get_port, suffix))


def add(ses, path, role):
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(lt.bdecode(tbytes))
    atp.save_path = path
    h = ses.add_torrent(atp)
    if a.mode == "ssl":
        c = a.certs
        h.set_ssl_certificate(os.path.join(c, role + ".pem"), os.path.join(c, role + ".key"),
                              os.path.join(c, "dh.pem"))
    return h


hs = add(seeder, seed_dir, "seed")
deadline = time.time() + a.timeout
while hs.status().state != lt.torrent_status.seeding and time.time() < deadline:
    time.sleep(0.05)
hg = add(leecher, get_dir, "get")
hg.connect_peer(("127.0.0.1", a.port))
while not hg.status().is_seeding and time.time() < deadline:
    time.sleep(0.05)
ok = hg.status().is_seeding
errors = [str(x.message()) for x in leecher.pop_alerts() + seeder.pop_alerts()]
print(json.dumps({
    "v1": str(hashes.v1), "v2": str(hashes.v2), "finished": ok,
    "errors": errors[-5:],
}))
sys.exit(0 if ok else 1)
