#!/usr/bin/python3
"""Runs python3-libtorrent headless for the bttls interop tests.

One torrent, loopback only: DHT, LSD, UPnP, NAT-PMP and uTP are off, so
peers come only from --peer and the torrent's tracker. Prints one status
line every 0.2 s ("status progress=0.5 state=downloading peers=1") and
"complete" once the whole torrent is verified; alerts go to stderr. Runs
until killed, or until its parent process goes away.

Must run under /usr/bin/python3: Debian's python3-libtorrent is not visible
to other interpreters.
"""
import argparse
import os
import sys
import time

import libtorrent as lt

ENC = {
    "enabled": lt.enc_policy.enabled,
    "forced": lt.enc_policy.forced,
    "disabled": lt.enc_policy.disabled,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--torrent", required=True, help=".torrent file")
    ap.add_argument("--save", required=True, help="directory holding (or receiving) the data")
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (and dial from)")
    ap.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    ap.add_argument("--peer", action="append", default=[], help="HOST:PORT to connect to (repeatable)")
    ap.add_argument("--enc", choices=sorted(ENC), default="enabled",
                    help="MSE policy for both directions (libtorrent's default is enabled)")
    ap.add_argument("--upload-limit", type=int, default=0, help="upload cap in bytes/s (0: none)")
    args = ap.parse_args()

    settings = {
        "listen_interfaces": ("[%s]:%d" if ":" in args.host else "%s:%d") % (args.host, args.port),
        "outgoing_interfaces": args.host,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "upload_rate_limit": args.upload_limit,
        "out_enc_policy": int(ENC[args.enc]),
        "in_enc_policy": int(ENC[args.enc]),
        "alert_mask": int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.status_notification
                          | lt.alert.category_t.tracker_notification
                          | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.peer_notification),
    }
    ses = lt.session(settings)
    if args.upload_limit:
        # libtorrent exempts local-network peers from rate limits (its
        # "local" peer class); on loopback every peer is local, so put
        # every address in the global class, which the limit applies to.
        f = lt.ip_filter()
        f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        f.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
    info = lt.torrent_info(args.torrent)
    h = ses.add_torrent({"ti": info, "save_path": args.save})

    parent = os.getppid()
    peers = []
    for p in args.peer:
        host, _, port = p.rpartition(":")
        peers.append((host, int(port)))
    last_connect = 0.0
    announced_complete = False
    while True:
        if os.getppid() != parent:
            return  # the test that started us is gone
        for a in ses.pop_alerts():
            print("alert %s: %s" % (type(a).__name__, a.message()), file=sys.stderr, flush=True)
        s = h.status()
        now = time.monotonic()
        checking = s.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
        if peers and not checking and s.num_peers == 0 and now - last_connect > 1.0:
            # connect_peer is a one-shot attempt: repeat until a peer sticks.
            for host, port in peers:
                h.connect_peer((host, port))
            last_connect = now
        print("status progress=%.4f state=%s peers=%d seeding=%d uploaded=%d" % (
            s.progress, s.state, s.num_peers, int(s.is_seeding), s.total_payload_upload), flush=True)
        if s.is_seeding and not announced_complete:
            print("complete", flush=True)
            announced_complete = True
        time.sleep(0.2)


if __name__ == "__main__":
    main()
