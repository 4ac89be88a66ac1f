// Tendermint / CometBFT parameters with CometBFT's defaults (cometbft config/config.go,
// DefaultConsensusConfig). Timeouts grow by their delta each round: timeout(r) = base + r x delta.
#pragma once

#include "sim/protocol.hpp"
#include "sim/schema.hpp"

namespace shsim::models::tendermint {

struct Params {
  Duration timeout_propose{3.0};
  Duration timeout_propose_delta{0.5};
  Duration timeout_prevote{1.0};
  Duration timeout_prevote_delta{0.5};
  Duration timeout_precommit{1.0};
  Duration timeout_precommit_delta{0.5};
  Duration timeout_commit{1.0};
  Bytes max_block_bytes{22020096};  // CometBFT's default block.max_bytes (21 MiB)
  Bytes block_header_bytes{1024};
  Bytes vote_bytes{150};
  Duration gossip_retry{2.0};
  std::string dissemination = "direct";

  template <class V> void describe(V& v)
  {
    v.field("timeout_propose", timeout_propose, "wait for the round's proposal (CometBFT 3s)", positive<Duration>());
    v.field("timeout_propose_delta", timeout_propose_delta, "added per round (CometBFT 500ms)");
    v.field("timeout_prevote", timeout_prevote, "wait after 2/3 of any prevotes (CometBFT 1s)", positive<Duration>());
    v.field("timeout_prevote_delta", timeout_prevote_delta, "added per round (CometBFT 500ms)");
    v.field("timeout_precommit", timeout_precommit, "wait after 2/3 of any precommits (CometBFT 1s)",
            positive<Duration>());
    v.field("timeout_precommit_delta", timeout_precommit_delta, "added per round (CometBFT 500ms)");
    v.field("timeout_commit", timeout_commit, "wait after a commit before the next height (CometBFT 1s, "
                                              "Cosmos SDK chains historically 5s)");
    v.field("max_block_bytes", max_block_bytes, "largest block (CometBFT 21MiB)", positive<Bytes>());
    v.field("block_header_bytes", block_header_bytes, "bytes of a proposal besides its transactions");
    v.field("vote_bytes", vote_bytes, "bytes of one prevote or precommit", positive<Bytes>());
    v.field("gossip_retry", gossip_retry,
            "a validator whose height, round and step have not moved for this long re-sends its own messages of "
            "the current round (CometBFT's vote gossip re-sends what peers lack)",
            positive<Duration>());
    v.field("dissemination", dissemination,
            "direct: proposals and votes go straight to every validator; gossip: to overlay neighbours, each "
            "validator forwarding what it hears first (CometBFT's consensus reactor)",
            one_of({"direct", "gossip"}));
  }

  double propose_timeout(int round) const { return timeout_propose.seconds + round * timeout_propose_delta.seconds; }
  double prevote_timeout(int round) const { return timeout_prevote.seconds + round * timeout_prevote_delta.seconds; }
  double precommit_timeout(int round) const
  {
    return timeout_precommit.seconds + round * timeout_precommit_delta.seconds;
  }
};

using TypedParams = TypedParentParams<Params>;

}  // namespace shsim::models::tendermint
