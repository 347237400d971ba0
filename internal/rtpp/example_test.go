package rtpp_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/callrec/callrec/internal/rtpp"
)

func ExampleParse() {
	// What Kamailio's rtpproxy_offer("c") sends over UDP.
	cmd, err := rtpp.Parse([]byte("6123_1 Uc0,8,101 a84b4c76e66710 192.0.2.4 49170 1928301774;1"), true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(cmd.Op), cmd.Mods.Codecs, cmd.CallID, cmd.AddrPort, cmd.FromTag, cmd.MediaNum)

	_, err = rtpp.Parse([]byte("6123_2 Ux call 192.0.2.4 49170 tag"), true)
	fmt.Println(rtpp.CodeOf(err))
	// Output:
	// U [0 8 101] a84b4c76e66710 192.0.2.4:49170 1928301774 1
	// E35
}

func ExampleServer() {
	h := rtpp.HandlerFunc(func(ctx context.Context, cmd *rtpp.Command) string {
		switch {
		case cmd.Op == rtpp.OpVersion && cmd.FeatureCheck:
			return rtpp.FeatureReply(cmd.Args[0] == rtpp.CapMultiStream)
		case cmd.Op == rtpp.OpVersion:
			return rtpp.ProtocolVersion
		case cmd.Op == rtpp.OpUpdate:
			return rtpp.PortReply(35000, netip.MustParseAddr("192.0.2.10"))
		}
		return rtpp.ErrorReply(rtpp.ECodeNoSession)
	})
	srv := &rtpp.Server{Handler: h}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.ListenAndServe(ctx, "udp:127.0.0.1:7722")
	go srv.ListenAndServe(ctx, "unix:/run/callrec/rtpp.sock")
	// ... later, on shutdown:
	srv.Close()
}
