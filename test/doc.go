// Package test holds callrec's end-to-end and interop tests and the helpers
// they share: free loopback ports, child processes whose output lands in
// the test log, a small rtpproxy control client, G.711 audio fixtures made
// at run time, and launchers for the real peers (Kamailio, sipp).
//
// Interop tests skip with a clear message when a peer binary is missing;
// scripts/deps.sh installs them, so CI runs them. Every helper binds to
// 127.0.0.0/8 only, waits on events with deadlines rather than sleeping,
// and stops whatever it started when the test ends.
package test
