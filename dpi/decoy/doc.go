// Package decoy is the DPI suite's check of protocol/decoy, the web server
// a bttls listener hands non-peers to: a minimal responder built on it is
// probed by dpi/probe side by side with an ordinary HTTPS server
// (TestDPIDecoyIndistinguishable). The real transport's version of the
// same check is protocol/levels' TestProbesSeeAWebServer.
package decoy
