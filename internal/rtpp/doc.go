// Package rtpp implements the classic rtpproxy control protocol: the
// text protocol Kamailio's and OpenSIPS's rtpproxy modules speak to
// sippy/rtpproxy to anchor RTP. It holds a pure codec (Parse, the reply
// formatters, the capability table, the error codes) and a thin I/O
// layer (Server, Client).
//
// # Protocol
//
// A command is one line of whitespace-separated tokens (space, tab, CR,
// LF). On UDP the first token is a cookie chosen by the controller and
// the reply starts with the same cookie; on unix and tcp stream sockets
// there is no cookie. The next token is the command letter followed by
// modifier letters, case-insensitive:
//
//	V                          -> 20040107 (base version)
//	VF <YYYYMMDD>              -> 1 or 0 (capability, see Capabilities)
//	U[mods] call addr port from-tag[;n] [to-tag[;n]] [notify-sock notify-tag]
//	L[mods] call addr port from-tag[;n] to-tag[;n]
//	                           -> "<port> <addr>" (" 6" for IPv6), "0" if L finds nothing
//	D[w] call from-tag [to-tag]            -> 0
//	R[s] call from-tag [to-tag]            -> 0
//	C[sp] call target from-tag [to-tag]    -> 0
//	N[a] call from-tag [to-tag]            -> 0
//	P[n] call prompt codecs from-tag [to-tag]; S call from-tag [to-tag]
//	Q[v] call from-tag to-tag [counter...] -> "ttl ina ino relayed dropped"
//	I[bl]; G[v] [counter...]; X            -> info, counters, 0
//
// Errors are "E<n>" with rtpproxy's numbers (ECode). The ";n" suffix of
// a tag is the media stream number: Kamailio sends "tag;1", "tag;2" for
// the m= lines of one SDP. Sub-commands follow "&&" (U, L, Q only).
//
// Sources read to write this package (their code was not copied):
// sippy/rtpproxy src/rtpp_command.c (tokenizer, cookie, retransmission
// cache), src/rtpp_command_parse.c (argument counts per command),
// src/rtpp_command_ecodes.h, src/commands/rpcpv1_ul.c (U/L modifiers and
// port reply), rpcpv1_query.c, rpcpv1_stats.c, rpcpv1_ver.c (capability
// dates), rpcpv1_delete.c, rpcpv1_record.c, rpcpv1_play.c,
// src/rtpp_command_reply.c, src/rtpp_command_stream.c; and kamailio
// src/modules/rtpproxy/rtpproxy.c (how U/L/D/R/Q are built, which VF
// dates are asked, unix connect-write-read-close without newline, UDP
// cookies "<rand>_<seq>" with retransmission).
//
// OpenSIPS modules/rtpproxy/rtpproxy.c was read as well: it asks the same
// VF dates plus a few more (20090810, 20081224, 20150617, 20150420,
// 20170313, 20071218, 20191015), terminates commands with "\n" on stream
// sockets, and passes unknown script flags through as modifiers, which
// rtpproxy (and Parse) reject with E35.
//
// It is hand-written because no importable Go module implements this
// protocol: the Go code around rtpproxy found in public repositories is
// rtpengine "ng" (bencode) clients and a toy program (package main,
// fffilimonov/rtpproxy_go), not a library.
//
// # Goroutines
//
// The codec starts none. Server.ServePacket reads its UDP socket in the
// calling goroutine and runs the Handler there, one command at a time.
// Server.Serve accepts in the calling goroutine and starts one goroutine
// per stream connection, which reads commands and runs the Handler. Each
// Serve function also arms a context.AfterFunc that closes its socket
// when ctx is done. Serve waits for its connection goroutines before
// returning; Server.Close closes everything and waits for all of them.
// The Client starts none (context.AfterFunc aside).
package rtpp
