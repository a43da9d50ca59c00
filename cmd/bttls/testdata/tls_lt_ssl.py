#!/usr/bin/python3
"""Runs python3-libtorrent on one SSL torrent (bttls Full Strict mode 1).

Listens for SSL peers on 127.0.0.1:PORT ("s" suffix: libtorrent's SSL
listen socket), connects to --peer if given, prints "complete" once the
torrent is whole, and runs until killed or its parent goes away. DHT, LSD,
UPnP, NAT-PMP and uTP are off. Must run under /usr/bin/python3.
"""
import argparse
import os
import sys
import time

import libtorrent as lt

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--torrent", required=True)
ap.add_argument("--save", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--dh", required=True)
ap.add_argument("--peer", default="")
a = ap.parse_args()

ses = lt.session({
    "listen_interfaces": "127.0.0.1:%ds" % a.port,
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
    "enable_natpmp": False, "enable_outgoing_utp": False,
    "enable_incoming_utp": False, "allow_multiple_connections_per_ip": True,
    "alert_mask": int(lt.alert.category_t.error_notification
                      | lt.alert.category_t.peer_notification
                      | lt.alert.category_t.connect_notification),
})
h = ses.add_torrent({"ti": lt.torrent_info(a.torrent), "save_path": a.save})
h.set_ssl_certificate(a.cert, a.key, a.dh)
parent = os.getppid()
done = False
next_connect = 0
while os.getppid() == parent:
    if a.peer and time.time() >= next_connect and not h.status().is_seeding:
        host, port = a.peer.rsplit(":", 1)
        h.connect_peer((host, int(port)))
        next_connect = time.time() + 1
    for al in ses.pop_alerts():
        print("alert", al.message(), file=sys.stderr, flush=True)
    st = h.status()
    if st.is_seeding and not done:
        print("complete", flush=True)
        done = True
    time.sleep(0.1)
