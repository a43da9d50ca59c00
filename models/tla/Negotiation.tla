---------------------------- MODULE Negotiation ----------------------------
(***************************************************************************)
(* Level negotiation and downgrade resistance in bttls (DESIGN.md,        *)
(* "Negotiation and downgrade").                                          *)
(*                                                                         *)
(* One honest dialer connects, possibly several times, to one remote      *)
(* address for one torrent. The torrent's level (Basic, Strict, FullStrict)*)
(* is fixed; a Basic torrent has a per-torrent policy off | prefer |      *)
(* require. The remote may speak TLS (bttls), legacy (plaintext/MSE), or   *)
(* both. Around them:                                                      *)
(*   - an attacker on the path (when attacker = TRUE) that can drop,       *)
(*     reset, delay or fake a legacy reply before the TLS handshake        *)
(*     completes, tamper with records after it, and break legacy attempts; *)
(*   - a possibly hostile swarm member (PEX or tracker) that can claim     *)
(*     the remote speaks TLS at any time (a hint);                         *)
(*   - time, which expires pins.                                           *)
(* A pin is direct evidence: this address completed a bttls handshake     *)
(* with us. Hints change the order of attempts but never forbid fallback. *)
(*                                                                         *)
(* Rule selects the dialer's rule set: "good" is the BEP's; the others are *)
(* known-bad variants the checker must refute:                             *)
(*   "pin-on-hint"     pins on a PEX/tracker hint;                         *)
(*   "fallback-pinned" falls back to legacy without looking at the pin;    *)
(*   "fallback-after"  also falls back after a failure past the handshake. *)
(*                                                                         *)
(* ev names the kind of the last step; trace validation matches it with  *)
(* the events a peer records (models/trace).                              *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS MaxDials, Rule

VARIABLES level, policy, remoteTLS, remoteLegacy, attacker,
          conn, triedTLS, failedAfter, sig, pin, hint, dials, busied, ev

vars == <<level, policy, remoteTLS, remoteLegacy, attacker,
          conn, triedTLS, failedAfter, sig, pin, hint, dials, busied, ev>>

Levels   == {"Basic", "Strict", "FullStrict"}
Policies == {"off", "prefer", "require"}
Conns    == {"idle", "dialing", "tls-hello", "tls", "tls-broken-before",
             "tls-broken-after", "tls-busy", "legacy-try", "legacy",
             "legacy-broken", "closed"}
Events   == {"init", "dial", "tls-attempt", "tls-ok", "tls-fail-before",
             "tls-fail-after", "tls-busy", "fallback", "legacy-attempt", "legacy-ok",
             "legacy-fail", "upgrade", "give-up", "hint", "pin-expire"}

\* The torrent demands TLS from this peer: Strict and Full Strict always, a
\* Basic torrent under policy require, and any peer we hold a pin for.
MustTLS == level # "Basic" \/ policy = "require" \/ pin

TLSAllowed == level # "Basic" \/ policy # "off"

\* Attempt order: TLS first when it is required, or when prefer has a
\* reason to expect TLS (a pin, or a hint). Without one, prefer may start
\* with either (the BEP allows both orders; bttls starts with TLS unless a
\* hint says the peer is legacy, which here is the absence of a TLS hint).
TLSFirst == MustTLS \/ (policy = "prefer" /\ (hint \/ pin))

\* TLS may be the first attempt on a new connection.
MayStartTLS == TLSFirst \/ (level = "Basic" /\ policy = "prefer")

\* After a TLS failure before the handshake completed: fall back only with
\* policy prefer on a Basic torrent and only to a peer that is not pinned.
MayFallback ==
    /\ level = "Basic"
    /\ policy = "prefer"
    /\ (Rule = "fallback-pinned" \/ ~pin)

Init == /\ level \in Levels
        /\ policy \in Policies
        /\ remoteTLS \in BOOLEAN
        /\ remoteLegacy \in BOOLEAN
        /\ remoteTLS \/ remoteLegacy
        /\ attacker \in BOOLEAN
        /\ conn = "idle"
        /\ triedTLS = FALSE
        /\ failedAfter = FALSE
        /\ sig = FALSE
        /\ pin = FALSE
        /\ hint = FALSE
        /\ dials = 0
        /\ busied = FALSE
        /\ ev = "init"

\* busied changes only in TLSBusy.
Fixed == UNCHANGED <<level, policy, remoteTLS, remoteLegacy, attacker, busied>>

\* --- the dialer and the honest remote --------------------------------------

\* A new connection: the first, one after a connection that ended without
\* a session, or one after a TLS session ended (either side closed it; the
\* pin stays). A legacy session ends through Upgrade or not at all here.
\* A peer may retry an address any number of times (a departed peer is
\* dialled until it is dropped): dials counts up to MaxDials and stays
\* there, which keeps the state space finite and bounds upgrades.
Dial == /\ conn \in {"idle", "closed", "tls"}
        /\ conn' = "dialing"
        /\ dials' = IF dials < MaxDials THEN dials + 1 ELSE dials
        /\ triedTLS' = FALSE
        /\ failedAfter' = FALSE
        /\ sig' = FALSE
        /\ ev' = "dial"
        /\ UNCHANGED <<pin, hint>>
        /\ Fixed

StartTLS == /\ \/ conn = "dialing" /\ MayStartTLS
               \* a legacy attempt failed; TLS was not tried on this connection
               \/ conn = "legacy-broken" /\ TLSAllowed /\ ~triedTLS
            /\ conn' = "tls-hello"
            /\ triedTLS' = TRUE
            /\ ev' = "tls-attempt"
            /\ UNCHANGED <<failedAfter, sig, pin, hint, dials>>
            /\ Fixed

StartLegacy == /\ conn = "dialing"
               /\ ~TLSFirst
               /\ conn' = "legacy-try"
               /\ ev' = "legacy-attempt"
               /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
               /\ Fixed

\* The handshake completes: direct evidence, so the address is pinned.
TLSOk == /\ conn = "tls-hello"
         /\ remoteTLS
         /\ conn' = "tls"
         /\ pin' = TRUE
         /\ ev' = "tls-ok"
         /\ UNCHANGED <<triedTLS, failedAfter, sig, hint, dials>>
         /\ Fixed

\* A legacy-only remote answers a ClientHello with garbage or a reset.
TLSRefused == /\ conn = "tls-hello"
              /\ ~remoteTLS
              /\ conn' = "tls-broken-before"
              /\ ev' = "tls-fail-before"
              /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
              /\ Fixed

\* A bttls remote at its connection limit answers the ClientHello with the
\* busy alert instead of the handshake. It is busy only finitely often
\* (connections end, slots free up): here once per behaviour (busied),
\* which keeps the state space finite and leaves the dialer the dials it
\* needs to reach TLS.
TLSBusy == /\ conn = "tls-hello"
           /\ remoteTLS
           /\ ~busied
           /\ conn' = "tls-busy"
           /\ busied' = TRUE
           /\ ev' = "tls-busy"
           /\ UNCHANGED <<level, policy, remoteTLS, remoteLegacy, attacker>>
           /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>

Fallback == /\ \/ conn = "tls-broken-before" /\ MayFallback
               \/ conn = "tls-broken-after" /\ Rule = "fallback-after" /\ MayFallback
            /\ conn' = "legacy-try"
            /\ ev' = "fallback"
            /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
            /\ Fixed

\* A legacy session; a bttls remote says so in its BEP 10 handshake (sig).
LegacyOk == /\ conn = "legacy-try"
            /\ remoteLegacy
            /\ conn' = "legacy"
            /\ sig' = remoteTLS
            /\ ev' = "legacy-ok"
            /\ UNCHANGED <<triedTLS, failedAfter, pin, hint, dials>>
            /\ Fixed

LegacyRefused == /\ conn = "legacy-try"
                 /\ ~remoteLegacy
                 /\ conn' = "legacy-broken"
                 /\ ev' = "legacy-fail"
                 /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
                 /\ Fixed

\* With prefer, a legacy session to a peer that advertised TLS is replaced
\* by a TLS one (the advertisement is a hint for the next dial).
Upgrade == /\ conn = "legacy"
           /\ policy = "prefer"
           /\ sig
           /\ dials < MaxDials
           /\ conn' = "closed"
           /\ hint' = TRUE
           /\ ev' = "upgrade"
           /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, dials>>
           /\ Fixed

\* A busy alert is never followed by a legacy attempt (the remote speaks
\* TLS), whatever the policy: the connection is given up and dialled later.
GiveUp == /\ \/ conn = "tls-broken-before" /\ ~MayFallback
             \/ conn = "tls-busy"
             \/ conn = "tls-broken-after" /\ ~(Rule = "fallback-after" /\ MayFallback)
             \/ conn = "legacy-broken" /\ ~(TLSAllowed /\ ~triedTLS)
          /\ conn' = "closed"
          /\ ev' = "give-up"
          /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
          /\ Fixed

Dialer == Dial \/ StartTLS \/ StartLegacy \/ TLSOk \/ TLSRefused \/ TLSBusy \/ Fallback
            \/ LegacyOk \/ LegacyRefused \/ Upgrade \/ GiveUp

\* --- the environment -------------------------------------------------------

\* Before the handshake completes: drop, reset, delay past the timeout, or
\* answer with a fake legacy reply. The dialer sees a failure before the
\* handshake, exactly as from a legacy-only remote.
AttackBefore == /\ attacker
                /\ conn = "tls-hello"
                /\ conn' = "tls-broken-before"
                /\ ev' = "tls-fail-before"
                /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
                /\ Fixed

\* After the handshake: tampered records fail authentication.
AttackAfter == /\ attacker
               /\ conn = "tls"
               /\ conn' = "tls-broken-after"
               /\ failedAfter' = TRUE
               /\ ev' = "tls-fail-after"
               /\ UNCHANGED <<triedTLS, sig, pin, hint, dials>>
               /\ Fixed

\* ... or forge the busy alert (it is unauthenticated): the dialer gives
\* up on this connection without falling back, which an attacker on the
\* path could have had by dropping it.
AttackBusy == /\ attacker
              /\ conn = "tls-hello"
              /\ conn' = "tls-busy"
              /\ ev' = "tls-busy"
              /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
              /\ Fixed

AttackLegacy == /\ attacker
                /\ conn = "legacy-try"
                /\ conn' = "legacy-broken"
                /\ ev' = "legacy-fail"
                /\ UNCHANGED <<triedTLS, failedAfter, sig, pin, hint, dials>>
                /\ Fixed

\* Any swarm member (or tracker) may claim the remote speaks TLS.
Hint == /\ ~hint
        /\ hint' = TRUE
        /\ pin' = IF Rule = "pin-on-hint" THEN TRUE ELSE pin
        /\ ev' = "hint"
        /\ UNCHANGED <<conn, triedTLS, failedAfter, sig, dials>>
        /\ Fixed

\* Pins expire.
Expire == /\ pin
          /\ pin' = FALSE
          /\ ev' = "pin-expire"
          /\ UNCHANGED <<conn, triedTLS, failedAfter, sig, hint, dials>>
          /\ Fixed

Next == Dialer \/ AttackBefore \/ AttackBusy \/ AttackAfter \/ AttackLegacy
          \/ Hint \/ Expire

Spec == Init /\ [][Next]_vars /\ WF_vars(Dialer)

\* Without fairness the dialer may simply stop: liveness must then fail.
UnfairSpec == Init /\ [][Next]_vars

\* --- properties --------------------------------------------------------------

TypeOK == /\ level \in Levels
          /\ policy \in Policies
          /\ remoteTLS \in BOOLEAN /\ remoteLegacy \in BOOLEAN
          /\ attacker \in BOOLEAN
          /\ conn \in Conns
          /\ triedTLS \in BOOLEAN /\ failedAfter \in BOOLEAN /\ sig \in BOOLEAN
          /\ pin \in BOOLEAN /\ hint \in BOOLEAN
          /\ dials \in 0..MaxDials
          /\ busied \in BOOLEAN
          /\ ev \in Events

Legacy == conn \in {"legacy-try", "legacy"}

\* No plaintext/MSE session (or attempt) with a pinned peer, under policy
\* require, or for a Strict or Full Strict torrent.
NoDowngrade == Legacy => /\ level = "Basic"
                         /\ policy # "require"
                         /\ ~pin

\* A failure after the TLS handshake never falls back.
NoFallbackAfterHandshake == failedAfter => ~Legacy

\* Without an attacker on the path, an honest legacy peer of a Basic torrent
\* that allows legacy is never given up on, whatever hints say.
HonestLegacyPeer == /\ ~attacker
                    /\ ~remoteTLS /\ remoteLegacy
                    /\ level = "Basic" /\ policy # "require"
LegacyPeerReachable == HonestLegacyPeer => conn # "closed"

\* Without an attacker, two peers that both allow TLS end up on TLS. (A TLS
\* session may end and the address be dialled again, later perhaps with an
\* expired pin and over legacy: what must happen is that TLS is reached.)
BothAllowTLS == remoteTLS /\ TLSAllowed /\ ~attacker
TLSLiveness == <>(BothAllowTLS => conn = "tls")

\* ... and an honest legacy peer ends up connected.
LegacyLiveness == HonestLegacyPeer ~> (conn = "legacy")
=============================================================================
