// Package middlebox holds the adversaries of the studies, as netmodel
// middleboxes: a DPI censor, a downgrade attacker and a tracker outage.
// Each follows published or stated rules, so a result can be traced to a
// rule rather than to a tuning knob:
//
//   - Censor: nDPI-style signature matching (the BEP 3 handshake string
//     "\x13BitTorrent protocol" at the start of either direction) and the
//     Great Firewall's fully-encrypted-traffic rule on a flow's first client
//     payload (dpi/fet: a flow with no exemption is flagged). A flagged flow
//     is blackholed, reset or throttled.
//   - Attacker: on a chosen fraction of paths (host pairs, chosen from the
//     seed), a flow that opens with a TLS ClientHello is reset, blackholed,
//     or answered with a fake legacy reply: the server's first flight is
//     replaced by random bytes, which is what a legacy (MSE) peer sends and
//     what makes a bttls client with policy prefer fall back.
//   - Outage: a host (the tracker) refuses or silently drops every
//     connection during a window of virtual time.
//
// Config is the scenario's view ([censor], [attacker], [outage] tables);
// New builds one netmodel.Middlebox from it that applies all three and
// counts what each did (Stats). Every choice is a hash of the seed and the
// flow or path, never a draw whose order could change, so a run is
// reproducible from its seed.
package middlebox
