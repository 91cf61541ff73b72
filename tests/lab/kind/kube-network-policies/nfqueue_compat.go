// Added to sigs.k8s.io/kube-network-policies by tests/lab/kind/build.sh.
//
// Upstream queues packets to the agent with nftables' own `queue` expression
// (nft_queue). Kernels built without CONFIG_NFT_QUEUE (this lab's VM kernel)
// reject it ("Could not process rule: No such file or directory"), so the
// agent could never install a rule. The same verdict exists as the xtables
// NFQUEUE target, which nftables runs through nft_compat: revision 3 with
// struct xt_NFQ_info_v3 { __u16 queuenum; __u16 queues_total; __u16 flags; }.

package networkpolicy

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// nfqueueVerdict sends the packet to queue num; with bypass, packets are
// accepted while no program listens on the queue (upstream's fail-open).
func nfqueueVerdict(num uint16, bypass bool) expr.Any {
	info := make([]byte, 8) // XT_ALIGN(sizeof(struct xt_NFQ_info_v3))
	binary.NativeEndian.PutUint16(info[0:], num)
	binary.NativeEndian.PutUint16(info[2:], 1) // one queue
	if bypass {
		binary.NativeEndian.PutUint16(info[4:], 0x1) // NFQ_FLAG_BYPASS
	}
	payload := xt.Unknown(info)
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &payload}
}
